//! Account form input as types: an invalid email, name or password cannot be built.

use super::AppError;

/// A normalised (trimmed, lowercased) email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, AppError> {
        let email = raw.trim().to_lowercase();
        let bad = || {
            AppError::invalid(
                "email",
                "Enter a valid email address, like name@example.com.",
            )
        };
        if email.is_empty() {
            return Err(AppError::invalid("email", "Enter your email address."));
        }
        if email.len() > Self::MAX_LEN {
            return Err(AppError::invalid(
                "email",
                "That email address is too long.",
            ));
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c == '@' || c.is_control());
        if !(domain_ok && local_ok) {
            return Err(bad());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name other people see in chats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 80;

    /// Control and direction-changing characters are removed (`label::clean`), then the rules apply.
    pub fn parse(raw: &str) -> Result<DisplayName, AppError> {
        let cleaned = crate::model::label::clean(raw);
        let name = cleaned.as_str();
        if name.is_empty() {
            return Err(AppError::invalid("display_name", "Enter your name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid(
                "display_name",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the length rule. Never trimmed: spaces are part of it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// Argon2 takes any length, but an upper bound keeps hashing time bounded.
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str, min_chars: usize) -> Result<NewPassword, AppError> {
        let n = raw.chars().count();
        if n < min_chars {
            return Err(AppError::invalid(
                "password",
                format!("Use at least {min_chars} characters."),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(AppError::invalid(
                "password",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").map(|e| e.0),
            Ok("ann@example.com".into())
        );
    }

    #[test]
    fn malformed_emails_are_refused_at_the_email_field() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@exa..mple.com",
            "ann@.example.com",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert!(err.for_field("email").is_some(), "{bad}");
        }
    }

    #[test]
    fn passwords_under_the_minimum_are_refused() {
        assert!(NewPassword::parse("123456789", 10).is_err());
        assert!(NewPassword::parse("1234567890", 10).is_ok());
        let err = NewPassword::parse("short", 10).expect_err("short");
        assert_eq!(
            err.for_field("password").as_deref(),
            Some("Use at least 10 characters.")
        );
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        assert!(NewPassword::parse("ééééééééé", 10).is_err());
        assert!(NewPassword::parse("éééééééééé", 10).is_ok());
    }

    #[test]
    fn display_names_must_be_present_and_bounded() {
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(81)).is_err());
        assert_eq!(DisplayName::parse(" Ann ").map(|n| n.0), Ok("Ann".into()));
    }

    #[test]
    fn password_debug_never_shows_the_secret() {
        let p = NewPassword::parse("correct horse battery", 10).expect("valid");
        assert!(!format!("{p:?}").contains("horse"));
    }
}
