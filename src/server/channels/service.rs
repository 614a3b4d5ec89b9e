//! The channels admin page's changes, the channels a user may start chats in, and the small
//! reads other features need (`pick_for_start`, `queue_of`, `wrap_up_required`).

use crate::model::channels::{
    ChannelChoice, ChannelRight, ChannelView, ChannelsAdmin, Grants, image_url, parse_language,
};
use crate::model::ids::{ChannelId, QueueId, TeamId};
use crate::model::{AppError, Role};
use crate::server::access::{Viewer, holds_right_sql};
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::{channel, channel_right, queue, team};
use crate::server::queues::service::{self as queues, parse_name};
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};

fn grants_of(rights: &[channel_right::Model], id: ChannelId, right: ChannelRight) -> Grants {
    let mine = rights
        .iter()
        .filter(|r| r.channel_id == id && r.right_kind == right);
    let mut grants = Grants::default();
    for r in mine {
        grants.roles.extend(r.role);
        grants.teams.extend(r.team_id);
    }
    grants
}

/// Everything the channels admin page shows.
#[tracing::instrument(skip(db))]
pub async fn admin_view(
    db: &DatabaseConnection,
    viewer: Viewer,
    now: DateTime<Utc>,
) -> Result<ChannelsAdmin, AppError> {
    viewer.admin_only()?;
    let setup = queues::admin_view(db, viewer, now).await?;
    let rights = channel_right::Entity::find().all(db).await?;
    let channels = channel::Entity::find()
        .order_by_desc(channel::Column::IsDefault)
        .order_by_asc(channel::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|c| ChannelView {
            queue_name: setup
                .queues
                .iter()
                .find(|q| q.id == c.queue_id)
                .map_or_else(String::new, |q| q.name.clone()),
            use_grants: grants_of(&rights, c.id, ChannelRight::Use),
            operate_grants: grants_of(&rights, c.id, ChannelRight::Operate),
            id: c.id,
            name: c.name,
            active: c.active,
            queue: c.queue_id,
            language: c.language,
            on_behalf: c.on_behalf,
            wrap_up_required: c.wrap_up_required,
            client_files: c.client_files,
            is_default: c.is_default,
            image: c
                .image_key
                .is_some()
                .then(|| image_url(c.id, c.image_version)),
        })
        .collect();
    Ok(ChannelsAdmin {
        channels,
        queues: setup.queues,
        teams: setup.teams,
    })
}

/// What an admin submits for a channel.
#[derive(Debug, Default)]
pub struct ChannelInput<'a> {
    pub name: &'a str,
    pub active: bool,
    pub queue: Option<QueueId>,
    pub language: &'a str,
    pub on_behalf: bool,
    pub wrap_up_required: bool,
    /// Clients may attach files in chats without a deal.
    pub client_files: bool,
    /// Chats start here when the client does not pick (the one default moves here).
    pub make_default: bool,
    pub use_grants: Grants,
    pub operate_grants: Grants,
}

struct ParsedChannel {
    name: String,
    queue: QueueId,
    language: String,
    use_grants: Grants,
    operate_grants: Grants,
}

/// The roles of a grant, each once, all among `allowed` (administrators hold every right
/// already).
fn check_roles(
    roles: &[Role],
    field: &'static str,
    allowed: &[Role],
) -> Result<Vec<Role>, AppError> {
    let mut checked = Vec::new();
    for role in roles {
        if !allowed.contains(role) {
            let names: Vec<&str> = allowed.iter().map(|r| r.label()).collect();
            return Err(AppError::invalid(
                field,
                format!("Only these roles can be chosen here: {}.", names.join(", ")),
            ));
        }
        if !checked.contains(role) {
            checked.push(*role);
        }
    }
    Ok(checked)
}

async fn parse_teams(
    db: &impl ConnectionTrait,
    raw: &[TeamId],
    field: &'static str,
) -> Result<Vec<TeamId>, AppError> {
    let mut teams = Vec::new();
    for id in raw {
        if team::Entity::find_by_id(*id).one(db).await?.is_none() {
            return Err(AppError::invalid(field, "That team does not exist."));
        }
        if !teams.contains(id) {
            teams.push(*id);
        }
    }
    Ok(teams)
}

