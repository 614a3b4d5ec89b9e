//! The deal form's fields as text, prefilled from the deal.

use crate::model::money::Money;

/// The amount as a person would type it again: `1500` or `1500.50`, without grouping, so saving
/// the form unchanged parses back to the same amount.
pub fn amount_text(money: &Money) -> String {
    let (units, cents) = (money.minor / 100, money.minor % 100);
    if cents == 0 {
        units.to_string()
    } else {
        format!("{units}.{cents:02}")
    }
}

/// The currency to prefill: the deal's, else the house default.
pub fn currency_text(money: Option<&Money>) -> String {
    money.map_or("EUR", |m| m.currency.as_str()).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_through_the_form() {
        for typed in ["1500", "1500.50", "0.05", "1234567.89"] {
            let money = Money::parse(typed, "EUR").expect("valid amount");
            assert_eq!(amount_text(&money), typed);
            assert_eq!(Money::parse(&amount_text(&money), "EUR"), Ok(money));
        }
    }

    #[test]
    fn the_currency_defaults_to_euro() {
        let usd = Money::parse("10", "usd").expect("valid amount");
        assert_eq!(currency_text(Some(&usd)), "USD");
        assert_eq!(currency_text(None), "EUR");
    }
}
