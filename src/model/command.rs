//! The markers a manager types to make a message more than text: `#q` on a shared file asks the
//! client to accept or reject it (an offer), `#p` in a message asks for a payment. One scanner
//! finds a marker; each send edge parses its text once, into a `ShareNote` or a `PaymentAsk`.

/// Text with a marker taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    pub found: bool,
    /// The text without the marker (and its arguments): the gaps closed, line breaks kept.
    pub text: String,
    /// The words right after the first marker that `accepts` took as its arguments, in order.
    pub args: Vec<String>,
}

/// Finds `marker` as a word of its own (any case) and takes every occurrence out of the text.
/// After the first one, words are offered to `accepts(position, word)` as arguments until it
/// refuses one; the accepted ones are taken out too.
pub fn take_marker(raw: &str, marker: &str, accepts: impl Fn(usize, &str) -> bool) -> Marked {
    let mut found = false;
    // Still reading arguments after the first marker.
    let mut reading = false;
    let mut args = Vec::new();
    let lines: Vec<String> = raw
        .lines()
        .map(|line| {
            line.split_whitespace()
                .filter(|word| {
                    if word.eq_ignore_ascii_case(marker) {
                        reading = !found;
                        found = true;
                        return false;
                    }
                    if reading && accepts(args.len(), word) {
                        args.push((*word).to_owned());
                        return false;
                    }
                    reading = false;
                    true
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Marked {
        found,
        text: lines.join("\n").trim().to_owned(),
        args,
    }
}

/// A share's message as the manager typed it: the text to show, and whether it asked for a
/// decision (`#q`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareNote {
    pub text: String,
    pub offer: bool,
}

impl ShareNote {
    pub fn parse(raw: &str) -> ShareNote {
        let marked = take_marker(raw, "#q", |_, _| false);
        ShareNote {
            text: marked.text,
            offer: marked.found,
        }
    }
}

/// A `#p` request as the manager typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentAsk {
    /// The amount written after the marker, unparsed (parsing gives the error to show).
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// The rest of the message: the request's description.
    pub text: String,
}

/// Lower-case codes taken as a currency after an amount (`#p 1500 eur`); any other currency is
/// written in capitals, so `#p 1500 for the deposit` keeps "for" as text.
const LOWER_CASE_CODES: [&str; 12] = [
    "eur", "usd", "gbp", "chf", "jpy", "cad", "aud", "sek", "nok", "dkk", "pln", "czk",
];

fn looks_like_amount(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ','))
}

fn looks_like_currency(word: &str) -> bool {
    let letters = (2..=5).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_alphabetic());
    letters && (word.bytes().all(|b| b.is_ascii_uppercase()) || LOWER_CASE_CODES.contains(&word))
}

impl PaymentAsk {
    /// The request in a message, with the amount and currency that may follow `#p`; None when
    /// the message has no marker.
    pub fn parse(raw: &str) -> Option<PaymentAsk> {
        let marked = take_marker(raw, "#p", |at, word| match at {
            0 => looks_like_amount(word),
            1 => looks_like_currency(word),
            _ => false,
        });
        let mut args = marked.args.into_iter();
        marked.found.then(|| PaymentAsk {
            amount: args.next(),
            currency: args.next(),
            text: marked.text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(raw: &str) -> PaymentAsk {
        PaymentAsk::parse(raw).expect("has a marker")
    }

    #[test]
    fn the_marker_makes_an_offer_and_is_not_shown() {
        assert_eq!(
            ShareNote::parse("#q quotation v1"),
            ShareNote {
                text: "quotation v1".into(),
                offer: true
            }
        );
        assert_eq!(
            ShareNote::parse("Here is the invoice #Q please check"),
            ShareNote {
                text: "Here is the invoice please check".into(),
                offer: true
            }
        );
    }

    #[test]
    fn a_marker_inside_a_word_is_just_text() {
        assert_eq!(
            ShareNote::parse("see #quote and x#q"),
            ShareNote {
                text: "see #quote and x#q".into(),
                offer: false
            }
        );
    }

    #[test]
    fn line_breaks_survive() {
        assert_eq!(
            ShareNote::parse("#q\nline one\nline two").text,
            "line one\nline two"
        );
    }

    #[test]
    fn the_marker_amount_and_currency_are_taken_out() {
        assert_eq!(
            ask("#p 1500 EUR"),
            PaymentAsk {
                amount: Some("1500".into()),
                currency: Some("EUR".into()),
                text: String::new()
            }
        );
        assert_eq!(
            ask("Deposit please #P 1,500.50 usd"),
            PaymentAsk {
                amount: Some("1,500.50".into()),
                currency: Some("usd".into()),
                text: "Deposit please".into()
            }
        );
        let bare = ask("#p for the first milestone");
        assert_eq!((bare.amount, bare.currency), (None, None));
        assert_eq!(bare.text, "for the first milestone");
        assert_eq!(ask("#p 200 for setup").text, "for setup");
        assert_eq!(ask("#p 200 for setup").currency, None);
    }

    #[test]
    fn no_marker_is_no_request() {
        assert_eq!(PaymentAsk::parse("see #pay and x#p"), None);
    }

    #[test]
    fn only_the_first_marker_takes_arguments() {
        let ask = PaymentAsk::parse("#p 10 EUR and #p 20 USD").expect("marker");
        assert_eq!(ask.amount.as_deref(), Some("10"));
        assert_eq!(ask.text, "and 20 USD");
    }
}