async fn parse_channel(
    db: &impl ConnectionTrait,
    input: &ChannelInput<'_>,
) -> Result<ParsedChannel, AppError> {
    let name = parse_name(input.name)?;
    let queue = input
        .queue
        .ok_or_else(|| AppError::invalid("queue", "Choose the queue its chats go to."))?;
    if queue::Entity::find_by_id(queue).one(db).await?.is_none() {
        return Err(AppError::invalid("queue", "That queue does not exist."));
    }
    let language = parse_language(input.language).ok_or_else(|| {
        AppError::invalid("language", "Give a language tag such as en, de or pt-BR.")
    })?;
    if input.make_default && !input.active {
        return Err(AppError::invalid(
            "active",
            "The default channel must be active.",
        ));
    }
    // Clients start chats; they never operate one. Teams hold employees, who do not start client
    // chats (they talk to each other in internal chats), so a team may only operate a channel.
    if !input.use_grants.teams.is_empty() {
        return Err(AppError::invalid(
            "use_roles",
            "Teams hold employees, who do not start client chats: choose Clients.",
        ));
    }
    let use_grants = Grants {
        roles: check_roles(&input.use_grants.roles, "use_roles", &[Role::Client])?,
        teams: Vec::new(),
    };
    let operate_grants = Grants {
        roles: check_roles(
            &input.operate_grants.roles,
            "operate_roles",
            &[Role::Manager],
        )?,
        teams: parse_teams(db, &input.operate_grants.teams, "operate_roles").await?,
    };
    Ok(ParsedChannel {
        name,
        queue,
        language,
        use_grants,
        operate_grants,
    })
}

fn name_taken(e: DbErr) -> AppError {
    if is_unique_violation(&e, "channels_name_key", "channels.name") {
        AppError::invalid("name", "That name is taken: choose another.")
    } else {
        e.into()
    }
}

