//! Where each kind of linkable record lives: how it is searched (narrowed by a parent record
//! where its kind allows it), named, and opened. The kinds themselves are rows of
//! `record_link_types`; a row whose name has no source here is not offered (and logged).
//!
//! The built-in CRM's accounts and contacts, and the app's deals (whose page is `/deals/:id`).
//! A deal belongs to an account through its client's contact, or through the CRM deal the sync
//! made of it (`crm_refs`, provider `builtin`).

use crate::model::AppError;
use crate::model::record_link::{RecordChoice, RecordRef};
use crate::server::access::Viewer;
use crate::server::deals::list::visible;
use crate::server::platform::db::like_contains;
use crate::server::realtime::changes::{one_of, stmt};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

/// The most records a picker offers at once (searching finds the others).
pub const CHOICES_SHOWN: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Account,
    Contact,
    Deal,
}

/// The account a deal `d` belongs to is `?`: through its client's contact or its CRM deal.
const DEAL_IN_ACCOUNT: &str = "(EXISTS (SELECT 1 FROM crm_refs r \
       JOIN crm_contacts rc ON r.remote_id = CAST(rc.id AS TEXT) \
       WHERE r.provider = 'builtin' AND r.entity = 'user' AND r.entity_id = d.client_id \
       AND rc.account_id = ?) \
     OR EXISTS (SELECT 1 FROM crm_refs r \
       JOIN crm_deals rd ON r.remote_id = CAST(rd.id AS TEXT) \
       JOIN crm_contacts rc ON rc.id = rd.contact_id \
       WHERE r.provider = 'builtin' AND r.entity = 'deal' AND r.entity_id = d.id \
       AND rc.account_id = ?))";

#[derive(FromQueryResult)]
struct Found {
    id: i64,
    title: String,
    detail: Option<String>,
}

impl Source {
    pub fn of(kind: &str) -> Option<Source> {
        match kind {
            "account" => Some(Source::Account),
            "contact" => Some(Source::Contact),
            "deal" => Some(Source::Deal),
            _ => None,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Source::Account => "account",
            Source::Contact => "contact",
            Source::Deal => "deal",
        }
    }

