//! The quick replies admin page's changes, and the replies an operator is offered in a chat:
//! of the chat's channel language, for every operator or a team of theirs, filled in for it.

use crate::model::AppError;
use crate::model::channels::parse_language;
use crate::model::ids::{ConversationId, QuickReplyId, TeamId};
use crate::model::label::clean;
use crate::model::quick_replies::{
    FilledReply, Filling, QuickRepliesAdmin, QuickReplyView, fill, same_language,
    unknown_placeholders,
};
use crate::server::access::{Viewer, load};
use crate::server::accounts::service::display_name;
use crate::server::channels::service as channels;
use crate::server::deals::service as deals;
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::{quick_reply, team, team_member};
use crate::server::queues::service as queues;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

/// Longest title, and longest text, of a quick reply.
pub const MAX_TITLE_CHARS: usize = 60;
pub const MAX_BODY_CHARS: usize = 2000;

/// A quick reply's text: trimmed, 1–2000 characters, only known placeholders.
pub fn parse_body(raw: &str) -> Result<String, AppError> {
    let body = raw.trim();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::invalid(
            "body",
            format!("Write a text of 1 to {MAX_BODY_CHARS} characters."),
        ));
    }
    let unknown = unknown_placeholders(body);
    if !unknown.is_empty() {
        let named: Vec<String> = unknown.iter().map(|u| format!("{{{u}}}")).collect();
        return Err(AppError::invalid(
            "body",
            format!(
                "Unknown placeholder {}: use {{client_name}}, {{agent_name}} or {{deal_title}}.",
                named.join(", ")
            ),
        ));
    }
    Ok(body.to_owned())
}

fn parse_title(raw: &str) -> Result<String, AppError> {
    let title = clean(raw);
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::invalid(
            "title",
            format!("Give a title of 1 to {MAX_TITLE_CHARS} characters."),
        ));
    }
    Ok(title)
}

/// Every quick reply and the teams, for the admin page.
#[tracing::instrument(skip(db))]
pub async fn admin_view(
    db: &DatabaseConnection,
    viewer: Viewer,
    gone_before: DateTime<Utc>,
) -> Result<QuickRepliesAdmin, AppError> {
    viewer.admin_only()?;
    let teams = queues::admin_view(db, viewer, gone_before).await?.teams;
    let replies = quick_reply::Entity::find()
        .order_by_asc(quick_reply::Column::Language)
        .order_by_asc(quick_reply::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .map(|r| QuickReplyView {
            team_name: r
                .team_id
                .and_then(|id| teams.iter().find(|t| t.id == id))
                .map(|t| t.name.clone()),
            id: r.id,
            title: r.title,
            body: r.body,
            language: r.language,
            team: r.team_id,
        })
        .collect();
    Ok(QuickRepliesAdmin { replies, teams })
}

/// What an admin submits for a quick reply.
#[derive(Debug)]
pub struct ReplyInput<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub language: &'a str,
    pub team: Option<TeamId>,
}

/// An admin creates a quick reply (`id` None) or changes one.
#[tracing::instrument(skip(db, input))]
pub async fn save(
    db: &DatabaseConnection,
    viewer: Viewer,
    id: Option<QuickReplyId>,
    input: ReplyInput<'_>,
) -> Result<QuickReplyId, AppError> {
    viewer.admin_only()?;
    let title = parse_title(input.title)?;
    let body = parse_body(input.body)?;
    let language = parse_language(input.language).ok_or_else(|| {
        AppError::invalid("language", "Give a language tag such as en, de or pt-BR.")
    })?;
    if let Some(team) = input.team
        && team::Entity::find_by_id(team).one(db).await?.is_none()
    {
        return Err(AppError::invalid("team_id", "That team does not exist."));
    }
    let taken = |e: sea_orm::DbErr| {
        if is_unique_violation(
            &e,
            "ux_quick_replies_title",
            "quick_replies.language, quick_replies.title",
        ) {
            AppError::invalid("title", "A quick reply of this language has that title.")
        } else {
            e.into()
        }
    };
    let saved = match id {
        Some(id) => {
            let existing = quick_reply::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut row: quick_reply::ActiveModel = existing.into();
            row.title = Set(title);
            row.body = Set(body);
            row.language = Set(language);
            row.team_id = Set(input.team);
            row.update(db).await.map_err(taken)?
        }
        None => quick_reply::ActiveModel {
            title: Set(title),
            body: Set(body),
            language: Set(language),
            team_id: Set(input.team),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .map_err(taken)?,
    };
    Ok(saved.id)
}

/// An admin deletes a quick reply.
#[tracing::instrument(skip(db))]
pub async fn delete(
    db: &DatabaseConnection,
    viewer: Viewer,
    id: QuickReplyId,
) -> Result<(), AppError> {
    viewer.admin_only()?;
    let gone = quick_reply::Entity::delete_by_id(id).exec(db).await?;
    if gone.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The quick replies the chat's operator may use in it, filled in for it: of the chat's channel
/// language, for every operator or a team of theirs, by title. 404 for who may not read the
/// chat, 403 for who may not reply in it.
#[tracing::instrument(skip(db))]
pub async fn for_chat(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<Vec<FilledReply>, AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    if !can.reply || !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let language = channels::language_of(db, conv.channel_id).await?;
    let my_teams: Vec<TeamId> = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(viewer.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    let deal_title = match conv.deal_id {
        Some(id) => deals::view(db, id).await?.map(|d| d.title),
        None => None,
    };
    let filling = Filling {
        client_name: match conv.client_id {
            Some(id) => display_name(db, id).await?,
            None => String::new(),
        },
        agent_name: display_name(db, viewer.id).await?,
        deal_title: deal_title.unwrap_or_else(|| conv.subject.clone()),
    };
    Ok(quick_reply::Entity::find()
        .order_by_asc(quick_reply::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .filter(|r| same_language(&r.language, &language))
        .filter(|r| r.team_id.is_none_or(|t| my_teams.contains(&t)))
        .map(|r| FilledReply {
            id: r.id,
            title: r.title,
            text: fill(&r.body, &filling),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_with_an_unknown_placeholder_is_refused_by_name() {
        let refused = parse_body("Your {price} by {date}").unwrap_err();
        assert_eq!(
            refused,
            AppError::invalid(
                "body",
                "Unknown placeholder {price}, {date}: use {client_name}, {agent_name} or {deal_title}."
            )
        );
        assert_eq!(
            parse_body("  Hello {client_name} ").unwrap(),
            "Hello {client_name}"
        );
        assert!(parse_body("   ").is_err());
        assert!(parse_body(&"x".repeat(MAX_BODY_CHARS + 1)).is_err());
    }
}