/// An admin creates a channel (`channel_id` None) or changes one. Chats already in it keep
/// going; a new queue applies to chats that start or come back from now on.
#[tracing::instrument(skip(db, input))]
pub async fn save(
    db: &DatabaseConnection,
    viewer: Viewer,
    channel_id: Option<ChannelId>,
    input: ChannelInput<'_>,
) -> Result<ChannelId, AppError> {
    viewer.admin_only()?;
    // Reads, then writes: the write lock from the start, as other admins may save at once.
    let txn = crate::server::platform::db::begin_write(db).await?;
    let parsed = parse_channel(&txn, &input).await?;
    let id = match channel_id {
        Some(id) => {
            let existing = channel::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound)?;
            if existing.is_default && !input.active {
                return Err(AppError::invalid(
                    "active",
                    "The default channel must stay active: make another channel the default first.",
                ));
            }
            let mut row: channel::ActiveModel = existing.into();
            row.name = Set(parsed.name);
            row.active = Set(input.active);
            row.queue_id = Set(parsed.queue);
            row.language = Set(parsed.language);
            row.on_behalf = Set(input.on_behalf);
            row.wrap_up_required = Set(input.wrap_up_required);
            row.client_files = Set(input.client_files);
            row.update(&txn).await.map_err(name_taken)?;
            id
        }
        None => {
            channel::ActiveModel {
                name: Set(parsed.name),
                active: Set(input.active),
                queue_id: Set(parsed.queue),
                language: Set(parsed.language),
                on_behalf: Set(input.on_behalf),
                wrap_up_required: Set(input.wrap_up_required),
                client_files: Set(input.client_files),
                is_default: Set(false),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(name_taken)?
            .id
        }
    };
    channel_right::Entity::delete_many()
        .filter(channel_right::Column::ChannelId.eq(id))
        .exec(&txn)
        .await?;
    for (right, grants) in [
        (ChannelRight::Use, &parsed.use_grants),
        (ChannelRight::Operate, &parsed.operate_grants),
    ] {
        let rows = grants
            .roles
            .iter()
            .map(|role| (Some(*role), None))
            .chain(grants.teams.iter().map(|team| (None, Some(*team))));
        for (role, team_id) in rows {
            channel_right::ActiveModel {
                channel_id: Set(id),
                right_kind: Set(right),
                role: Set(role),
                team_id: Set(team_id),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    if input.make_default {
        // One statement moves the one default: there is never none or two.
        txn.execute_raw(stmt(
            txn.get_database_backend(),
            "UPDATE channels SET is_default = CASE WHEN id = ? THEN TRUE ELSE FALSE END",
            [id.into()],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(id)
}

#[derive(FromQueryResult)]
struct ChoiceRow {
    id: ChannelId,
    name: String,
    is_default: bool,
}

/// The active channels `viewer` may start chats in, the default first.
#[tracing::instrument(skip(db))]
pub async fn usable(
    db: &impl ConnectionTrait,
    viewer: Viewer,
) -> Result<Vec<ChannelChoice>, DbErr> {
    let (grant, values) = if viewer.role == Role::Admin {
        ("1 = 1".to_owned(), vec![])
    } else {
        (
            holds_right_sql(ChannelRight::Use, "ch.id", "?", "?"),
            vec![viewer.role.as_str().into(), viewer.id.into()],
        )
    };
    let rows = ChoiceRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "SELECT ch.id, ch.name, ch.is_default FROM channels ch WHERE ch.active AND {grant} \
             ORDER BY ch.is_default DESC, ch.name"
        ),
        values,
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChannelChoice {
            id: r.id,
            name: r.name,
            is_default: r.is_default,
        })
        .collect())
}

/// The channel a new chat starts in: the one the client picked (404 when they may not use it,
/// a clear refusal when it was closed meanwhile), else the default, else their only one.
pub async fn pick_for_start(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    picked: Option<ChannelId>,
) -> Result<channel::Model, AppError> {
    let open = usable(db, viewer).await?;
    let id = match picked {
        Some(id) => {
            if !open.iter().any(|c| c.id == id) {
                let found = channel::Entity::find_by_id(id).one(db).await?;
                return Err(match found {
                    Some(c) if !c.active && may_use(db, viewer, id).await? => AppError::invalid(
                        "channel",
                        format!("The {} channel is closed: pick another.", c.name),
                    ),
                    _ => AppError::NotFound,
                });
            }
            id
        }
        None => match open.iter().find(|c| c.is_default).or(open.first()) {
            Some(c) if open.len() == 1 || c.is_default => c.id,
            _ => return Err(AppError::invalid("channel", "Choose a channel.")),
        },
    };
    channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether `viewer` holds the use right on the channel, active or not.
async fn may_use(db: &impl ConnectionTrait, viewer: Viewer, id: ChannelId) -> Result<bool, DbErr> {
    if viewer.role == Role::Admin {
        return Ok(true);
    }
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT 1 AS one WHERE {}",
                holds_right_sql(ChannelRight::Use, "?", "?", "?")
            ),
            [id.into(), viewer.role.as_str().into(), viewer.id.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// The chat's channel, if it has one (and it still exists).
async fn find(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<Option<channel::Model>, DbErr> {
    match channel_id {
        Some(id) => channel::Entity::find_by_id(id).one(db).await,
        None => Ok(None),
    }
}

/// The queue the channel's chats go to now (None without a channel).
pub async fn queue_of(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<Option<QueueId>, DbErr> {
    Ok(find(db, channel_id).await?.map(|c| c.queue_id))
}

/// Whether ending a chat of this channel needs a wrap-up note.
pub async fn wrap_up_required(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<bool, DbErr> {
    Ok(find(db, channel_id)
        .await?
        .is_some_and(|c| c.wrap_up_required))
}

/// The channel's language ("en" for a chat without a channel).
pub async fn language_of(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<String, DbErr> {
    Ok(find(db, channel_id)
        .await?
        .map_or_else(|| "en".to_owned(), |c| c.language))
}

/// The name clients read for the staff side: the channel's when it answers in its own name.
pub async fn voice_of(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<Option<String>, DbErr> {
    Ok(find(db, channel_id)
        .await?
        .filter(|c| c.on_behalf)
        .map(|c| c.name))
}

/// The address of the channel's picture when clients read replies in its name and it has one.
pub async fn voice_image_of(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<Option<String>, DbErr> {
    Ok(find(db, channel_id)
        .await?
        .filter(|c| c.on_behalf && c.image_key.is_some())
        .map(|c| image_url(c.id, c.image_version)))
}

/// Whether the channel lets its clients attach files in chats without a deal (a chat without a
/// channel: no).
pub async fn clients_attach(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<bool, DbErr> {
    Ok(find(db, channel_id).await?.is_some_and(|c| c.client_files))
}

/// The channel's name (for refusals that name it).
pub async fn name_of(
    db: &impl ConnectionTrait,
    channel_id: Option<ChannelId>,
) -> Result<String, DbErr> {
    Ok(find(db, channel_id)
        .await?
        .map_or_else(|| "chat".to_owned(), |c| c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_use_channels_and_managers_operate_them() {
        assert_eq!(
            check_roles(&[Role::Client], "use_roles", &[Role::Client]).unwrap(),
            vec![Role::Client]
        );
        assert!(check_roles(&[Role::Client], "operate_roles", &[Role::Manager]).is_err());
        assert!(check_roles(&[Role::Admin], "use_roles", &[Role::Client]).is_err());
        assert_eq!(
            check_roles(
                &[Role::Manager, Role::Manager],
                "operate_roles",
                &[Role::Manager]
            )
            .unwrap(),
            vec![Role::Manager]
        );
    }
}
