//! Zoho CRM (REST v8) behind the `CrmPort`: contacts, deals, notes and attachments.
//!
//! Every call goes through `ZohoApi` (tokens, retries, the concurrency limit). Writes send one
//! record and read its own outcome; a duplicate contact (a unique Email) is the contact we were
//! looking for, found late because Zoho's search index lags behind its writes.

use crate::model::crm_rules::{CrmFieldView, CrmModule, OWNER};
use crate::model::money::Money;
use crate::model::{DealOutcome, DealStage};
use crate::server::accounts::duplicates::phone_key;
use crate::server::crm::port::{
    CrmAttachment, CrmContact, CrmDeal, CrmError, CrmPort, CrmRecord, CrmUser, Link, Lookup,
    NewAttachment, RecordWrite, RemoteDeal,
};
use crate::server::crm::rules::split_name;
use crate::server::crm::stage_map::StageMap;
use crate::server::crm::zoho::api::{Answer, ZohoApi, ZohoError, zoho_host};
use crate::server::crm::zoho::records::{
    RecordError, first_result, id_text, minor_field, records, time_field,
};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The CRM users (id, email) are read at most this often, for the owner rule.
const USERS_FOR: Duration = Duration::minutes(5);

/// A deal with no closing date yet is expected to close this long after it opened (Zoho's
/// standard layout requires `Closing_Date`).
const EXPECTED_CLOSE: Duration = Duration::days(30);

/// The CRM's active users as (id, lower-case email), and when they were read.
type Users = Option<(DateTime<Utc>, Vec<(String, String)>)>;

pub struct ZohoCrm {
    api: Arc<ZohoApi>,
    /// The admin's mapping (`crm_configs`), set by `Crms::current` before each use.
    stages: std::sync::RwLock<StageMap>,
    users: Mutex<Users>,
}

impl From<ZohoError> for CrmError {
    fn from(e: ZohoError) -> Self {
        match e {
            ZohoError::NotConnected | ZohoError::ReconnectNeeded(_) => {
                CrmError::Waiting(e.to_string())
            }
            ZohoError::Unavailable(_) => CrmError::Unavailable(e.to_string()),
            ZohoError::Refused { .. } => CrmError::Rejected(e.to_string()),
            ZohoError::Database(db) => CrmError::Database(db),
        }
    }
}

impl From<RecordError> for CrmError {
    fn from(e: RecordError) -> Self {
        CrmError::Rejected(e.to_string())
    }
}

/// Pages of 200 read per poll at most; the rest waits for the next poll.
const MAX_POLL_PAGES: usize = 10;

/// A deal of a list answer, as the poller reads it.
fn remote_deal(r: &Value) -> Option<RemoteDeal> {
    Some(RemoteDeal {
        id: id_text(r.get("id"))?,
        stage: r.get("Stage")?.as_str()?.to_owned(),
        amount_minor: minor_field(r, "Amount"),
        owner_email: r
            .get("Owner")
            .and_then(|o| o.get("email"))
            .and_then(Value::as_str)
            .map(str::to_lowercase),
        modified_at: time_field(r, "Modified_Time")?,
    })
}

/// A money amount as Zoho's currency field takes it (a decimal number).
fn amount_value(m: &Money) -> Value {
    serde_json::Number::from_f64(m.minor as f64 / 100.0).map_or(Value::Null, Value::Number)
}

impl ZohoCrm {
    pub fn new(api: Arc<ZohoApi>) -> ZohoCrm {
        ZohoCrm {
            api,
            stages: std::sync::RwLock::new(StageMap::zoho_standard()),
            users: Mutex::new(None),
        }
    }

    /// Uses `map` from now on.
    pub fn set_stages(&self, map: StageMap) {
        if let Ok(mut stages) = self.stages.write() {
            *stages = map;
        }
    }

