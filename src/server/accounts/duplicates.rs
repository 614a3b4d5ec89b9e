//! Possible duplicates of a client: other client accounts with the same name, the same email
//! domain (not a public mail provider's) or the same phone (as the built-in CRM's contacts
//! have it), for staff to spot one person with two accounts.

use crate::model::chat::DuplicateView;
use crate::model::ids::UserId;
use crate::server::platform::entities::{crm_contact, user};
use crate::server::realtime::changes::{one_of, stmt};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter};

/// Most possible duplicates shown.
pub const MAX_DUPLICATES: i64 = 20;

/// Mail providers whose domain says nothing about who someone works for.
const PUBLIC_MAIL: [&str; 16] = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "yandex.ru",
];

/// The part of an address after its `@`, lower case, when it names an organisation (None for a
/// public mail provider or no domain).
pub fn company_domain(email: &str) -> Option<String> {
    let domain = email.rsplit_once('@')?.1.trim().to_ascii_lowercase();
    (!domain.is_empty() && !PUBLIC_MAIL.contains(&domain.as_str())).then_some(domain)
}

/// A phone number without the separators people type (spaces, dashes, dots, brackets, `+`)
/// and with `00` read as the international `+`, when it is long enough to mean one line (7 or
/// more characters). The same rule runs in SQL (`phone_key_sql`), so stored numbers need no
/// cleaning.
pub fn phone_key(phone: &str) -> Option<String> {
    let key: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+'))
        .collect();
    let key = key.strip_prefix("00").map(str::to_owned).unwrap_or(key);
    (key.chars().count() >= 7).then_some(key)
}

/// `phone_key` of a CRM contact `c`'s phone, in SQL both databases read.
fn phone_key_sql() -> String {
    phone_key_of("c.phone")
}

/// `phone_key` of the phone in `column` (a trusted column name), in SQL both databases read.
pub fn phone_key_of(column: &str) -> String {
    let bare = format!(
        "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE({column}, ' ', ''), '-', ''), \
         '.', ''), '(', ''), ')', ''), '+', '')"
    );
    format!("CASE WHEN {bare} LIKE '00%' THEN SUBSTR({bare}, 3) ELSE {bare} END")
}

#[derive(FromQueryResult)]
struct Candidate {
    id: UserId,
    display_name: String,
    email: String,
}

#[derive(FromQueryResult)]
struct EmailRow {
    email: String,
}

/// Other client accounts that may be the same person as `client`, each with why.
#[tracing::instrument(skip(db))]
pub async fn of_client(
    db: &impl ConnectionTrait,
    client: UserId,
) -> Result<Vec<DuplicateView>, DbErr> {
    let Some(me) = user::Entity::find_by_id(client).one(db).await? else {
        return Ok(Vec::new());
    };
    let backend = db.get_database_backend();
    let my_email = me.email.to_lowercase();
    let domain = company_domain(&my_email);
    // The addresses of CRM contacts who share a phone with the client's contact.
    let my_phones: Vec<String> = crm_contact::Entity::find()
        .filter(crm_contact::Column::Email.eq(my_email.clone()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| c.phone.as_deref().and_then(phone_key))
        .collect();
    let phone_mates: Vec<String> = if my_phones.is_empty() {
        Vec::new()
    } else {
        let (is_one, values) = one_of(
            backend,
            &phone_key_sql(),
            my_phones.iter().map(|p| p.clone().into()),
        );
        EmailRow::find_by_statement(stmt(
            backend,
            &format!(
                "SELECT LOWER(c.email) AS email FROM crm_contacts c \
                 WHERE c.phone IS NOT NULL AND {is_one} LIMIT 100"
            ),
            values,
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.email)
        .filter(|e| *e != my_email)
        .collect()
    };
    let mut values: Vec<sea_orm::Value> = vec![client.into(), me.display_name.clone().into()];
    let mut either = vec!["LOWER(u.display_name) = LOWER(?)".to_owned()];
    if let Some(domain) = &domain {
        either.push("LOWER(u.email) LIKE ?".to_owned());
        values.push(format!("%@{domain}").into());
    }
    if !phone_mates.is_empty() {
        let (is_one, mates) = one_of(
            backend,
            "LOWER(u.email)",
            phone_mates.iter().map(|e| e.clone().into()),
        );
        either.push(is_one);
        values.extend(mates);
    }
    let candidates = Candidate::find_by_statement(stmt(
        backend,
        &format!(
            "SELECT u.id, u.display_name, u.email FROM users u \
             WHERE u.role = 'client' AND u.id <> ? AND ({}) ORDER BY u.id LIMIT {MAX_DUPLICATES}",
            either.join(" OR ")
        ),
        values,
    ))
    .all(db)
    .await?;
    Ok(candidates
        .into_iter()
        .map(|c| {
            let mut reasons = Vec::new();
            if c.display_name.to_lowercase() == me.display_name.to_lowercase() {
                reasons.push("same name".to_owned());
            }
            if let Some(domain) = &domain
                && company_domain(&c.email).as_ref() == Some(domain)
            {
                reasons.push(format!("same email domain ({domain})"));
            }
            if phone_mates.contains(&c.email.to_lowercase()) {
                reasons.push("same phone".to_owned());
            }
            DuplicateView {
                id: c.id,
                name: c.display_name,
                email: c.email,
                reasons,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_mail_domain_names_no_company() {
        assert_eq!(company_domain("Ana@Acme.COM").as_deref(), Some("acme.com"));
        assert_eq!(company_domain("ana@gmail.com"), None);
        assert_eq!(company_domain("no-at-sign"), None);
    }

    #[test]
    fn phones_compare_without_the_separators_people_type() {
        assert_eq!(
            phone_key("+49 (30) 123-4567").as_deref(),
            Some("49301234567")
        );
        assert_eq!(phone_key("0049.30.1234567").as_deref(), Some("49301234567"));
        assert_eq!(phone_key("12 34"), None);
    }
}
