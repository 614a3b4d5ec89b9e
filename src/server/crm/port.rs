//! The CRM port: what the app asks of a CRM. The built-in CRM (tables in our own database) is
//! the embedded default; the Zoho adapter implements the same trait, so nothing above it knows
//! which CRM is connected.

use crate::model::crm_rules::{CrmFieldView, CrmModule};
use crate::model::money::Money;
use crate::model::{DealOutcome, DealStage};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A person as the CRM records them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmContact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub company: Option<String>,
}

/// A deal as the CRM records it. `contact_id` is the CRM's own id of the client's contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmDeal {
    pub title: String,
    pub contact_id: String,
    /// The owning manager, matched to a CRM user by email.
    pub owner_email: Option<String>,
    pub stage: DealStage,
    pub amount: Option<Money>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// How a closed deal ended.
    pub outcome: Option<DealOutcome>,
}

/// A file to attach to a CRM deal.
#[derive(Clone, Debug)]
pub struct NewAttachment<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    /// Lower-case hex SHA-256 of `bytes`: the same name and content is attached once.
    pub sha256: &'a str,
    pub bytes: &'a [u8],
}

/// A file attached to a CRM deal, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmAttachment {
    pub id: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// A deal as someone left it in the CRM (its values in the CRM's own terms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteDeal {
    pub id: String,
    /// The CRM's stage value (a pick-list value in Zoho).
    pub stage: String,
    pub amount_minor: Option<i64>,
    pub owner_email: Option<String>,
    pub modified_at: DateTime<Utc>,
}

/// How the connector looks for a record: the first record that matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Case-insensitive, against the module's email field.
    Email(&'a str),
    /// By digits (`accounts::duplicates::phone_key`), against the module's phone field.
    Phone(&'a str),
    /// Equal to a named field's value.
    Field { field: &'a str, value: &'a str },
}

/// A record of a module as the connector reads it: its fields as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrmRecord {
    pub id: String,
    pub owner_email: Option<String>,
    pub fields: BTreeMap<String, String>,
    /// A contact's account (Zoho's `Account_Name` lookup).
    pub account_id: Option<String>,
}

/// A user of the CRM (a record's owner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmUser {
    pub id: String,
    pub email: String,
}

/// Another record a written one points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// A contact's account.
    Account(String),
    /// The lead or contact a task or case is about.
    Person(CrmModule, String),
    /// The deal a task or case belongs to.
    Deal(String),
}