    /// Where this kind's records are: their table, the alias the queries here give it, and the
    /// column that names a record.
    fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Source::Account => ("crm_accounts", "a", "account_name"),
            Source::Contact => ("crm_contacts", "k", "name"),
            Source::Deal => ("deals", "d", "title"),
        }
    }

    /// The record's page in the app, where there is one.
    pub fn href(self, id: &str) -> Option<String> {
        match self {
            Source::Deal => Some(format!("/deals/{id}")),
            Source::Account | Source::Contact => None,
        }
    }

    /// The records of this kind `viewer` (staff) may link, whose name holds `search`, under
    /// `parent` when given. `ids`, when given, narrows to those records (to name links).
    async fn query(
        self,
        db: &impl ConnectionTrait,
        viewer: Viewer,
        search: &str,
        parent: Option<(Source, i64)>,
        ids: Option<&[i64]>,
    ) -> Result<Vec<RecordChoice>, AppError> {
        let pattern = like_contains(search.trim());
        let mut values: Vec<Value> = Vec::new();
        let (table, alias, title) = self.table();
        let mut sql = match self {
            Source::Account => format!(
                "SELECT a.id, a.{title} AS title, a.website AS detail FROM {table} a WHERE 1 = 1"
            ),
            Source::Contact => format!(
                "SELECT k.id, k.{title} AS title, k.email AS detail FROM {table} k WHERE 1 = 1"
            ),
            Source::Deal => {
                let (visible_sql, visible_values) = visible(viewer)?;
                values.extend(visible_values);
                format!(
                    "SELECT DISTINCT d.id, d.{title} AS title, cu.display_name AS detail \
                     FROM {table} d LEFT JOIN conversations c ON c.deal_id = d.id \
                     LEFT JOIN users cu ON cu.id = d.client_id WHERE {visible_sql}"
                )
            }
        };
        if !search.trim().is_empty() {
            sql.push_str(&format!(" AND LOWER({alias}.{title}) LIKE ? ESCAPE '\\'"));
            values.push(pattern.into());
        }
        match (self, parent) {
            (_, None) => {}
            (Source::Contact, Some((Source::Account, account))) => {
                sql.push_str(" AND k.account_id = ?");
                values.push(account.into());
            }
            (Source::Deal, Some((Source::Account, account))) => {
                sql.push_str(&format!(" AND {DEAL_IN_ACCOUNT}"));
                values.extend([account.into(), account.into()]);
            }
            (_, Some((parent, _))) => {
                return Err(AppError::invalid(
                    "parent_kind",
                    format!("A {} cannot narrow {}s.", parent.kind(), self.kind()),
                ));
            }
        }
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let (is_one, ids) = one_of(
                db.get_database_backend(),
                &format!("{alias}.id"),
                ids.iter().map(|id| Value::from(*id)),
            );
            sql.push_str(&format!(" AND {is_one}"));
            values.extend(ids);
        }
        // By name, then id: the first two columns (by position, which both databases read alike
        // after a DISTINCT over joined tables).
        sql.push_str(&format!(" ORDER BY 2, 1 LIMIT {CHOICES_SHOWN}"));
        let rows = Found::find_by_statement(stmt(db.get_database_backend(), &sql, values))
            .all(db)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|f| RecordChoice {
                record: RecordRef {
                    kind: self.kind().to_owned(),
                    id: f.id.to_string(),
                },
                title: f.title,
                detail: f.detail.filter(|d| !d.is_empty()),
            })
            .collect())
    }

    /// The picker's choices.
    pub async fn search(
        self,
        db: &impl ConnectionTrait,
        viewer: Viewer,
        search: &str,
        parent: Option<(Source, i64)>,
    ) -> Result<Vec<RecordChoice>, AppError> {
        self.query(db, viewer, search, parent, None).await
    }

    /// The record `id` if `viewer` may link it (404 otherwise: it is not theirs to see).
    pub async fn find(
        self,
        db: &impl ConnectionTrait,
        viewer: Viewer,
        id: &str,
    ) -> Result<RecordChoice, AppError> {
        let id = numeric(id).ok_or(AppError::NotFound)?;
        self.query(db, viewer, "", None, Some(&[id]))
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    /// The names of records `ids` as they are now, whoever reads them (the chat's members see
    /// what their admin linked); a deleted record is missing from the answer.
    pub async fn titles(
        self,
        db: &impl ConnectionTrait,
        ids: &[String],
    ) -> Result<Vec<(String, String)>, DbErr> {
        let ids: Vec<i64> = ids.iter().filter_map(|id| numeric(id)).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (table, _, title) = self.table();
        let backend = db.get_database_backend();
        let (is_one, values) = one_of(backend, "id", ids.into_iter().map(Value::from));
        let rows = Found::find_by_statement(stmt(
            backend,
            &format!("SELECT id, {title} AS title, NULL AS detail FROM {table} WHERE {is_one}"),
            values,
        ))
        .all(db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|f| (f.id.to_string(), f.title))
            .collect())
    }
}

impl Source {
    /// The app's user who is the record's contact: a deal's client, the user a contact was made
    /// of; an account has no one contact.
    pub async fn person(
        self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<crate::model::ids::UserId>, DbErr> {
        #[derive(FromQueryResult)]
        struct Person {
            user_id: crate::model::ids::UserId,
        }
        let sql = match self {
            Source::Deal => "SELECT client_id AS user_id FROM deals WHERE id = ?",
            Source::Contact => {
                "SELECT entity_id AS user_id FROM crm_refs \
                 WHERE provider = 'builtin' AND entity = 'user' AND remote_id = ?"
            }
            Source::Account => return Ok(None),
        };
        let value: Value = match self {
            Source::Deal => match numeric(id) {
                Some(n) => n.into(),
                None => return Ok(None),
            },
            _ => id.to_owned().into(),
        };
        Ok(
            Person::find_by_statement(stmt(db.get_database_backend(), sql, [value]))
                .one(db)
                .await?
                .map(|p| p.user_id),
        )
    }
}

/// The built-in CRM's and the app's ids are numbers; any other id names no record here.
fn numeric(id: &str) -> Option<i64> {
    id.parse().ok().filter(|id| *id > 0)
}
