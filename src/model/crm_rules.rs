//! The connector's rules (the admin CRM page): what a client chat creates in the CRM, how the
//! client is found there, what happens to a record found, and which of our facts fill which CRM
//! field. Shared by the page (editing) and the server (applying, the dry run).

use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};

/// A module of the CRM the connector writes to (Zoho's API names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "CrmModule::as_str")
)]
pub enum CrmModule {
    Leads,
    Contacts,
    Accounts,
    Tasks,
    Cases,
}

stored_names!(CrmModule {
    Leads => "Leads",
    Contacts => "Contacts",
    Accounts => "Accounts",
    Tasks => "Tasks",
    Cases => "Cases",
});

impl CrmModule {
    /// One record of the module, in a sentence ("a Lead").
    pub fn singular(self) -> &'static str {
        match self {
            CrmModule::Leads => "Lead",
            CrmModule::Contacts => "Contact",
            CrmModule::Accounts => "Account",
            CrmModule::Tasks => "Task",
            CrmModule::Cases => "Case",
        }
    }
}

/// Whether client chats create CRM records by themselves, and which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorMode {
    /// A Lead for a client not found, a Task for each operator session.
    Sales,
    /// A Contact for a client not found, a Case for each operator session.
    Support,
    /// Nothing by itself: staff create records from the chat window.
    Manual,
}

stored_names!(ConnectorMode {
    Sales => "sales",
    Support => "support",
    Manual => "manual",
});

impl ConnectorMode {
    /// The person's module and the session's module in this mode (None: manual).
    pub fn modules(self) -> Option<(CrmModule, CrmModule)> {
        match self {
            ConnectorMode::Sales => Some((CrmModule::Leads, CrmModule::Tasks)),
            ConnectorMode::Support => Some((CrmModule::Contacts, CrmModule::Cases)),
            ConnectorMode::Manual => None,
        }
    }
}

/// What happens to a lead or contact that is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePolicy {
    /// Leave it as it is.
    Keep,
    /// Write the chat's values over the record's.
    Overwrite,
    /// Write only the fields the record has empty.
    FillEmpty,
}

stored_names!(UpdatePolicy {
    Keep => "keep",
    Overwrite => "overwrite",
    FillEmpty => "fill_empty",
});

/// A fact of ours about a chat that the mapping can put into a CRM field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OurField {
    /// The operator of the session (a CRM user by the owner rule; on `Owner` only).
    Agent,
    Name,
    /// The name without its last word ("Ada María" of "Ada María Lovelace").
    FirstName,
    /// The name's last word (the whole name when it is one word).
    LastName,
    Email,
    Phone,
    Company,
    Channel,
    /// The session's transcript as text.
    ChatContent,
    ChatId,
    /// The notes staff left on transfers.
    Notes,
    WrapUp,
    StartTime,
    EndTime,
    /// The files shared in the session, attached to the record (target `Attachments`).
    Attachments,
    /// The client's account id in this app.
    ClientId,
}

stored_names!(OurField {
    Agent => "agent",
    Name => "name",
    FirstName => "first_name",
    LastName => "last_name",
    Email => "email",
    Phone => "phone",
    Company => "company",
    Channel => "channel",
    ChatContent => "chat_content",
    ChatId => "chat_id",
    Notes => "notes",
    WrapUp => "wrap_up",
    StartTime => "start_time",
    EndTime => "end_time",
    Attachments => "attachments",
    ClientId => "client_id",
});

impl OurField {
    /// How the field is labelled where several share one CRM field (a Description).
    pub fn label(self) -> &'static str {
        match self {
            OurField::Agent => "Agent",
            OurField::Name => "Name",
            OurField::FirstName => "First name",
            OurField::LastName => "Last name",
            OurField::Email => "Email",
            OurField::Phone => "Phone",
            OurField::Company => "Company",
            OurField::Channel => "Channel",
            OurField::ChatContent => "Chat",
            OurField::ChatId => "Chat ID",
            OurField::Notes => "Notes",
            OurField::WrapUp => "Wrap-up",
            OurField::StartTime => "Start time",
            OurField::EndTime => "End time",
            OurField::Attachments => "Attachments",
            OurField::ClientId => "Client ID",
        }
    }
}

/// The CRM "field" that stands for a record's attachments.
pub const ATTACHMENTS: &str = "Attachments";
/// The CRM field that holds a record's owner.
pub const OWNER: &str = "Owner";

/// Where a mapped CRM field takes its value from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Ours(OurField),
    /// The same text every time (a required pick list, such as a Case's Status).
    Text(String),
}

/// One row of a module's mapping: the CRM field and where its value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMap {
    pub field: String,
    pub from: Source,
    /// Written when our fact is not known (a Lead's required Company for a client who gave
    /// none); empty: nothing is written.
    #[serde(default)]
    pub otherwise: String,
}

