//! The admin CRM page: which CRM the app uses, connecting and disconnecting Zoho.

use crate::model::AppError;
use crate::model::crm::{CrmConnectionView, StageMappingView, SyncEntryView};
use crate::model::crm_rules::{ChatCrmView, ChatPick, PlanStep, RulesView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{require_admin, respond, state};

/// The CRM in use and the Zoho connection, if any.
#[server(endpoint = "admin/crm/connection", output = crate::model::wire::Answer)]
pub async fn crm_connection() -> Result<CrmConnectionView, AppError> {
    respond(
        async {
            require_admin()?;
            state().zoho.view().await
        }
        .await,
    )
}

/// Starts connecting Zoho: answers the address of Zoho's consent page, where the browser goes.
#[server(endpoint = "admin/crm/zoho/connect", output = crate::model::wire::Answer)]
pub async fn connect_zoho(
    client_id: String,
    client_secret: String,
    data_centre: String,
) -> Result<String, AppError> {
    respond(
        async {
            let me = require_admin()?;
            state()
                .zoho
                .start(&me, &client_id, &client_secret, &data_centre)
                .await
        }
        .await,
    )
}

/// Picks the Zoho CRM organisation the app works in.
#[server(endpoint = "admin/crm/zoho/org", output = crate::model::wire::Answer)]
pub async fn choose_zoho_org(org: String) -> Result<(), AppError> {
    respond(
        async {
            let me = require_admin()?;
            state().zoho.choose_org(me.user.id, &org).await
        }
        .await,
    )
}

/// Revokes Zoho's grant and forgets it; the app goes back to the built-in CRM. Answers a
/// warning when Zoho could not be told.
#[server(endpoint = "admin/crm/zoho/disconnect", output = crate::model::wire::Answer)]
pub async fn disconnect_zoho() -> Result<Option<String>, AppError> {
    respond(
        async {
            let me = require_admin()?;
            state().zoho.disconnect(me.user.id).await
        }
        .await,
    )
}

/// The deal stage mapping; None while the CRM in use has the app's own stages.
#[server(endpoint = "admin/crm/stages", output = crate::model::wire::Answer)]
pub async fn crm_stages() -> Result<Option<StageMappingView>, AppError> {
    respond(
        async {
            require_admin()?;
            let st = state();
            crate::server::crm::config::stage_mapping(&st.db, &st.crm).await
        }
        .await,
    )
}

/// Saves the deal stage mapping: the CRM value for each of our stages in order (`to[0]` is
/// inquiry … `to[4]` completion), for won and lost, and for each CRM value (`from[i]`, in the
/// order shown) our stage or nothing.
#[server(endpoint = "admin/crm/stages/save", output = crate::model::wire::Answer)]
pub async fn save_crm_stages(
    to: Vec<String>,
    won: String,
    lost: String,
    from: Vec<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let me = require_admin()?;
            let st = state();
            let to_crm: [String; 5] = to.try_into().map_err(|_| {
                AppError::invalid(
                    "to_inquiry",
                    "Choose a CRM stage for each of the five stages.",
                )
            })?;
            let form = crate::server::crm::config::StageForm {
                to_crm,
                won,
                lost,
                from_crm: from,
            };
            crate::server::crm::config::save_stage_mapping(&st.db, &st.crm, me.user.id, &form).await
        }
        .await,
    )
}

/// The sync log shows at most this many lines (the newest).
#[cfg(feature = "ssr")]
const SYNC_LOG_SHOWN: u64 = 200;

/// The sync log: what CRM deliveries did, and which failed or wait, newest first.
#[server(endpoint = "admin/crm/log", output = crate::model::wire::Answer)]
pub async fn crm_sync_log() -> Result<Vec<SyncEntryView>, AppError> {
    respond(
        async {
            require_admin()?;
            Ok(crate::server::crm::sync_log::list(&state().db, None, SYNC_LOG_SHOWN).await?)
        }
        .await,
    )
}

/// Runs a failed delivery again now.
#[server(endpoint = "admin/crm/log/retry", output = crate::model::wire::Answer)]
pub async fn retry_crm_sync(entry_id: i64) -> Result<(), AppError> {
    respond(
        async {
            let me = require_admin()?;
            tracing::info!(admin = %me.user.id, entry = entry_id, "admin retries a CRM delivery");
            crate::server::crm::sync_log::retry(&state().db, entry_id).await
        }
        .await,
    )
}

