//! The built-in CRM: contacts and deals kept in this app's own database (tables `crm_contacts`
//! and `crm_deals`), and the connector's leads, accounts, tasks and cases (`records`), so the
//! product runs alone on one machine with a CRM behind it.

pub mod records;

use crate::model::crm_rules::{CrmFieldView, CrmModule};
use crate::model::money::{Currency, Money};
use crate::server::crm::port::{
    CrmAttachment, CrmContact, CrmDeal, CrmError, CrmPort, CrmRecord, CrmUser, Lookup,
    NewAttachment, RecordWrite,
};
use crate::server::platform::entities::{crm_attachment, crm_contact, crm_deal, crm_note};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

pub struct BuiltinCrm {
    db: DatabaseConnection,
}

impl BuiltinCrm {
    pub fn new(db: DatabaseConnection) -> BuiltinCrm {
        BuiltinCrm { db }
    }
}

fn parse_id(id: &str) -> Result<i64, CrmError> {
    id.parse()
        .map_err(|_| CrmError::Rejected(format!("`{id}` is not a built-in CRM id")))
}

fn deal_columns(deal: &CrmDeal) -> Result<crm_deal::ActiveModel, CrmError> {
    Ok(crm_deal::ActiveModel {
        title: Set(deal.title.clone()),
        contact_id: Set(parse_id(&deal.contact_id)?),
        owner_email: Set(deal.owner_email.clone()),
        stage: Set(deal.stage),
        amount_minor: Set(deal.amount.map(|m| m.minor)),
        currency: Set(deal.amount.map(|m| m.currency.as_str().to_owned())),
        created_at: Set(deal.created_at),
        closed_at: Set(deal.closed_at),
        outcome: Set(deal.outcome),
        ..Default::default()
    })
}

