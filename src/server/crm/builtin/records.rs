//! The built-in CRM's leads, contacts, accounts, tasks and cases: one table per module, each
//! described once below (its fields under Zoho's names, so the default rules fit both CRMs), and
//! one way to find, read, create and update any of them. Column names come only from these
//! descriptions; values are always bound.

use crate::model::crm_rules::{CrmFieldView, CrmModule, OWNER};
use crate::server::accounts::duplicates::{phone_key, phone_key_of};
use crate::server::crm::port::{
    CrmError, CrmRecord, CrmUser, Link, Lookup, NewAttachment, RecordWrite,
};
use crate::server::realtime::changes::stmt;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// Stored lower-case, matched case-insensitively.
    Email,
    /// Matched by its digits.
    Phone,
}

/// A field of a module: its CRM name, column, label, whether the CRM requires it, its longest
/// value (None: a text column).
struct Field {
    api: &'static str,
    column: &'static str,
    label: &'static str,
    required: bool,
    max: Option<usize>,
    kind: Kind,
}

const fn field(
    api: &'static str,
    column: &'static str,
    label: &'static str,
    required: bool,
    max: Option<usize>,
    kind: Kind,
) -> Field {
    Field {
        api,
        column,
        label,
        required,
        max,
        kind,
    }
}

const DESCRIPTION: Field = field(
    "Description",
    "description",
    "Description",
    false,
    None,
    Kind::Text,
);

struct Table {
    module: CrmModule,
    name: &'static str,
    fields: &'static [Field],
}

const TABLES: [Table; 5] = [
    Table {
        module: CrmModule::Leads,
        name: "crm_leads",
        fields: &[
            field(
                "Last_Name",
                "last_name",
                "Last Name",
                true,
                Some(120),
                Kind::Text,
            ),
            field(
                "Company",
                "company",
                "Company",
                false,
                Some(200),
                Kind::Text,
            ),
            field("Email", "email", "Email", false, Some(254), Kind::Email),
            field("Phone", "phone", "Phone", false, Some(30), Kind::Phone),
            field(
                "Lead_Source",
                "lead_source",
                "Lead Source",
                false,
                Some(60),
                Kind::Text,
            ),
            DESCRIPTION,
        ],
    },
    Table {
        module: CrmModule::Contacts,
        name: "crm_contacts",
        fields: &[
            field("Last_Name", "name", "Name", true, Some(200), Kind::Text),
            field("Email", "email", "Email", true, Some(254), Kind::Email),
            field("Phone", "phone", "Phone", false, Some(40), Kind::Phone),
            field(
                "Company",
                "company",
                "Company",
                false,
                Some(120),
                Kind::Text,
            ),
            DESCRIPTION,
        ],
    },
    Table {
        module: CrmModule::Accounts,
        name: "crm_accounts",
        fields: &[
            field(
                "Account_Name",
                "account_name",
                "Account Name",
                true,
                Some(200),
                Kind::Text,
            ),
            field("Phone", "phone", "Phone", false, Some(30), Kind::Phone),
            field(
                "Website",
                "website",
                "Website",
                false,
                Some(255),
                Kind::Text,
            ),
            DESCRIPTION,
        ],
    },
    Table {
        module: CrmModule::Tasks,
        name: "crm_tasks",
        fields: &[
            field("Subject", "subject", "Subject", true, Some(255), Kind::Text),
            field("Status", "status", "Status", false, Some(60), Kind::Text),
            DESCRIPTION,
        ],
    },
    Table {
        module: CrmModule::Cases,
        name: "crm_cases",
        fields: &[
            field("Subject", "subject", "Subject", true, Some(255), Kind::Text),
            field("Status", "status", "Status", true, Some(60), Kind::Text),
            field(
                "Case_Origin",
                "case_origin",
                "Case Origin",
                true,
                Some(60),
                Kind::Text,
            ),
            field("Email", "email", "Email", false, Some(254), Kind::Email),
            field("Phone", "phone", "Phone", false, Some(30), Kind::Phone),
            DESCRIPTION,
        ],
    },
];