/// The connector's rules and the CRM's fields they may use.
#[server(endpoint = "admin/crm/rules", output = crate::model::wire::Answer)]
pub async fn crm_rules() -> Result<RulesView, AppError> {
    respond(
        async {
            require_admin()?;
            let st = state();
            crate::server::crm::connector::rules_view(&st.db, &st.crm).await
        }
        .await,
    )
}

/// Saves the connector's rules (JSON of `ConnectorRules`), checked against the CRM's fields.
#[server(endpoint = "admin/crm/rules/save", output = crate::model::wire::Answer)]
pub async fn save_crm_rules(rules: String) -> Result<(), AppError> {
    use crate::server::crm::{connector, rules as crm_rules};
    respond(
        async {
            let me = require_admin()?;
            let st = state();
            let rules = crm_rules::parse(&rules)?;
            connector::save_rules(&st.db, &st.crm, me.user.id, &rules).await
        }
        .await,
    )
}

/// What the given rules (saved or not) would create or update in the CRM for a chat.
#[server(endpoint = "admin/crm/rules/dry-run", output = crate::model::wire::Answer)]
pub async fn crm_dry_run(rules: String, chat: i64) -> Result<Vec<PlanStep>, AppError> {
    use crate::model::ids::ConversationId;
    use crate::server::crm::{connector, rules as crm_rules};
    respond(
        async {
            require_admin()?;
            let st = state();
            let rules = crm_rules::parse(&rules)?;
            connector::dry_run(&st.db, &st.crm, &rules, ConversationId(chat)).await
        }
        .await,
    )
}

/// Recent client chats to try the rules on.
#[server(endpoint = "admin/crm/chats", output = crate::model::wire::Answer)]
pub async fn crm_recent_chats() -> Result<Vec<ChatPick>, AppError> {
    respond(
        async {
            require_admin()?;
            Ok(crate::server::crm::connector::recent_chats(&state().db).await?)
        }
        .await,
    )
}

/// Staff ask for a CRM record from a chat (the connector's manual mode): a lead or contact for
/// the client, a task or case for the chat's latest operator session. Made by a job; asking
/// again changes nothing.
#[server(endpoint = "chats/crm/create", output = crate::model::wire::Answer)]
pub async fn create_chat_record(
    conversation_id: crate::model::ids::ConversationId,
    module: String,
) -> Result<(), AppError> {
    use crate::api::viewer;
    respond(
        async {
            let st = state();
            let viewer = viewer()?;
            let module = crate::model::crm_rules::CrmModule::parse(&module).ok_or_else(|| {
                AppError::invalid("module", "Choose a lead, contact, case or task.")
            })?;
            let crm = st.crm.current().await?;
            crate::server::crm::connector::request_record(
                &st.db,
                crm.provider(),
                viewer,
                conversation_id,
                module,
            )
            .await
        }
        .await,
    )
}

/// *Retry* on a failed line of the sync log beside a chat, by the chat's staff.
#[server(endpoint = "chats/crm/retry", output = crate::model::wire::Answer)]
pub async fn retry_chat_crm(
    conversation_id: crate::model::ids::ConversationId,
    entry_id: i64,
) -> Result<(), AppError> {
    use crate::api::viewer;
    respond(
        async {
            crate::server::crm::connector::retry_for_chat(
                &state().db,
                viewer()?,
                conversation_id,
                entry_id,
            )
            .await
        }
        .await,
    )
}

/// The CRM beside a chat, for its staff: the client's record and the chat's sync log.
#[server(endpoint = "chats/crm", output = crate::model::wire::Answer)]
pub async fn chat_crm(
    conversation_id: crate::model::ids::ConversationId,
    // Missing or true: read the CRM afresh (a chat opening); false: the panel's own reload.
    fresh: Option<bool>,
) -> Result<ChatCrmView, AppError> {
    use crate::api::viewer;
    respond(
        async {
            let st = state();
            crate::server::crm::connector::for_chat(
                &st.db,
                &st.crm,
                viewer()?,
                conversation_id,
                fresh.unwrap_or(true),
            )
            .await
        }
        .await,
    )
}

/// Saves the fields shown beside chats (JSON of `PanelFields`), checked against the CRM's.
#[server(endpoint = "admin/crm/panel/save", output = crate::model::wire::Answer)]
pub async fn save_panel_fields(panel: String) -> Result<(), AppError> {
    use crate::server::crm::{connector, rules as crm_rules};
    respond(
        async {
            let me = require_admin()?;
            let st = state();
            let panel = crm_rules::parse_panel(&panel)?;
            connector::save_panel(&st.db, &st.crm, me.user.id, &panel).await
        }
        .await,
    )
}
