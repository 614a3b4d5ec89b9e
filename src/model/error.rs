//! The error every server function returns: a clear sentence for the user, a status code for HTTP.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; `field` names the form field the message belongs next to.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The email is already registered.
    #[error("An account with this email already exists.")]
    EmailTaken,
    /// Wrong email or password (deliberately not saying which).
    #[error("Wrong email or password.")]
    BadCredentials,
    #[error("This account has been disabled. Contact an administrator.")]
    AccountDisabled,
    #[error("Too many failed attempts. Try again in {retry_after_secs} seconds.")]
    LockedOut { retry_after_secs: u64 },
    /// Too many requests of one kind from one user; the browser may retry after the wait.
    #[error("You are sending too fast. Wait a moment and try again.")]
    RateLimited { retry_after_ms: u64 },
    /// The thing changed under the request (for example, another manager accepted the chat).
    #[error("{0}")]
    Conflict(String),
    #[error("Please log in.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("The request is larger than the limit of {limit_bytes} bytes.")]
    TooLarge { limit_bytes: u64 },
    /// Something failed on our side; details are in the server log, never shown.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// A service we depend on (a payment provider) could not be reached; worth retrying.
    #[error("{0}")]
    Unavailable(String),
    /// The server is saturated (too many password checks at once); retry after the wait.
    #[error("The server is busy. Try again in {retry_after_secs} seconds.")]
    Busy { retry_after_secs: u64 },
    /// The request came from another site (cross-site request forgery is refused).
    #[error("This request came from another site and was refused.")]
    CrossSite,
    /// Transport or encoding failure reported by the server-function layer.
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The message to show beside `field`, if this error belongs to it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid { field: f, message } if f == field => Some(message.clone()),
            AppError::EmailTaken if field == "email" => Some(self.to_string()),
            _ => None,
        }
    }

    /// Seconds the caller should wait before trying again (the `Retry-After` header), if any.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::LockedOut { retry_after_secs } | AppError::Busy { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            AppError::RateLimited { retry_after_ms } => Some(retry_after_ms.div_ceil(1000).max(1)),
            _ => None,
        }
    }

    /// True when the message belongs to the form as a whole rather than one field.
    pub fn is_form_level(&self) -> bool {
        !matches!(self, AppError::Invalid { .. } | AppError::EmailTaken)
    }

    /// The one place errors become HTTP status codes.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 400,
            AppError::EmailTaken | AppError::Conflict(_) => 409,
            AppError::BadCredentials | AppError::Unauthenticated => 401,
            AppError::AccountDisabled | AppError::Forbidden | AppError::CrossSite => 403,
            AppError::NotFound => 404,
            AppError::TooLarge { .. } => 413,
            AppError::LockedOut { .. } | AppError::RateLimited { .. } => 429,
            AppError::Internal | AppError::Transport(_) => 500,
            AppError::Unavailable(_) | AppError::Busy { .. } => 503,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = crate::model::wire::BrowserJson;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_attach_to_their_field_only() {
        let e = AppError::invalid("password", "too short");
        assert_eq!(e.for_field("password").as_deref(), Some("too short"));
        assert_eq!(e.for_field("email"), None);
        assert!(!e.is_form_level());
    }

    #[test]
    fn duplicate_email_is_shown_at_the_email_field() {
        assert!(AppError::EmailTaken.for_field("email").is_some());
        assert_eq!(AppError::EmailTaken.status_code(), 409);
    }

    #[test]
    fn statuses_follow_the_kind_of_failure() {
        assert_eq!(AppError::BadCredentials.status_code(), 401);
        assert_eq!(AppError::AccountDisabled.status_code(), 403);
        assert_eq!(
            AppError::LockedOut {
                retry_after_secs: 3
            }
            .status_code(),
            429
        );
        assert_eq!(AppError::Internal.status_code(), 500);
    }
}
