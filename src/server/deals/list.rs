//! The staff's Deals page: the deals whose chats the reader may read (administrators: all;
//! managers: those whose chat they hold or operated before), searched by title or client,
//! filtered by stage, state and owner, newest first.

use crate::model::deal_list::{DEALS_SHOWN, DealRow, DealState, DealsPage, OwnerChoice};
use crate::model::ids::{ConversationId, DealId, UserId};
use crate::model::{AppError, DealOutcome, DealStage, Role};
use crate::server::access::Viewer;
use crate::server::deals::service::stored_amount;
use crate::server::platform::db::like_contains;
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

/// What the reader asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DealFilter {
    /// Part of the title or of the client's name, any case.
    pub text: String,
    pub stage: Option<DealStage>,
    pub state: DealState,
    pub owner: Option<UserId>,
}

impl DealFilter {
    /// The filter as the page's form sends it; a clear error for a value not offered.
    pub fn parse(
        text: Option<&str>,
        stage: Option<&str>,
        state: Option<&str>,
        owner: Option<UserId>,
    ) -> Result<DealFilter, AppError> {
        fn blank(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        let text = blank(text).unwrap_or("");
        if text.chars().count() > 200 {
            return Err(AppError::invalid("q", "Search for at most 200 characters."));
        }
        let stage = blank(stage)
            .map(|s| {
                DealStage::parse(s).ok_or_else(|| AppError::invalid("stage", "Choose a stage."))
            })
            .transpose()?;
        let state = blank(state)
            .map(|s| {
                DealState::parse(s)
                    .ok_or_else(|| AppError::invalid("state", "Choose open, closed or all."))
            })
            .transpose()?
            .unwrap_or_default();
        Ok(DealFilter {
            text: text.to_owned(),
            stage,
            state,
            owner,
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: DealId,
    title: String,
    stage: DealStage,
    outcome: Option<DealOutcome>,
    amount_minor: Option<i64>,
    currency: Option<String>,
    client_name: Option<String>,
    owner_name: Option<String>,
    conversation_id: Option<ConversationId>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, FromQueryResult)]
struct Owner {
    id: UserId,
    name: String,
}

/// Which deals the reader may see, as SQL over `d` (deals) and `c` (its chat), and its values.
pub fn visible(viewer: Viewer) -> Result<(&'static str, Vec<Value>), AppError> {
    match viewer.role {
        Role::Admin => Ok(("1 = 1", Vec::new())),
        Role::Manager => Ok((
            "(c.assignee_id = ? OR c.id IN \
              (SELECT os.conversation_id FROM operator_sessions os WHERE os.operator_id = ?))",
            vec![viewer.id.into(), viewer.id.into()],
        )),
        Role::Client => Err(AppError::Forbidden),
    }
}

/// The Deals page for `viewer` (403 for clients).
#[tracing::instrument(skip(db))]
pub async fn page(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    filter: &DealFilter,
) -> Result<DealsPage, AppError> {
    let (visible_sql, visible_values) = visible(viewer)?;
    let backend = db.get_database_backend();
    let mut sql = format!(
        "SELECT d.id, d.title, d.stage, d.outcome, d.amount_minor, d.currency, \
                cu.display_name AS client_name, ou.display_name AS owner_name, \
                c.id AS conversation_id, d.created_at, d.closed_at \
         FROM deals d \
         LEFT JOIN conversations c ON c.deal_id = d.id \
         LEFT JOIN users cu ON cu.id = d.client_id \
         LEFT JOIN users ou ON ou.id = d.owner_id \
         WHERE {visible_sql}"
    );
    let mut values = visible_values.clone();
    if !filter.text.is_empty() {
        let pattern = like_contains(&filter.text);
        sql.push_str(
            " AND (LOWER(d.title) LIKE ? ESCAPE '\\' OR LOWER(cu.display_name) LIKE ? ESCAPE '\\')",
        );
        values.extend([pattern.clone().into(), pattern.into()]);
    }
    if let Some(stage) = filter.stage {
        sql.push_str(" AND d.stage = ?");
        values.push(stage.as_str().into());
    }
    match filter.state {
        DealState::Open => sql.push_str(" AND d.closed_at IS NULL"),
        DealState::Closed => sql.push_str(" AND d.closed_at IS NOT NULL"),
        DealState::All => {}
    }
    if let Some(owner) = filter.owner {
        sql.push_str(" AND d.owner_id = ?");
        values.push(owner.into());
    }
    // One more than shown tells whether there are more.
    sql.push_str(&format!(" ORDER BY d.id DESC LIMIT {}", DEALS_SHOWN + 1));
    let mut rows = Row::find_by_statement(stmt(backend, &sql, values))
        .all(db)
        .await?;
    let more = rows.len() > DEALS_SHOWN;
    rows.truncate(DEALS_SHOWN);
    let owners = Owner::find_by_statement(stmt(
        backend,
        &format!(
            "SELECT DISTINCT ou.id, ou.display_name AS name FROM deals d \
             LEFT JOIN conversations c ON c.deal_id = d.id \
             JOIN users ou ON ou.id = d.owner_id \
             WHERE {visible_sql} ORDER BY name"
        ),
        visible_values,
    ))
    .all(db)
    .await?;
    Ok(DealsPage {
        deals: rows
            .into_iter()
            .map(|r| DealRow {
                amount: stored_amount(r.id, r.amount_minor, r.currency.as_deref()),
                id: r.id,
                title: r.title,
                stage: r.stage,
                outcome: r.outcome,
                client_name: r.client_name.unwrap_or_else(|| "Former client".into()),
                owner_name: r.owner_name,
                conversation_id: r.conversation_id,
                created_at_ms: r.created_at.timestamp_millis(),
                closed_at_ms: r.closed_at.map(|t| t.timestamp_millis()),
            })
            .collect(),
        more,
        owners: owners
            .into_iter()
            .map(|o| OwnerChoice {
                id: o.id,
                name: o.name,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_read_or_refused_by_field() {
        let all = DealFilter::parse(Some(" roof "), Some("proposal"), Some("all"), None).unwrap();
        assert_eq!(all.text, "roof");
        assert_eq!(all.stage, Some(DealStage::Proposal));
        assert_eq!(all.state, DealState::All);
        let blank = DealFilter::parse(Some(""), Some(""), None, None).unwrap();
        assert_eq!(blank, DealFilter::default());
        assert_eq!(blank.state, DealState::Open, "open deals unless asked");
        let bad_stage = DealFilter::parse(None, Some("won"), None, None).unwrap_err();
        assert!(bad_stage.for_field("stage").is_some());
        let bad_state = DealFilter::parse(None, None, Some("gone"), None).unwrap_err();
        assert!(bad_state.for_field("state").is_some());
        let long = "x".repeat(201);
        assert!(DealFilter::parse(Some(&long), None, None, None).is_err());
    }

    #[test]
    fn clients_have_no_deals_page() {
        let client = Viewer {
            id: UserId(1),
            role: Role::Client,
        };
        assert_eq!(visible(client).unwrap_err(), AppError::Forbidden);
    }
}
