//! An amount of money in a currency's minor unit (cents), parsed from what people type.

use crate::model::AppError;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// In hundredths of the currency unit.
    pub minor: i64,
    /// ISO 4217 code, upper case.
    pub currency: Currency,
}

/// A three-letter currency code; travels as its text ("EUR").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl TryFrom<String> for Currency {
    type Error = AppError;

    fn try_from(code: String) -> Result<Currency, AppError> {
        Currency::parse(&code)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl Currency {
    pub fn parse(raw: &str) -> Result<Currency, AppError> {
        let code = raw.trim().to_ascii_uppercase();
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 3]| b.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                AppError::invalid(
                    "currency",
                    "Currency must be a three-letter code such as EUR.",
                )
            })?;
        Ok(Currency(bytes))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

/// Largest amount accepted: a billion units keeps every sum far from overflow.
const MAX_MINOR: i64 = 1_000_000_000 * 100;

impl Money {
    /// An amount as stored (minor units and a currency column); None when the code is not one.
    pub fn stored(minor: i64, currency: &str) -> Option<Money> {
        Some(Money {
            minor,
            currency: Currency::parse(currency).ok()?,
        })
    }

    /// Parses an amount like `1500`, `1,500.50` or `1500.5` plus a currency code.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, AppError> {
        let invalid = || {
            AppError::invalid(
                "amount",
                "Amount must be a positive number with at most two decimals, such as 1500 or 1500.50.",
            )
        };
        let cleaned: String = amount
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != ' ')
            .collect();
        let (units, cents) = match cleaned.split_once('.') {
            Some((u, c)) => (u, c),
            None => (cleaned.as_str(), ""),
        };
        if units.is_empty()
            || !units.bytes().all(|b| b.is_ascii_digit())
            || cents.len() > 2
            || !cents.bytes().all(|b| b.is_ascii_digit())
            || units.len() > 10
        {
            return Err(invalid());
        }
        let units: i64 = units.parse().map_err(|_| invalid())?;
        let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| invalid())?;
        let minor = units * 100 + cents;
        if minor <= 0 || minor > MAX_MINOR {
            return Err(invalid());
        }
        Ok(Money {
            minor,
            currency: Currency::parse(currency)?,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = self.minor / 100;
        let cents = self.minor % 100;
        let mut grouped = String::new();
        let digits = units.to_string();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if cents == 0 {
            write!(f, "{grouped} {}", self.currency.as_str())
        } else {
            write!(f, "{grouped}.{cents:02} {}", self.currency.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_minor_units() {
        assert_eq!(Money::parse("1500", "eur").unwrap().minor, 150_000);
        assert_eq!(Money::parse("1,500.5", "EUR").unwrap().minor, 150_050);
        assert_eq!(Money::parse("0.99", "USD").unwrap().minor, 99);
    }

    #[test]
    fn bad_amounts_and_currencies_are_refused() {
        for bad in ["", "-5", "1.234", "abc", "0", "12345678901"] {
            assert!(Money::parse(bad, "EUR").is_err(), "{bad} was accepted");
        }
        assert!(Money::parse("10", "EURO").is_err());
        assert!(Money::parse("10", "E1R").is_err());
    }

    #[test]
    fn currencies_travel_as_text() {
        let m = Money::parse("15", "usd").unwrap();
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(json["currency"], "USD");
        assert_eq!(serde_json::from_value::<Money>(json).unwrap(), m);
        assert!(serde_json::from_str::<Currency>("\"EURO\"").is_err());
    }

    #[test]
    fn money_displays_grouped_with_its_currency() {
        assert_eq!(
            Money::parse("1234567.5", "EUR").unwrap().to_string(),
            "1,234,567.50 EUR"
        );
        assert_eq!(Money::parse("15", "USD").unwrap().to_string(), "15 USD");
    }
}
