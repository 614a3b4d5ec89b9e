//! The CRM connection as the admin CRM page shows it.

use crate::model::DealStage;
use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};

/// Where a Zoho connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "ConnectionStatus::as_str")
)]
pub enum ConnectionStatus {
    /// Zoho gave us tokens; the admin has yet to pick the CRM organisation.
    ChooseOrg,
    /// In use: the app's CRM is this one.
    Connected,
    /// Zoho refused our refresh token (revoked, or the app removed there): CRM work waits until
    /// an admin connects again.
    ReconnectNeeded,
}

stored_names!(ConnectionStatus {
    ChooseOrg => "choose_org",
    Connected => "connected",
    ReconnectNeeded => "reconnect_needed",
});

/// A Zoho data centre: where its accounts server is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataCentre {
    pub code: &'static str,
    pub label: &'static str,
    pub accounts: &'static str,
    pub api: &'static str,
}

/// Zoho's data centres (accounts server → API domain), from Zoho's SDKs.
pub const DATA_CENTRES: [DataCentre; 6] = [
    DataCentre {
        code: "us",
        label: "United States (zoho.com)",
        accounts: "https://accounts.zoho.com",
        api: "https://www.zohoapis.com",
    },
    DataCentre {
        code: "eu",
        label: "Europe (zoho.eu)",
        accounts: "https://accounts.zoho.eu",
        api: "https://www.zohoapis.eu",
    },
    DataCentre {
        code: "in",
        label: "India (zoho.in)",
        accounts: "https://accounts.zoho.in",
        api: "https://www.zohoapis.in",
    },
    DataCentre {
        code: "au",
        label: "Australia (zoho.com.au)",
        accounts: "https://accounts.zoho.com.au",
        api: "https://www.zohoapis.com.au",
    },
    DataCentre {
        code: "jp",
        label: "Japan (zoho.jp)",
        accounts: "https://accounts.zoho.jp",
        api: "https://www.zohoapis.jp",
    },
    DataCentre {
        code: "ca",
        label: "Canada (zohocloud.ca)",
        accounts: "https://accounts.zohocloud.ca",
        api: "https://www.zohoapis.ca",
    },
];

/// A CRM organisation the connected Zoho account belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmOrgView {
    /// Zoho's `zgid`, sent as `X-CRM-ORG` on every call.
    pub id: String,
    pub name: String,
}

/// The admin CRM page's top: which CRM the app uses and, for Zoho, the connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmConnectionView {
    /// `builtin` or `zoho`: the CRM in use now.
    pub provider: String,
    pub zoho: Option<ZohoConnectionView>,
    /// The address to register as the redirect URI of the Zoho client.
    pub redirect_uri: String,
    /// Data centres the admin may pick from: (code, label).
    pub data_centres: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZohoConnectionView {
    pub status: ConnectionStatus,
    /// Why it needs reconnecting, in Zoho's or our words.
    pub status_reason: Option<String>,
    pub account_email: Option<String>,
    pub account_name: Option<String>,
    pub org: Option<CrmOrgView>,
    /// The data centre's API domain, e.g. `https://www.zohoapis.eu`.
    pub api_domain: String,
    pub location: String,
    pub connected_by: String,
    /// RFC 3339.
    pub connected_at: String,
    /// Organisations to choose from, while the status is `ChooseOrg`.
    pub orgs: Vec<CrmOrgView>,
}

/// What the CRM page says after Zoho's callback, by the code its address carries
/// (`/admin/crm?zoho=<code>`). Only these fixed sentences are shown: a crafted address cannot put
/// words on the page.
pub fn connect_outcome(code: &str) -> Option<(bool, &'static str)> {
    let failed = |text| Some((false, text));
    match code {
        "connected" => Some((true, "Zoho is connected.")),
        "choose_org" => Some((
            true,
            "Zoho is connected. Choose the CRM organisation to use.",
        )),
        "bad_state" => failed(
            "This connect link is unknown, belongs to another sign-in, or has expired. Start again \
             with Connect with Zoho.",
        ),
        "replayed" => {
            failed("This connect link was already used. Start again with Connect with Zoho.")
        }
        "declined" => failed("Zoho's consent was declined; nothing was connected."),
        "unknown_accounts_server" => failed(
            "The callback named an accounts server that is not Zoho's; nothing was sent to it.",
        ),
        "unknown_api_domain" => failed("Zoho named an API domain that is not Zoho's."),
        "no_refresh_token" => {
            failed("Zoho gave no refresh token; connect again and accept offline access.")
        }
        "no_code" => failed("Zoho's callback had no authorisation code."),
        "invalid_code" => failed(
            "Zoho refused the authorisation code (used or expired). Start again with Connect \
             with Zoho.",
        ),
        "invalid_client" => {
            failed("Zoho does not know this client ID. Check it in Zoho's API console.")
        }
        "invalid_client_secret" => {
            failed("The client secret is wrong. Check it in Zoho's API console.")
        }
        "invalid_redirect_uri" => failed(
            "Zoho refused the redirect URI: register the address shown below as the client's \
             redirect URI.",
        ),
        "throttled" => failed("Zoho asks us to slow down. Wait a minute and connect again."),
        "accounts_unavailable" => failed("Zoho's accounts server could not be reached. Try again."),
        "refused" => failed("Zoho refused the connection. Try again, or check the client in Zoho."),
        "sealed" => failed(
            "The stored client credentials do not open with this installation's key. Connect again.",
        ),
        "zoho" => {
            failed("Zoho could not be asked for the account and its organisations. Try again.")
        }
        "database" => failed("Something went wrong on our side. Try again."),
        _ => None,
    }
}

/// The CRM page's deal-stage mapping: our stages to the CRM's pick list and back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMappingView {
    /// The CRM's deal stages, in its order (Zoho: the Deals module's Stage pick list).
    pub choices: Vec<String>,
    /// The CRM value each of our stages goes out as, while the deal is open.
    pub to_crm: Vec<(DealStage, String)>,
    pub won: String,
    pub lost: String,
    /// For each of `choices`, our stage it means (None: none of ours, never applied here).
    pub from_crm: Vec<Option<DealStage>>,
}

/// The field an error about the CRM value of one of our stages names.
pub fn stage_field(stage: DealStage) -> &'static str {
    match stage {
        DealStage::Inquiry => "to_inquiry",
        DealStage::Proposal => "to_proposal",
        DealStage::Negotiation => "to_negotiation",
        DealStage::Approval => "to_approval",
        DealStage::Completion => "to_completion",
    }
}

/// How a line of the sync log ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "SyncOutcome::as_str")
)]
pub enum SyncOutcome {
    /// The CRM did it.
    Done,
    /// The delivery failed; it is tried again, or waits in the failed jobs.
    Failed,
    /// The delivery waits for an admin (the CRM needs reconnecting).
    Waiting,
}

stored_names!(SyncOutcome {
    Done => "done",
    Failed => "failed",
    Waiting => "waiting",
});

/// One line of the sync log as the CRM page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncEntryView {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// `zoho` or `builtin`.
    pub provider: String,
    /// What was done, in words ("Created the deal", "Delivering the deal").
    pub action: String,
    pub module: Option<String>,
    pub remote_id: Option<String>,
    pub deal_id: Option<crate::model::ids::DealId>,
    pub deal_title: Option<String>,
    pub outcome: SyncOutcome,
    pub detail: Option<String>,
    /// Whether *Retry* would do something: the delivery failed and is not done since.
    pub can_retry: bool,
}
