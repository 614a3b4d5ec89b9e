//! Account form input as types: an invalid email, name or password cannot be built.

use super::AppError;
use serde::{Deserialize, Serialize};

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

/// What a client tells us about themselves beyond their name: a phone number and a company,
/// both optional (empty is "not given"). The CRM connector matches and writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub phone: Option<String>,
    pub company: Option<String>,
}

impl Profile {
    pub const MAX_PHONE_CHARS: usize = 30;
    pub const MAX_COMPANY_CHARS: usize = 120;

    /// A phone is digits with the separators people type (spaces, `+ - . ( ) /`) and at least 7
    /// digits; a company is any label up to 120 characters.
    pub fn parse(phone: &str, company: &str) -> Result<Profile, AppError> {
        let phone = crate::model::label::clean(phone);
        let phone = match phone.as_str() {
            "" => None,
            p if p.chars().count() > Self::MAX_PHONE_CHARS => {
                return Err(AppError::invalid(
                    "phone",
                    format!("Use at most {} characters.", Self::MAX_PHONE_CHARS),
                ));
            }
            p if !p.chars().all(|c| {
                c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '(' | ')' | '/')
            }) =>
            {
                return Err(AppError::invalid(
                    "phone",
                    "Use digits, spaces and + - . ( ) only.",
                ));
            }
            p if p.chars().filter(char::is_ascii_digit).count() < 7 => {
                return Err(AppError::invalid(
                    "phone",
                    "A phone number has at least 7 digits.",
                ));
            }
            p => Some(p.to_owned()),
        };
        let company = crate::model::label::clean(company);
        let company = match company.as_str() {
            "" => None,
            c if c.chars().count() > Self::MAX_COMPANY_CHARS => {
                return Err(AppError::invalid(
                    "company",
                    format!("Use at most {} characters.", Self::MAX_COMPANY_CHARS),
                ));
            }
            c => Some(c.to_owned()),
        };
        Ok(Profile { phone, company })
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
    fn a_profile_takes_typed_phones_and_refuses_what_is_not_one() {
        let p = Profile::parse(" +44 (20) 7946-0958 ", " Acme Ltd ").expect("valid");
        assert_eq!(p.phone.as_deref(), Some("+44 (20) 7946-0958"));
        assert_eq!(p.company.as_deref(), Some("Acme Ltd"));
        assert_eq!(Profile::parse("", "  "), Ok(Profile::default()));
        for bad in ["call me", "12345", &"1".repeat(31)] {
            let e = Profile::parse(bad, "").expect_err(bad);
            assert!(e.for_field("phone").is_some(), "{bad}");
        }
        assert!(
            Profile::parse("", &"c".repeat(121))
                .unwrap_err()
                .for_field("company")
                .is_some()
        );
    }

    #[test]
    fn password_debug_never_shows_the_secret() {
        let p = NewPassword::parse("correct horse battery", 10).expect("valid");
        assert!(!format!("{p:?}").contains("horse"));
    }
}