/// How to find the client among a module's records; the first rule that finds one wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchRule {
    /// The client's email, case-insensitive, against the module's email field.
    Email,
    /// The client's phone by its digits against the module's phone field.
    Phone,
    /// One of our facts equal to a field the admin names (such as a custom "Portal ID").
    Field { field: String, ours: OurField },
}

/// A module's rules: how its records are found (Leads, Contacts, Accounts) and what is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleRules {
    pub module: CrmModule,
    pub identify: Vec<MatchRule>,
    pub fields: Vec<FieldMap>,
}

/// The whole rule set for client chats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorRules {
    pub mode: ConnectorMode,
    pub update: UpdatePolicy,
    /// One entry per module, in `CrmModule::ALL` order.
    pub modules: Vec<ModuleRules>,
}

fn ours(field: &str, from: OurField) -> FieldMap {
    FieldMap {
        field: field.to_owned(),
        from: Source::Ours(from),
        otherwise: String::new(),
    }
}

fn text(field: &str, value: &str) -> FieldMap {
    FieldMap {
        field: field.to_owned(),
        from: Source::Text(value.to_owned()),
        otherwise: String::new(),
    }
}

/// What a session record's Description holds by default (the seed's table).
fn session_description() -> Vec<FieldMap> {
    [
        OurField::ChatId,
        OurField::Channel,
        OurField::StartTime,
        OurField::EndTime,
        OurField::WrapUp,
        OurField::Notes,
        OurField::ChatContent,
    ]
    .into_iter()
    .map(|f| ours("Description", f))
    .collect()
}

impl Default for ConnectorRules {
    /// Support flavour with the seed's mapping; contacts and leads found by email, then phone;
    /// accounts by the client's company; found records only get their empty fields filled.
    fn default() -> Self {
        use OurField::*;
        let modules = vec![
            ModuleRules {
                module: CrmModule::Leads,
                identify: vec![MatchRule::Email, MatchRule::Phone],
                fields: vec![
                    ours(OWNER, Agent),
                    ours("Last_Name", Name),
                    ours("Email", Email),
                    ours("Phone", Phone),
                    FieldMap {
                        otherwise: "Not given".into(),
                        ..ours("Company", Company)
                    },
                    text("Lead_Source", "Chat"),
                ],
            },
            ModuleRules {
                module: CrmModule::Contacts,
                identify: vec![MatchRule::Email, MatchRule::Phone],
                fields: vec![
                    ours(OWNER, Agent),
                    ours("Last_Name", Name),
                    ours("Email", Email),
                    ours("Phone", Phone),
                ],
            },
            ModuleRules {
                module: CrmModule::Accounts,
                identify: vec![MatchRule::Field {
                    field: "Account_Name".into(),
                    ours: Company,
                }],
                fields: Vec::new(),
            },
            ModuleRules {
                module: CrmModule::Tasks,
                identify: Vec::new(),
                fields: [
                    vec![ours(OWNER, Agent), ours("Subject", Name)],
                    session_description(),
                    vec![text("Status", "Completed"), ours(ATTACHMENTS, Attachments)],
                ]
                .concat(),
            },
            ModuleRules {
                module: CrmModule::Cases,
                identify: Vec::new(),
                fields: [
                    vec![
                        ours(OWNER, Agent),
                        ours("Subject", Name),
                        ours("Email", Email),
                        ours("Phone", Phone),
                    ],
                    session_description(),
                    vec![
                        text("Status", "Closed"),
                        text("Case_Origin", "Chat"),
                        ours(ATTACHMENTS, Attachments),
                    ],
                ]
                .concat(),
            },
        ];
        ConnectorRules {
            mode: ConnectorMode::Support,
            update: UpdatePolicy::FillEmpty,
            modules,
        }
    }
}

impl ModuleRules {
    /// Whether the module's records get the session's files (`Attachments` ← our attachments).
    pub fn attaches(&self) -> bool {
        self.fields
            .iter()
            .any(|r| r.from == Source::Ours(OurField::Attachments))
    }
}

impl ConnectorRules {
    pub fn module(&self, module: CrmModule) -> Option<&ModuleRules> {
        self.modules.iter().find(|m| m.module == module)
    }
}

/// A field of a CRM module, as the rules form offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmFieldView {
    pub api_name: String,
    pub label: String,
    pub required: bool,
}

/// The rules and, per module, the CRM's fields they may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesView {
    pub rules: ConnectorRules,
    pub fields: Vec<(CrmModule, Vec<CrmFieldView>)>,
    /// The fields staff see beside a chat.
    pub panel: PanelFields,
}

/// The fields of the client's lead, contact and account that staff see beside a chat, picked
/// on the CRM page per module; a module left empty shows the fields the rules write (an
/// account: its name, phone and website).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelFields {
    pub modules: Vec<PanelModule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelModule {
    pub module: CrmModule,
    /// CRM field API names, in the order shown.
    pub fields: Vec<String>,
}