fn table(module: CrmModule) -> &'static Table {
    // Every module has a table (the test below holds it).
    TABLES
        .iter()
        .find(|t| t.module == module)
        .unwrap_or(&TABLES[0])
}

fn parse_id(id: &str) -> Result<i64, CrmError> {
    id.parse()
        .map_err(|_| CrmError::Rejected(format!("`{id}` is not a built-in CRM id")))
}

pub fn fields(module: CrmModule) -> Vec<CrmFieldView> {
    let mut out = vec![CrmFieldView {
        api_name: OWNER.into(),
        label: "Owner".into(),
        required: false,
    }];
    out.extend(table(module).fields.iter().map(|f| CrmFieldView {
        api_name: f.api.into(),
        label: f.label.into(),
        required: f.required,
    }));
    out
}

fn select(t: &Table) -> String {
    let mut columns: Vec<&str> = t.fields.iter().map(|f| f.column).collect();
    if t.module == CrmModule::Contacts {
        columns.push("account_id");
    }
    format!(
        "SELECT id, owner_email, {} FROM {}",
        columns.join(", "),
        t.name
    )
}

fn read(t: &Table, row: &QueryResult) -> Result<CrmRecord, CrmError> {
    let mut record = CrmRecord {
        id: row.try_get::<i64>("", "id")?.to_string(),
        owner_email: row.try_get("", "owner_email")?,
        account_id: if t.module == CrmModule::Contacts {
            row.try_get::<Option<i64>>("", "account_id")?
                .map(|id| id.to_string())
        } else {
            None
        },
        ..Default::default()
    };
    for f in t.fields {
        if let Some(v) = row.try_get::<Option<String>>("", f.column)? {
            record.fields.insert(f.api.to_owned(), v);
        }
    }
    Ok(record)
}

async fn one(
    db: &DatabaseConnection,
    t: &Table,
    condition: &str,
    values: Vec<Value>,
) -> Result<Option<CrmRecord>, CrmError> {
    let sql = format!("{} WHERE {condition} ORDER BY id LIMIT 1", select(t));
    match db
        .query_one_raw(stmt(db.get_database_backend(), &sql, values))
        .await?
    {
        Some(row) => Ok(Some(read(t, &row)?)),
        None => Ok(None),
    }
}

pub async fn find(
    db: &DatabaseConnection,
    module: CrmModule,
    lookup: Lookup<'_>,
) -> Result<Option<CrmRecord>, CrmError> {
    let t = table(module);
    let of_kind = |kind| t.fields.iter().find(|f| f.kind == kind);
    match lookup {
        Lookup::Email(email) => match of_kind(Kind::Email) {
            Some(f) => {
                let condition = format!("LOWER({}) = ?", f.column);
                one(db, t, &condition, vec![email.trim().to_lowercase().into()]).await
            }
            None => Ok(None),
        },
        Lookup::Phone(phone) => match (of_kind(Kind::Phone), phone_key(phone)) {
            (Some(f), Some(key)) => {
                let condition = format!(
                    "{} IS NOT NULL AND {} = ?",
                    f.column,
                    phone_key_of(f.column)
                );
                one(db, t, &condition, vec![key.into()]).await
            }
            _ => Ok(None),
        },
        Lookup::Field { field, value } => {
            let Some(f) = t.fields.iter().find(|f| f.api == field) else {
                return Err(CrmError::Rejected(format!(
                    "the built-in CRM's {} have no field “{field}”",
                    module.as_str()
                )));
            };
            let condition = match f.kind {
                Kind::Email => format!("LOWER({}) = LOWER(?)", f.column),
                Kind::Phone => {
                    let Some(key) = phone_key(value) else {
                        return Ok(None);
                    };
                    let condition = format!("{} = ?", phone_key_of(f.column));
                    return one(db, t, &condition, vec![key.into()]).await;
                }
                Kind::Text => format!("{} = ?", f.column),
            };
            one(db, t, &condition, vec![value.trim().to_owned().into()]).await
        }
    }
}

pub async fn get(
    db: &DatabaseConnection,
    module: CrmModule,
    id: &str,
) -> Result<Option<CrmRecord>, CrmError> {
    one(db, table(module), "id = ?", vec![parse_id(id)?.into()]).await
}