/// The fields (CRM name, text), owner and links of a record to create or update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordWrite {
    pub fields: Vec<(String, String)>,
    pub owner: Option<CrmUser>,
    pub links: Vec<Link>,
}

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    /// Worth retrying: the CRM could not be reached or asked us to slow down.
    #[error("CRM unavailable: {0}")]
    Unavailable(String),
    /// Not worth retrying as is: the CRM refused the request.
    #[error("CRM refused the request: {0}")]
    Rejected(String),
    /// The CRM cannot be used until an admin acts (reconnects it): work waits, nothing is lost.
    #[error("CRM waiting: {0}")]
    Waiting(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl CrmError {
    /// The error for a page that asked the CRM something (`what`, e.g. "for its stages"): the
    /// CRM's failure is a clear 503, the database's its own.
    pub fn asking(self, what: &str) -> crate::model::AppError {
        match self {
            CrmError::Database(db) => db.into(),
            other => {
                let what = if what.is_empty() {
                    String::new()
                } else {
                    format!(" {what}")
                };
                crate::model::AppError::Unavailable(format!(
                    "The CRM could not be asked{what}: {other}"
                ))
            }
        }
    }
}

#[async_trait::async_trait]
pub trait CrmPort: Send + Sync {
    /// Short stable name, stored with every CRM id we keep (`builtin`, `zoho`).
    fn provider(&self) -> &'static str;

    /// The CRM's stage value for a deal at `stage` (closed with `outcome`, if closed).
    fn stage_value(&self, stage: DealStage, outcome: Option<DealOutcome>) -> String {
        match outcome {
            Some(o) => o.as_str().to_owned(),
            None => stage.as_str().to_owned(),
        }
    }

    /// Our stage for the CRM's stage value; None for a value that means none of ours.
    fn stage_of(&self, value: &str) -> Option<DealStage> {
        DealStage::parse(value)
    }

    /// The CRM's deal stages, in its order; None for a CRM whose stages are ours (built-in).
    async fn stage_choices(&self) -> Result<Option<Vec<String>>, CrmError> {
        Ok(None)
    }

    /// Deals changed in the CRM after `since`, oldest change first, at most `limit`. A CRM only
    /// this app writes (the built-in one) has none.
    async fn deals_changed_since(
        &self,
        _since: DateTime<Utc>,
        _limit: usize,
    ) -> Result<Vec<RemoteDeal>, CrmError> {
        Ok(Vec::new())
    }

    async fn find_contact_by_email(&self, email: &str) -> Result<Option<String>, CrmError>;

    async fn create_contact(&self, contact: &CrmContact) -> Result<String, CrmError>;

    async fn create_deal(&self, deal: &CrmDeal) -> Result<String, CrmError>;

    async fn update_deal(&self, id: &str, deal: &CrmDeal) -> Result<(), CrmError>;

    async fn get_deal(&self, id: &str) -> Result<Option<CrmDeal>, CrmError>;

    /// Adds a note to a deal; returns the note's CRM id.
    async fn add_deal_note(&self, deal_id: &str, body: &str) -> Result<String, CrmError>;

    /// The deal's notes, oldest first (what an operator reading the CRM record sees).
    async fn deal_notes(&self, deal_id: &str) -> Result<Vec<String>, CrmError>;

    /// Attaches a file to a deal; returns the attachment's CRM id. Idempotent: when the deal
    /// already has an attachment of this name and content, that one's id is returned, so a
    /// delivery repeated after a crash attaches once.
    async fn attach_to_deal(
        &self,
        deal_id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError>;

    /// Removes an attachment from a deal; one already gone is not an error.
    async fn remove_deal_attachment(
        &self,
        deal_id: &str,
        attachment_id: &str,
    ) -> Result<(), CrmError>;

    /// The deal's attachments, oldest first.
    async fn deal_attachments(&self, deal_id: &str) -> Result<Vec<CrmAttachment>, CrmError>;

    /// A module's fields that the connector may write or match on.
    async fn module_fields(&self, module: CrmModule) -> Result<Vec<CrmFieldView>, CrmError>;

    /// The first record of `module` that `lookup` matches.
    async fn find_record(
        &self,
        module: CrmModule,
        lookup: Lookup<'_>,
    ) -> Result<Option<CrmRecord>, CrmError>;

    /// A record by its id; None when it is gone.
    async fn get_record(&self, module: CrmModule, id: &str) -> Result<Option<CrmRecord>, CrmError>;

    /// Creates a record; returns its id.
    async fn create_record(
        &self,
        module: CrmModule,
        record: &RecordWrite,
    ) -> Result<String, CrmError>;

    /// Writes the given fields (and owner and links) of a record.
    async fn update_record(
        &self,
        module: CrmModule,
        id: &str,
        record: &RecordWrite,
    ) -> Result<(), CrmError>;

    /// Attaches a file to a record (idempotent by name and content, as `attach_to_deal`).
    async fn attach_to_record(
        &self,
        module: CrmModule,
        id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError>;

    /// Where a person reads the record in the CRM's own pages (None: the CRM has none).
    async fn record_url(&self, _module: CrmModule, _id: &str) -> Result<Option<String>, CrmError> {
        Ok(None)
    }

    /// The owner rule: the CRM user with the agent's email, else the user who connected the
    /// CRM (None: the CRM picks, as it does for a record sent without an owner).
    async fn owner_for(&self, agent_email: Option<&str>) -> Result<Option<CrmUser>, CrmError>;
}