    fn stages(&self) -> StageMap {
        self.stages
            .read()
            .map_or_else(|_| StageMap::zoho_standard(), |s| s.clone())
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Answer, CrmError> {
        Ok(self
            .api
            .call(|http, at| http.get(format!("{}/crm/v8/{path}", at.api)).query(query))
            .await?)
    }

    /// Sends one record to `POST /crm/v8/{module}` (or `PUT …/{id}`). The outer error is the
    /// request's; the inner one is Zoho's reason for refusing this record.
    async fn write_one(
        &self,
        module: &str,
        id: Option<&str>,
        record: Value,
    ) -> Result<Result<String, RecordError>, CrmError> {
        let body = json!({ "data": [record], "trigger": [] });
        let sent = self
            .api
            .call(|http, at| {
                match id {
                    Some(id) => http.put(format!("{}/crm/v8/{module}/{id}", at.api)),
                    None => http.post(format!("{}/crm/v8/{module}", at.api)),
                }
                .json(&body)
            })
            .await;
        let body = match sent {
            Ok(answer) => answer.body,
            // 400 when the only record failed: its reason is in the body.
            Err(ZohoError::Refused {
                status: 400, body, ..
            }) if body.get("data").is_some() => body,
            Err(e) => return Err(e.into()),
        };
        Ok(first_result(&body).map(|new| {
            if new.is_empty() {
                id.unwrap_or_default().to_owned()
            } else {
                new
            }
        }))
    }

    /// The CRM user with this email (the owner rule), from the active users.
    async fn user_id_for(&self, email: &str) -> Result<Option<String>, CrmError> {
        let mut cached = self.users.lock().await;
        let now = Utc::now();
        if cached.as_ref().is_none_or(|(at, _)| *at + USERS_FOR < now) {
            let mut users = Vec::new();
            for page in 1..=10 {
                let page_text = page.to_string();
                let answer = self
                    .get(
                        "users",
                        &[
                            ("type", "ActiveUsers"),
                            ("page", &page_text),
                            ("per_page", "200"),
                        ],
                    )
                    .await?;
                let list = answer
                    .body
                    .get("users")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                users.extend(list.iter().filter_map(|u| {
                    Some((
                        id_text(u.get("id"))?,
                        u.get("email")?.as_str()?.to_lowercase(),
                    ))
                }));
                let more = answer
                    .body
                    .pointer("/info/more_records")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if !more {
                    break;
                }
            }
            *cached = Some((now, users));
        }
        let email = email.to_lowercase();
        Ok(cached
            .as_ref()
            .and_then(|(_, users)| users.iter().find(|(_, e)| *e == email))
            .map(|(id, _)| id.clone()))
    }

    /// A record's JSON for a write: its fields as text, the owner, and links as lookups.
    fn record_json(module: CrmModule, record: &RecordWrite) -> Value {
        let mut out = serde_json::Map::new();
        for (field, value) in &record.fields {
            if field != OWNER {
                out.insert(field.clone(), json!(value));
            }
        }
        if let Some(owner) = &record.owner {
            out.insert(OWNER.into(), json!({ "id": owner.id }));
        }
        let deal = record.links.iter().find_map(|l| match l {
            Link::Deal(id) => Some(id),
            _ => None,
        });
        for link in &record.links {
            match (module, link) {
                (CrmModule::Contacts, Link::Account(id)) => {
                    out.insert("Account_Name".into(), json!({ "id": id }));
                }
                (CrmModule::Tasks, Link::Person(CrmModule::Contacts, id)) => {
                    out.insert("Who_Id".into(), json!({ "id": id }));
                }
                // A task "related to" one record: the deal when there is one, else the lead.
                (CrmModule::Tasks, Link::Person(CrmModule::Leads, id)) if deal.is_none() => {
                    out.insert("What_Id".into(), json!({ "id": id }));
                    out.insert("$se_module".into(), json!("Leads"));
                }
                (CrmModule::Tasks, Link::Deal(id)) => {
                    out.insert("What_Id".into(), json!({ "id": id }));
                    out.insert("$se_module".into(), json!("Deals"));
                }
                (CrmModule::Cases, Link::Person(CrmModule::Contacts, id)) => {
                    out.insert("Related_To".into(), json!({ "id": id }));
                }
                (CrmModule::Cases, Link::Deal(id)) => {
                    out.insert("Deal_Name".into(), json!({ "id": id }));
                }
                _ => {}
            }
        }
        Value::Object(out)
    }

    /// Attaches a file to `{module}/{id}`, once by name and size (Zoho keeps no digest).
    async fn attach(
        &self,
        module: &str,
        id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
        if let Some(existing) = self
            .attachments(module, id)
            .await?
            .into_iter()
            .find(|a| a.file_name == file.file_name && a.size == size)
        {
            return Ok(existing.id);
        }
        let answer = self
            .api
            .call(|http, at| {
                let part = || {
                    reqwest::multipart::Part::bytes(file.bytes.to_vec())
                        .file_name(file.file_name.to_owned())
                };
                // A content type reqwest cannot read goes without one.
                let part = part()
                    .mime_str(file.content_type)
                    .unwrap_or_else(|_| part());
                http.post(format!("{}/crm/v8/{module}/{id}/Attachments", at.api))
                    .multipart(reqwest::multipart::Form::new().part("file", part))
            })
            .await?;
        first_result(&answer.body).map_err(CrmError::from)
    }

    async fn deal_record(&self, deal: &CrmDeal) -> Result<Value, CrmError> {
        let mut record = json!({
            "Deal_Name": deal.title,
            "Stage": self.stages().to_crm(deal.stage, deal.outcome),
            "Closing_Date": deal
                .closed_at
                .unwrap_or(deal.created_at + EXPECTED_CLOSE)
                .format("%Y-%m-%d")
                .to_string(),
            "Contact_Name": { "id": deal.contact_id },
        });
        if let Some(amount) = &deal.amount {
            record["Amount"] = amount_value(amount);
        }
        if let Some(email) = &deal.owner_email
            && let Some(owner) = self.user_id_for(email).await?
        {
            record["Owner"] = json!({ "id": owner });
        }
        Ok(record)
    }
}

#[async_trait::async_trait]
impl CrmPort for ZohoCrm {
    fn provider(&self) -> &'static str {
        crate::server::crm::zoho::api::ZOHO
    }

