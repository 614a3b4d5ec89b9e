//! Channels: the ones a client may start chats in, and the admin page.

// A server function's arguments are its form's fields; the channel form has ten.
#![allow(clippy::too_many_arguments)]

use crate::model::AppError;
use crate::model::channels::{ChannelChoice, ChannelsAdmin};
use crate::model::ids::{ChannelId, QueueId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::channels::service as channels;

/// The active channels the caller may start a chat in, the default first.
#[server(endpoint = "channels/usable", output = crate::model::wire::Answer)]
pub async fn usable_channels() -> Result<Vec<ChannelChoice>, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            Ok(channels::usable(&state().db, viewer).await?)
        }
        .await,
    )
}

/// Every channel with its queue and rights, the queues and the teams, for the admin page.
#[server(endpoint = "admin/channels", output = crate::model::wire::Answer)]
pub async fn load_channels_admin() -> Result<ChannelsAdmin, AppError> {
    respond(
        async {
            let st = state();
            let gone_before = st.router.gone_before(chrono::Utc::now());
            channels::admin_view(&st.db, viewer()?, gone_before).await
        }
        .await,
    )
}

/// Creates a channel (`channel_id` None) or changes one. `use_grants` and `operate_grants` are
/// lists such as `role:client,team:3`.
#[server(endpoint = "admin/channels/save", output = crate::model::wire::Answer)]
pub async fn save_channel(
    channel_id: Option<ChannelId>,
    name: String,
    active: Option<bool>,
    queue_id: Option<QueueId>,
    language: String,
    on_behalf: Option<bool>,
    wrap_up_required: Option<bool>,
    client_files: Option<bool>,
    make_default: Option<bool>,
    use_grants: Option<String>,
    operate_grants: Option<String>,
) -> Result<ChannelId, AppError> {
    use crate::model::channels::parse_grants;
    respond(
        async {
            let viewer = viewer()?;
            let grants = |raw: &Option<String>, field: &'static str| {
                parse_grants(raw.as_deref().unwrap_or("")).ok_or_else(|| {
                    AppError::invalid(field, "Choose roles and teams from the list.")
                })
            };
            let use_grants = grants(&use_grants, "use_roles")?;
            let operate_grants = grants(&operate_grants, "operate_roles")?;
            let input = channels::ChannelInput {
                name: &name,
                active: active.unwrap_or(false),
                queue: queue_id,
                language: &language,
                on_behalf: on_behalf.unwrap_or(false),
                wrap_up_required: wrap_up_required.unwrap_or(false),
                client_files: client_files.unwrap_or(false),
                make_default: make_default.unwrap_or(false),
                use_grants,
                operate_grants,
            };
            channels::save(&state().db, viewer, channel_id, input).await
        }
        .await,
    )
}