#[async_trait::async_trait]
impl CrmPort for BuiltinCrm {
    fn provider(&self) -> &'static str {
        "builtin"
    }

    async fn find_contact_by_email(&self, email: &str) -> Result<Option<String>, CrmError> {
        Ok(crm_contact::Entity::find()
            .filter(crm_contact::Column::Email.eq(email.to_lowercase()))
            .one(&self.db)
            .await?
            .map(|c| c.id.to_string()))
    }

    async fn create_contact(&self, contact: &CrmContact) -> Result<String, CrmError> {
        let row = crm_contact::ActiveModel {
            name: Set(contact.name.clone()),
            email: Set(contact.email.to_lowercase()),
            phone: Set(contact.phone.clone()),
            company: Set(contact.company.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(row.id.to_string())
    }

    async fn create_deal(&self, deal: &CrmDeal) -> Result<String, CrmError> {
        let row = deal_columns(deal)?.insert(&self.db).await?;
        Ok(row.id.to_string())
    }

    async fn update_deal(&self, id: &str, deal: &CrmDeal) -> Result<(), CrmError> {
        let mut row = deal_columns(deal)?;
        row.id = Set(parse_id(id)?);
        row.update(&self.db).await.map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => CrmError::Rejected(format!("no deal {id}")),
            e => e.into(),
        })?;
        Ok(())
    }

    async fn get_deal(&self, id: &str) -> Result<Option<CrmDeal>, CrmError> {
        let Some(row) = crm_deal::Entity::find_by_id(parse_id(id)?)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let amount = match (row.amount_minor, row.currency.as_deref()) {
            (Some(minor), Some(code)) => Currency::parse(code)
                .ok()
                .map(|currency| Money { minor, currency }),
            _ => None,
        };
        Ok(Some(CrmDeal {
            title: row.title,
            contact_id: row.contact_id.to_string(),
            owner_email: row.owner_email,
            stage: row.stage,
            amount,
            created_at: row.created_at,
            closed_at: row.closed_at,
            outcome: row.outcome,
        }))
    }

    async fn add_deal_note(&self, deal_id: &str, body: &str) -> Result<String, CrmError> {
        let deal_id = parse_id(deal_id)?;
        if crm_deal::Entity::find_by_id(deal_id)
            .one(&self.db)
            .await?
            .is_none()
        {
            return Err(CrmError::Rejected(format!("no deal {deal_id}")));
        }
        let row = crm_note::ActiveModel {
            deal_id: Set(deal_id),
            body: Set(body.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(row.id.to_string())
    }

    async fn deal_notes(&self, deal_id: &str) -> Result<Vec<String>, CrmError> {
        Ok(crm_note::Entity::find()
            .filter(crm_note::Column::DealId.eq(parse_id(deal_id)?))
            .order_by_asc(crm_note::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| n.body)
            .collect())
    }

    async fn attach_to_deal(
        &self,
        deal_id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        let deal_id = parse_id(deal_id)?;
        if crm_deal::Entity::find_by_id(deal_id)
            .one(&self.db)
            .await?
            .is_none()
        {
            return Err(CrmError::Rejected(format!("no deal {deal_id}")));
        }
        let same = crm_attachment::Entity::find()
            .filter(crm_attachment::Column::DealId.eq(deal_id))
            .filter(crm_attachment::Column::FileName.eq(file.file_name))
            .filter(crm_attachment::Column::Sha256.eq(file.sha256))
            .select_only()
            .column(crm_attachment::Column::Id)
            .into_tuple::<i64>()
            .one(&self.db)
            .await?;
        if let Some(id) = same {
            return Ok(id.to_string());
        }
        let row = crm_attachment::ActiveModel {
            deal_id: Set(deal_id),
            file_name: Set(file.file_name.to_owned()),
            content_type: Set(file.content_type.to_owned()),
            size: Set(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX)),
            sha256: Set(file.sha256.to_owned()),
            body: Set(file.bytes.to_vec()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(row.id.to_string())
    }

    async fn remove_deal_attachment(
        &self,
        deal_id: &str,
        attachment_id: &str,
    ) -> Result<(), CrmError> {
        crm_attachment::Entity::delete_many()
            .filter(crm_attachment::Column::DealId.eq(parse_id(deal_id)?))
            .filter(crm_attachment::Column::Id.eq(parse_id(attachment_id)?))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn deal_attachments(&self, deal_id: &str) -> Result<Vec<CrmAttachment>, CrmError> {
        let rows: Vec<(i64, String, i64, String, chrono::DateTime<Utc>)> =
            crm_attachment::Entity::find()
                .filter(crm_attachment::Column::DealId.eq(parse_id(deal_id)?))
                .order_by_asc(crm_attachment::Column::Id)
                .select_only()
                .columns([
                    crm_attachment::Column::Id,
                    crm_attachment::Column::FileName,
                    crm_attachment::Column::Size,
                    crm_attachment::Column::Sha256,
                    crm_attachment::Column::CreatedAt,
                ])
                .into_tuple()
                .all(&self.db)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, file_name, size, sha256, created_at)| CrmAttachment {
                id: id.to_string(),
                file_name,
                size,
                sha256,
                created_at,
            })
            .collect())
    }

    async fn module_fields(&self, module: CrmModule) -> Result<Vec<CrmFieldView>, CrmError> {
        Ok(records::fields(module))
    }

    async fn find_record(
        &self,
        module: CrmModule,
        lookup: Lookup<'_>,
    ) -> Result<Option<CrmRecord>, CrmError> {
        records::find(&self.db, module, lookup).await
    }

    async fn get_record(&self, module: CrmModule, id: &str) -> Result<Option<CrmRecord>, CrmError> {
        records::get(&self.db, module, id).await
    }

    async fn create_record(
        &self,
        module: CrmModule,
        record: &RecordWrite,
    ) -> Result<String, CrmError> {
        records::create(&self.db, module, record).await
    }

    async fn update_record(
        &self,
        module: CrmModule,
        id: &str,
        record: &RecordWrite,
    ) -> Result<(), CrmError> {
        records::update(&self.db, module, id, record).await
    }

    async fn attach_to_record(
        &self,
        module: CrmModule,
        id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        records::attach(&self.db, module, id, file).await
    }

    async fn owner_for(&self, agent_email: Option<&str>) -> Result<Option<CrmUser>, CrmError> {
        records::owner_for(&self.db, agent_email).await
    }
}