    fn stage_value(&self, stage: DealStage, outcome: Option<DealOutcome>) -> String {
        self.stages().to_crm(stage, outcome).to_owned()
    }

    fn stage_of(&self, value: &str) -> Option<DealStage> {
        self.stages().from_crm(value)
    }

    async fn stage_choices(&self) -> Result<Option<Vec<String>>, CrmError> {
        let answer = self.get("settings/fields", &[("module", "Deals")]).await?;
        let stage = answer
            .body
            .get("fields")
            .and_then(Value::as_array)
            .and_then(|f| {
                f.iter()
                    .find(|f| f.get("api_name") == Some(&json!("Stage")))
            })
            .cloned()
            .unwrap_or(Value::Null);
        let values = stage
            .get("pick_list_values")
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| {
                        v.get("actual_value")
                            .or_else(|| v.get("display_value"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .filter(|v| v != "-None-")
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(values))
    }

    async fn deals_changed_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<RemoteDeal>, CrmError> {
        let since_header = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let mut changed = Vec::new();
        for page in 1..=MAX_POLL_PAGES {
            let page_text = page.to_string();
            let answer = self
                .api
                .call(|http, at| {
                    http.get(format!("{}/crm/v8/Deals", at.api))
                        .query(&[
                            ("fields", "Deal_Name,Stage,Amount,Owner,Modified_Time"),
                            ("sort_by", "Modified_Time"),
                            ("sort_order", "asc"),
                            ("per_page", "200"),
                            ("page", page_text.as_str()),
                        ])
                        .header("If-Modified-Since", &since_header)
                })
                .await?;
            let rows = records(&answer.body);
            changed.extend(rows.iter().filter_map(remote_deal));
            let more = answer
                .body
                .pointer("/info/more_records")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !more || changed.len() >= limit {
                break;
            }
        }
        changed.sort_by_key(|d| d.modified_at);
        changed.truncate(limit);
        Ok(changed)
    }

    async fn find_contact_by_email(&self, email: &str) -> Result<Option<String>, CrmError> {
        let answer = self.get("Contacts/search", &[("email", email)]).await?;
        Ok(records(&answer.body)
            .first()
            .and_then(|r| id_text(r.get("id"))))
    }

    async fn create_contact(&self, contact: &CrmContact) -> Result<String, CrmError> {
        let (first, last) = split_name(&contact.name);
        let mut record = json!({ "Last_Name": last, "Email": contact.email });
        if let Some(first) = first {
            record["First_Name"] = json!(first);
        }
        if let Some(phone) = &contact.phone {
            record["Phone"] = json!(phone);
        }
        match self.write_one("Contacts", None, record).await? {
            // A unique Email that clashed names the contact we looked for: Zoho's search had
            // not indexed it yet.
            Err(RecordError::DuplicateData {
                existing_id: Some(id),
                ..
            }) => Ok(id),
            other => Ok(other?),
        }
    }

    async fn create_deal(&self, deal: &CrmDeal) -> Result<String, CrmError> {
        let record = self.deal_record(deal).await?;
        Ok(self.write_one("Deals", None, record).await??)
    }

    async fn update_deal(&self, id: &str, deal: &CrmDeal) -> Result<(), CrmError> {
        let record = self.deal_record(deal).await?;
        self.write_one("Deals", Some(id), record).await??;
        Ok(())
    }

    async fn get_deal(&self, id: &str) -> Result<Option<CrmDeal>, CrmError> {
        let answer = match self.get(&format!("Deals/{id}"), &[]).await {
            Err(CrmError::Rejected(_)) => return Ok(None),
            other => other?,
        };
        let Some(r) = records(&answer.body).into_iter().next() else {
            return Ok(None);
        };
        let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
        let stage_text = text("Stage").unwrap_or_default();
        let stages = self.stages();
        let outcome = if stage_text.eq_ignore_ascii_case(&stages.lost) {
            Some(DealOutcome::Lost)
        } else {
            None
        };
        Ok(Some(CrmDeal {
            title: text("Deal_Name").unwrap_or_default(),
            contact_id: r
                .get("Contact_Name")
                .and_then(|c| id_text(c.get("id")))
                .unwrap_or_default(),
            owner_email: r
                .get("Owner")
                .and_then(|o| o.get("email"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            stage: stages.from_crm(&stage_text).unwrap_or(DealStage::Inquiry),
            amount: minor_field(&r, "Amount").and_then(|minor| {
                Money::stored(minor, &text("Currency").unwrap_or_else(|| "EUR".into()))
            }),
            created_at: time_field(&r, "Created_Time").unwrap_or_else(Utc::now),
            closed_at: None,
            outcome,
        }))
    }

    async fn add_deal_note(&self, deal_id: &str, body: &str) -> Result<String, CrmError> {
        Ok(self
            .write_one(
                "Notes",
                None,
                json!({
                    "Note_Title": "dealchat",
                    "Note_Content": body,
                    "Parent_Id": { "module": { "api_name": "Deals" }, "id": deal_id },
                }),
            )
            .await??)
    }

    async fn deal_notes(&self, deal_id: &str) -> Result<Vec<String>, CrmError> {
        let answer = self
            .get(
                &format!("Deals/{deal_id}/Notes"),
                &[
                    ("fields", "Note_Title,Note_Content,Created_Time"),
                    ("per_page", "200"),
                ],
            )
            .await?;
        let mut notes: Vec<(String, String)> = records(&answer.body)
            .iter()
            .map(|n| {
                let t = |k: &str| n.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                (t("Created_Time"), t("Note_Content"))
            })
            .collect();
        notes.sort();
        Ok(notes.into_iter().map(|(_, text)| text).collect())
    }

    async fn attach_to_deal(
        &self,
        deal_id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        self.attach("Deals", deal_id, file).await
    }

    async fn remove_deal_attachment(
        &self,
        deal_id: &str,
        attachment_id: &str,
    ) -> Result<(), CrmError> {
        let gone = self
            .api
            .call(|http, at| {
                http.delete(format!(
                    "{}/crm/v8/Deals/{deal_id}/Attachments/{attachment_id}",
                    at.api
                ))
            })
            .await;
        match gone {
            Ok(_) => Ok(()),
            // Already gone.
            Err(ZohoError::Refused {
                status: 400 | 404, ..
            }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn deal_attachments(&self, deal_id: &str) -> Result<Vec<CrmAttachment>, CrmError> {
        self.attachments("Deals", deal_id).await
    }

    async fn module_fields(&self, module: CrmModule) -> Result<Vec<CrmFieldView>, CrmError> {
        let answer = self
            .get("settings/fields", &[("module", module.as_str())])
            .await?;
        let fields = answer
            .body
            .get("fields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let flag = |f: &Value, k: &str| f.get(k).and_then(Value::as_bool).unwrap_or(false);
        Ok(fields
            .iter()
            .filter(|f| !flag(f, "read_only") && !flag(f, "field_read_only"))
            // Lookups are the connector's links, written from the records it found.
            .filter(|f| {
                let kind = f.get("data_type").and_then(Value::as_str).unwrap_or("");
                kind != "lookup" || f.get("api_name") == Some(&json!(OWNER))
            })
            .filter_map(|f| {
                let api_name = f.get("api_name")?.as_str()?.to_owned();
                Some(CrmFieldView {
                    label: f
                        .get("field_label")
                        .and_then(Value::as_str)
                        .unwrap_or(&api_name)
                        .to_owned(),
                    required: flag(f, "system_mandatory"),
                    api_name,
                })
            })
            .collect())
    }

    async fn find_record(
        &self,
        module: CrmModule,
        lookup: Lookup<'_>,
    ) -> Result<Option<CrmRecord>, CrmError> {
        let criteria;
        let digits;
        let query: [(&str, &str); 1] = match lookup {
            Lookup::Email(email) => [("email", email)],
            // By its digits (the way we match phones), so "0044 20…" finds "+44 (20)…".
            Lookup::Phone(phone) => match phone_key(phone) {
                Some(key) => {
                    digits = key;
                    [("phone", digits.as_str())]
                }
                None => return Ok(None),
            },
            Lookup::Field { field, value } => {
                criteria = format!("({field}:equals:{})", escape_criteria(value));
                [("criteria", criteria.as_str())]
            }
        };
        let answer = self
            .get(&format!("{}/search", module.as_str()), &query)
            .await?;
        Ok(records(&answer.body).first().and_then(crm_record))
    }

    async fn get_record(&self, module: CrmModule, id: &str) -> Result<Option<CrmRecord>, CrmError> {
        let answer = match self.get(&format!("{}/{id}", module.as_str()), &[]).await {
            Err(CrmError::Rejected(_)) => return Ok(None),
            other => other?,
        };
        Ok(records(&answer.body).first().and_then(crm_record))
    }

    async fn create_record(
        &self,
        module: CrmModule,
        record: &RecordWrite,
    ) -> Result<String, CrmError> {
        match self
            .write_one(module.as_str(), None, Self::record_json(module, record))
            .await?
        {
            // A unique field that clashed (a lead's or contact's Email) names the record we were
            // about to create twice: Zoho's search had not indexed it yet.
            Err(RecordError::DuplicateData {
                existing_id: Some(id),
                ..
            }) => Ok(id),
            other => Ok(other?),
        }
    }

    async fn update_record(
        &self,
        module: CrmModule,
        id: &str,
        record: &RecordWrite,
    ) -> Result<(), CrmError> {
        self.write_one(module.as_str(), Some(id), Self::record_json(module, record))
            .await??;
        Ok(())
    }

    async fn attach_to_record(
        &self,
        module: CrmModule,
        id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        self.attach(module.as_str(), id, file).await
    }

    async fn record_url(&self, module: CrmModule, id: &str) -> Result<Option<String>, CrmError> {
        let Some(row) = self.api.row().await? else {
            return Ok(None);
        };
        let Some(org) = row.org_id.as_deref() else {
            return Ok(None);
        };
        Ok(Some(format!(
            "{}/crm/org{org}/tab/{}/{id}",
            zoho_host(self.api.api_domain(&row), "crm"),
            module.as_str()
        )))
    }

    async fn owner_for(&self, agent_email: Option<&str>) -> Result<Option<CrmUser>, CrmError> {
        if let Some(email) = agent_email
            && let Some(id) = self.user_id_for(email).await?
        {
            return Ok(Some(CrmUser {
                id,
                email: email.to_lowercase(),
            }));
        }
        // The user who connected the CRM.
        Ok(self.api.row().await?.and_then(|row| {
            Some(CrmUser {
                id: row.account_user_id?,
                email: row.account_email?.to_lowercase(),
            })
        }))
    }
}

/// A criteria value with Zoho's special characters escaped (`(`, `)`, `,` and the backslash).
fn escape_criteria(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '(' | ')' | ',' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A record of a search or get answer: its text and number fields as text.
fn crm_record(r: &Value) -> Option<CrmRecord> {
    let object = r.as_object()?;
    Some(CrmRecord {
        id: id_text(r.get("id"))?,
        owner_email: r
            .get(OWNER)
            .and_then(|o| o.get("email"))
            .and_then(Value::as_str)
            .map(str::to_lowercase),
        account_id: r.get("Account_Name").and_then(|a| id_text(a.get("id"))),
        fields: object
            .iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((k.clone(), text))
            })
            .collect(),
    })
}

impl ZohoCrm {
    /// The attachments of `{module}/{id}`, oldest first.
    async fn attachments(&self, module: &str, id: &str) -> Result<Vec<CrmAttachment>, CrmError> {
        let answer = self
            .get(
                &format!("{module}/{id}/Attachments"),
                &[
                    ("fields", "id,File_Name,Size,Created_Time"),
                    ("per_page", "200"),
                ],
            )
            .await?;
        let mut list: Vec<CrmAttachment> = records(&answer.body)
            .iter()
            .filter_map(|a| {
                Some(CrmAttachment {
                    id: id_text(a.get("id"))?,
                    file_name: a.get("File_Name")?.as_str()?.to_owned(),
                    size: a
                        .get("Size")
                        .and_then(|s| s.as_i64().or_else(|| s.as_str()?.parse().ok()))
                        .unwrap_or(0),
                    sha256: String::new(),
                    created_at: time_field(a, "Created_Time").unwrap_or_else(Utc::now),
                })
            })
            .collect();
        list.sort_by_key(|a| a.created_at);
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_pages_are_on_the_data_centres_crm_domain() {
        assert_eq!(
            zoho_host("https://www.zohoapis.eu", "crm"),
            "https://crm.zoho.eu"
        );
        assert_eq!(
            zoho_host("https://www.zohoapis.com.au", "crm"),
            "https://crm.zoho.com.au"
        );
        assert_eq!(
            zoho_host("https://www.zohoapis.ca", "crm"),
            "https://crm.zohocloud.ca"
        );
        assert_eq!(zoho_host("http://127.0.0.1:9", "crm"), "http://127.0.0.1:9");
    }

    #[test]
    fn a_listed_deal_is_read_with_its_owner_and_amount_in_minor_units() {
        let row = serde_json::json!({
            "id": "5725767000000524157", "Deal_Name": "Attic", "Stage": "Negotiation/Review",
            "Amount": 1500.5, "Owner": {"id": "1", "name": "Mia", "email": "Mia@Example.com"},
            "Modified_Time": "2026-12-04T10:00:00+01:00"
        });
        let deal = remote_deal(&row).unwrap();
        assert_eq!(deal.amount_minor, Some(150_050));
        assert_eq!(deal.owner_email.as_deref(), Some("mia@example.com"));
        assert_eq!(deal.modified_at.to_rfc3339(), "2026-12-04T09:00:00+00:00");
        assert!(remote_deal(&serde_json::json!({"id": "1"})).is_none());
    }

    #[test]
    fn a_name_splits_into_first_and_last_with_a_last_name_always() {
        assert_eq!(
            split_name("Ada María Lovelace"),
            (Some("Ada María".into()), "Lovelace".into())
        );
        assert_eq!(split_name("Plato"), (None, "Plato".into()));
        assert_eq!(split_name("  "), (None, "—".into()));
    }
}