/// The (column, value) pairs a write sets, checked against the table.
fn columns(
    module: CrmModule,
    record: &RecordWrite,
) -> Result<Vec<(&'static str, Value)>, CrmError> {
    let t = table(module);
    let mut out: Vec<(&'static str, Value)> = Vec::new();
    for (name, value) in &record.fields {
        if name == OWNER {
            continue; // The owner comes from the owner rule (`record.owner`).
        }
        let Some(f) = t.fields.iter().find(|f| f.api == name) else {
            return Err(CrmError::Rejected(format!(
                "the built-in CRM's {} have no field “{name}”",
                module.as_str()
            )));
        };
        if let Some(max) = f.max
            && value.chars().count() > max
        {
            return Err(CrmError::Rejected(format!(
                "{}.{name} holds at most {max} characters",
                module.as_str()
            )));
        }
        let value = match f.kind {
            Kind::Email => value.trim().to_lowercase(),
            _ => value.clone(),
        };
        out.push((f.column, value.into()));
    }
    if let Some(owner) = &record.owner {
        out.push(("owner_email", owner.email.to_lowercase().into()));
    }
    for link in &record.links {
        match (module, link) {
            (CrmModule::Contacts, Link::Account(id)) => {
                out.push(("account_id", parse_id(id)?.into()));
            }
            (CrmModule::Tasks, Link::Person(m, id)) => {
                out.push(("who_module", m.as_str().into()));
                out.push(("who_id", parse_id(id)?.into()));
            }
            (CrmModule::Cases, Link::Person(CrmModule::Contacts, id)) => {
                out.push(("contact_id", parse_id(id)?.into()));
            }
            (CrmModule::Tasks | CrmModule::Cases, Link::Deal(id)) => {
                out.push(("deal_id", parse_id(id)?.into()));
            }
            // A link the module has no place for (a case about a lead) is not written.
            _ => {}
        }
    }
    Ok(out)
}

pub async fn create(
    db: &DatabaseConnection,
    module: CrmModule,
    record: &RecordWrite,
) -> Result<String, CrmError> {
    let t = table(module);
    let values = columns(module, record)?;
    for f in t.fields.iter().filter(|f| f.required) {
        if !values.iter().any(|(c, _)| *c == f.column) {
            return Err(CrmError::Rejected(format!(
                "MANDATORY_NOT_FOUND: {}.{} is required",
                module.as_str(),
                f.api
            )));
        }
    }
    // A unique email names the record we were about to create twice.
    if let Some((_, Value::String(Some(email)))) = values.iter().find(|(c, _)| *c == "email")
        && matches!(module, CrmModule::Contacts | CrmModule::Leads)
        && let Some(found) = find(db, module, Lookup::Email(email)).await?
    {
        return Ok(found.id);
    }
    let now = Utc::now();
    let mut names: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    names.push("created_at");
    let mut binds: Vec<Value> = values.into_iter().map(|(_, v)| v).collect();
    binds.push(now.into());
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
        t.name,
        names.join(", "),
        vec!["?"; names.len()].join(", ")
    );
    let row = db
        .query_one_raw(stmt(db.get_database_backend(), &sql, binds))
        .await?
        .ok_or_else(|| CrmError::Unavailable("the insert returned no id".into()))?;
    Ok(row.try_get::<i64>("", "id")?.to_string())
}

pub async fn update(
    db: &DatabaseConnection,
    module: CrmModule,
    id: &str,
    record: &RecordWrite,
) -> Result<(), CrmError> {
    let t = table(module);
    let values = columns(module, record)?;
    let mut sets: Vec<String> = values.iter().map(|(c, _)| format!("{c} = ?")).collect();
    sets.push("updated_at = ?".into());
    let mut binds: Vec<Value> = values.into_iter().map(|(_, v)| v).collect();
    binds.push(Utc::now().into());
    binds.push(parse_id(id)?.into());
    let sql = format!("UPDATE {} SET {} WHERE id = ?", t.name, sets.join(", "));
    let done = db
        .execute_raw(stmt(db.get_database_backend(), &sql, binds))
        .await?;
    if done.rows_affected() == 0 {
        return Err(CrmError::Rejected(format!(
            "no {} record {id}",
            module.as_str()
        )));
    }
    Ok(())
}