impl PanelFields {
    /// The modules a panel shows records of.
    pub const MODULES: [CrmModule; 3] =
        [CrmModule::Leads, CrmModule::Contacts, CrmModule::Accounts];
    /// The most fields picked for one module.
    pub const MAX_FIELDS: usize = 20;

    /// The fields picked for `module` (empty: none picked).
    pub fn of(&self, module: CrmModule) -> &[String] {
        self.modules
            .iter()
            .find(|m| m.module == module)
            .map(|m| m.fields.as_slice())
            .unwrap_or(&[])
    }

    /// `of` with `field` added or taken out (the form's checkboxes).
    pub fn toggle(&mut self, module: CrmModule, field: &str, on: bool) {
        if !self.modules.iter().any(|m| m.module == module) {
            self.modules.push(PanelModule {
                module,
                fields: Vec::new(),
            });
        }
        if let Some(m) = self.modules.iter_mut().find(|m| m.module == module) {
            m.fields.retain(|f| f != field);
            if on {
                m.fields.push(field.to_owned());
            }
        }
    }
}

/// What a step of the plan does to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanAction {
    Create,
    Update,
    /// Found, and left as it is (the update policy, or nothing differs).
    Keep,
    /// Found; linked to the records after it.
    Link,
}

/// One record the rules would create, update or leave, with what would be written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    pub module: CrmModule,
    pub action: PlanAction,
    /// The record found (its CRM id), if any.
    pub record_id: Option<String>,
    /// The owner's email, as the owner rule chose them.
    pub owner: Option<String>,
    /// (CRM field, value) as they would be sent.
    pub fields: Vec<(String, String)>,
    /// Names of the files that would be attached.
    pub attachments: Vec<String>,
    /// Why the step is what it is ("found by email", "no Contact has this email or phone").
    pub why: String,
}

/// A CRM record beside a chat: the client's lead or contact with the fields the rules write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmRecordView {
    pub module: CrmModule,
    pub id: String,
    pub owner: Option<String>,
    /// (label, value) of the fields the rules map for the module, as the CRM holds them now.
    pub fields: Vec<(String, String)>,
    /// The record's page in the CRM, when it has pages (Zoho).
    pub url: Option<String>,
}

/// The CRM side of a chat, for staff: the client's record and what was sent for this chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCrmView {
    /// `builtin` or `zoho`.
    pub provider: String,
    pub person: Option<CrmRecordView>,
    /// The account the client's contact belongs to in the CRM.
    pub account: Option<CrmRecordView>,
    /// Why the record could not be read just now (the CRM unreachable, waiting for a reconnect).
    pub problem: Option<String>,
    pub log: Vec<crate::model::crm::SyncEntryView>,
    /// With the connector's manual mode, for staff who may act in the chat: what they may create.
    pub manual: Option<ManualCrm>,
    /// Whether the viewer may retry the log's failed lines (staff who act in the chat).
    pub can_retry: bool,
}

/// The connector's manual mode beside a chat: the records staff may create now, those being
/// created, and what the CRM already holds for this client and chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualCrm {
    /// A Lead or Contact when the client has none noted; a Task or Case when the chat's latest
    /// operator session has none.
    pub can_create: Vec<CrmModule>,
    /// Asked for and not made yet (the job runs, or waits for the CRM).
    pub pending: Vec<CrmModule>,
    /// The client's lead and contact, and the tasks and cases of this chat's sessions.
    pub records: Vec<CrmRecordLink>,
}

/// A record the CRM holds for a chat, named and linked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmRecordLink {
    pub module: CrmModule,
    pub id: String,
    /// "the client" or "session of 4 Dec 2026 14:02".
    pub about: String,
    pub url: Option<String>,
}

impl CrmModule {
    /// The modules staff may create from a chat in the manual mode, in the buttons' order.
    pub const MANUAL: [CrmModule; 4] = [
        CrmModule::Leads,
        CrmModule::Contacts,
        CrmModule::Cases,
        CrmModule::Tasks,
    ];

    /// Whether a record of the module is about one operator session (a task or case) rather
    /// than the client.
    pub fn per_session(self) -> bool {
        matches!(self, CrmModule::Tasks | CrmModule::Cases)
    }
}

/// A chat the dry run may be tried on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatPick {
    pub id: crate::model::ids::ConversationId,
    /// "#42 Attic conversion — Jane Client".
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_cover_every_module_once_in_order() {
        let rules = ConnectorRules::default();
        let modules: Vec<_> = rules.modules.iter().map(|m| m.module).collect();
        assert_eq!(modules, CrmModule::ALL.to_vec());
        assert_eq!(
            ConnectorMode::Support.modules(),
            Some((CrmModule::Contacts, CrmModule::Cases))
        );
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(
            serde_json::from_str::<ConnectorRules>(&json).unwrap(),
            rules
        );
    }
}
