//! Zoho CRM's record-level answers, read into typed results: a write answers one item per record
//! sent (HTTP 201 or 200 when all succeeded, 207 when some did, 400 when none did), each with
//! its own `code`, and for failures the field (`api_name`) and its place (`json_path`).

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Why Zoho refused one record of a write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("Zoho requires the field {api_name}")]
    MandatoryNotFound { api_name: String },
    #[error("Zoho refused the value of {api_name} ({json_path}): {message}")]
    InvalidData {
        api_name: String,
        json_path: String,
        message: String,
    },
    /// A unique field matched an existing record; `existing_id` is that record.
    #[error("a Zoho record with the same {api_name} exists")]
    DuplicateData {
        api_name: String,
        existing_id: Option<String>,
    },
    #[error("more than 100 records in one call")]
    LimitExceeded,
    #[error("Zoho refused the record ({code}): {message}")]
    Other { code: String, message: String },
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The outcome of each record of a write, in the order they were sent.
pub fn write_results(body: &Value) -> Vec<Result<String, RecordError>> {
    body.get("data")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(one_result).collect())
        .unwrap_or_default()
}

fn one_result(item: &Value) -> Result<String, RecordError> {
    let details = item.get("details").cloned().unwrap_or(Value::Null);
    if text(item, "status") == "success" {
        return Ok(id_text(details.get("id")).unwrap_or_default());
    }
    let code = text(item, "code");
    let api_name = text(&details, "api_name");
    Err(match code.as_str() {
        "MANDATORY_NOT_FOUND" => RecordError::MandatoryNotFound { api_name },
        "INVALID_DATA" => RecordError::InvalidData {
            api_name,
            json_path: text(&details, "json_path"),
            message: text(item, "message"),
        },
        "DUPLICATE_DATA" => RecordError::DuplicateData {
            api_name,
            existing_id: details
                .get("duplicate_record")
                .and_then(|d| id_text(d.get("id"))),
        },
        "LIMIT_EXCEEDED" => RecordError::LimitExceeded,
        _ => RecordError::Other {
            code,
            message: text(item, "message"),
        },
    })
}

/// The outcome of a write that sent one record; an answer without one is a refusal.
pub fn first_result(body: &Value) -> Result<String, RecordError> {
    write_results(body).into_iter().next().unwrap_or_else(|| {
        Err(RecordError::Other {
            code: "NO_RESULT".into(),
            message: "Zoho answered without a result for the record".into(),
        })
    })
}

/// A time field of a record (ISO-8601 with an offset), in UTC.
pub fn time_field(record: &Value, key: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(record.get(key)?.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A currency field (a decimal number) in minor units.
pub fn minor_field(record: &Value, key: &str) -> Option<i64> {
    record
        .get(key)
        .and_then(Value::as_f64)
        .map(|a| (a * 100.0).round() as i64)
}

/// Ids are strings in answers, but numbers have been seen in older ones.
pub fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The records of a read (`{"data":[…]}`); none for 204.
pub fn records(body: &Value) -> Vec<Value> {
    body.get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mixed_write_gives_each_record_its_outcome() {
        let body = json!({"data":[
            {"code":"SUCCESS","details":{"id":"5725767000000524157","Created_Time":"2026-12-04T10:00:00+00:00"},"message":"record added","status":"success"},
            {"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name","json_path":"$.data[1].Last_Name"},"message":"required field not found","status":"error"},
            {"code":"INVALID_DATA","details":{"api_name":"Company","json_path":"$.data[2].Company"},"message":"invalid data","status":"error"},
            {"code":"DUPLICATE_DATA","details":{"api_name":"Email","json_path":"$.data[3].Email","duplicate_record":{"id":"5725767000000999","module":{"api_name":"Contacts"}}},"message":"duplicate data","status":"error"},
            {"code":"LIMIT_EXCEEDED","details":{},"message":"too many","status":"error"},
            {"code":"NO_PERMISSION","details":{},"message":"permission denied","status":"error"}
        ]});
        assert_eq!(
            write_results(&body),
            vec![
                Ok("5725767000000524157".into()),
                Err(RecordError::MandatoryNotFound {
                    api_name: "Last_Name".into()
                }),
                Err(RecordError::InvalidData {
                    api_name: "Company".into(),
                    json_path: "$.data[2].Company".into(),
                    message: "invalid data".into()
                }),
                Err(RecordError::DuplicateData {
                    api_name: "Email".into(),
                    existing_id: Some("5725767000000999".into())
                }),
                Err(RecordError::LimitExceeded),
                Err(RecordError::Other {
                    code: "NO_PERMISSION".into(),
                    message: "permission denied".into()
                }),
            ]
        );
    }

    #[test]
    fn an_answer_without_data_has_no_results() {
        assert!(write_results(&Value::Null).is_empty());
        assert!(records(&Value::Null).is_empty());
        assert_eq!(id_text(Some(&json!(57257))), Some("57257".into()));
        assert_eq!(id_text(Some(&json!(""))), None);
    }
}
