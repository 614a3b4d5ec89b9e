//! Teams, queues and operators: the console's status, the admin page of teams and queues.

use crate::model::AppError;
use crate::model::ids::{QueueId, TeamId, UserId};
use crate::model::queues::{ConsoleState, QueuesAdmin};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::chat::routing;
#[cfg(feature = "ssr")]
use crate::server::queues::service as queues;

/// The console's head: my status and load, the queues I work and their waiting counts.
#[server(endpoint = "queues/console", output = crate::model::wire::Answer)]
pub async fn load_console() -> Result<ConsoleState, AppError> {
    respond(
        async {
            let st = state();
            let gone_before = st.router.gone_before(chrono::Utc::now());
            queues::console(&st.db, viewer()?, gone_before).await
        }
        .await,
    )
}

/// An employee sets their status: available, away or offline.
#[server(endpoint = "queues/status", output = crate::model::wire::Answer)]
pub async fn set_status(status: String) -> Result<(), AppError> {
    respond(
        async {
            let st = state();
            routing::set_status(&st.db, &st.hub, &st.router, viewer()?, &status).await
        }
        .await,
    )
}

/// Teams, queues and operators, for the admin page.
#[server(endpoint = "admin/queues", output = crate::model::wire::Answer)]
pub async fn load_queues_admin() -> Result<QueuesAdmin, AppError> {
    respond(
        async {
            let st = state();
            let gone_before = st.router.gone_before(chrono::Utc::now());
            queues::admin_view(&st.db, viewer()?, gone_before).await
        }
        .await,
    )
}

#[server(endpoint = "admin/teams/create", output = crate::model::wire::Answer)]
pub async fn create_team(name: String) -> Result<TeamId, AppError> {
    respond(async { queues::create_team(&state().db, viewer()?, &name).await }.await)
}

/// Adds an employee to a team (`member`) or takes them out.
#[server(endpoint = "admin/teams/member", output = crate::model::wire::Answer)]
pub async fn set_team_member(
    team_id: TeamId,
    user_id: UserId,
    member: bool,
) -> Result<(), AppError> {
    respond(
        async { queues::set_member(&state().db, viewer()?, team_id, user_id, member).await }.await,
    )
}

/// Creates a queue (`queue_id` None) or changes one.
#[server(endpoint = "admin/queues/save", output = crate::model::wire::Answer)]
pub async fn save_queue(
    queue_id: Option<QueueId>,
    name: String,
    team_id: Option<String>,
    routing: String,
    timeout_minutes: i32,
    make_default: Option<bool>,
) -> Result<QueueId, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            // A form's "every employee" is an empty choice.
            let team = match team_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => Some(
                    raw.parse::<TeamId>()
                        .map_err(|_| AppError::invalid("team_id", "Choose a team."))?,
                ),
            };
            let input = queues::QueueInput {
                name: &name,
                team,
                routing: &routing,
                timeout_minutes,
                make_default: make_default.unwrap_or(false),
            };
            match queue_id {
                Some(id) => queues::update_queue(&st.db, viewer, id, input)
                    .await
                    .map(|()| id),
                None => queues::create_queue(&st.db, viewer, input).await,
            }
        }
        .await,
    )
}

/// An admin sets how many chats an employee holds at once.
#[server(endpoint = "admin/operators/capacity", output = crate::model::wire::Answer)]
pub async fn set_capacity(user_id: UserId, capacity: i32) -> Result<(), AppError> {
    respond(
        async {
            let st = state();
            routing::set_capacity(&st.db, &st.hub, &st.router, viewer()?, user_id, capacity).await
        }
        .await,
    )
}