pub async fn attach(
    db: &DatabaseConnection,
    module: CrmModule,
    id: &str,
    file: &NewAttachment<'_>,
) -> Result<String, CrmError> {
    let record_id = parse_id(id)?;
    if get(db, module, id).await?.is_none() {
        return Err(CrmError::Rejected(format!(
            "no {} record {id}",
            module.as_str()
        )));
    }
    let backend = db.get_database_backend();
    let same = db
        .query_one_raw(stmt(
            backend,
            "SELECT id FROM crm_record_files WHERE module = ? AND record_id = ? AND file_name = ? AND sha256 = ?",
            [
                module.as_str().into(),
                record_id.into(),
                file.file_name.into(),
                file.sha256.into(),
            ],
        ))
        .await?;
    if let Some(row) = same {
        return Ok(row.try_get::<i64>("", "id")?.to_string());
    }
    let row = db
        .query_one_raw(stmt(
            backend,
            "INSERT INTO crm_record_files (module, record_id, file_name, content_type, size, sha256, body, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                module.as_str().into(),
                record_id.into(),
                file.file_name.into(),
                file.content_type.into(),
                i64::try_from(file.bytes.len()).unwrap_or(i64::MAX).into(),
                file.sha256.into(),
                file.bytes.to_vec().into(),
                Utc::now().into(),
            ],
        ))
        .await?
        .ok_or_else(|| CrmError::Unavailable("the insert returned no id".into()))?;
    Ok(row.try_get::<i64>("", "id")?.to_string())
}

/// The names of the files attached to a record, oldest first.
pub async fn attachments(
    db: &DatabaseConnection,
    module: CrmModule,
    id: &str,
) -> Result<Vec<String>, CrmError> {
    let rows = db
        .query_all_raw(stmt(
            db.get_database_backend(),
            "SELECT file_name FROM crm_record_files WHERE module = ? AND record_id = ? ORDER BY id",
            [module.as_str().into(), parse_id(id)?.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String>("", "file_name")?))
        .collect()
}

/// The built-in CRM's users are the app's active staff. The owner rule: the agent, else the
/// admin who last saved the connector's rules (the built-in CRM's "connecting user").
pub async fn owner_for(
    db: &DatabaseConnection,
    agent_email: Option<&str>,
) -> Result<Option<CrmUser>, CrmError> {
    let backend = db.get_database_backend();
    let staff = "u.role IN ('manager', 'admin') AND u.disabled = ?";
    if let Some(email) = agent_email {
        let row = db
            .query_one_raw(stmt(
                backend,
                &format!("SELECT u.id, u.email FROM users u WHERE LOWER(u.email) = ? AND {staff}"),
                [email.trim().to_lowercase().into(), false.into()],
            ))
            .await?;
        if let Some(row) = row {
            return Ok(Some(user_of(&row)?));
        }
    }
    let row = db
        .query_one_raw(stmt(
            backend,
            &format!(
                "SELECT u.id, u.email FROM crm_configs c JOIN users u ON u.id = c.updated_by \
                 WHERE c.provider = 'builtin' AND {staff}"
            ),
            [false.into()],
        ))
        .await?;
    row.map(|r| user_of(&r)).transpose()
}

fn user_of(row: &QueryResult) -> Result<CrmUser, CrmError> {
    Ok(CrmUser {
        id: row.try_get::<i64>("", "id")?.to_string(),
        email: row.try_get::<String>("", "email")?.to_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_has_its_table_and_one_email_and_phone_at_most() {
        for module in CrmModule::ALL {
            let t = table(module);
            assert_eq!(t.module, module);
            for kind in [Kind::Email, Kind::Phone] {
                assert!(t.fields.iter().filter(|f| f.kind == kind).count() <= 1);
            }
            assert!(fields(module).iter().any(|f| f.required), "{module:?}");
        }
    }
}
