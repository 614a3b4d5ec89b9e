//! Quick replies: templates with placeholders that an operator inserts into the composer, the
//! placeholders' rule and how they are filled.

use crate::model::ids::{QuickReplyId, TeamId};
use crate::model::queues::TeamView;
use serde::{Deserialize, Serialize};

/// A quick reply on the admin page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyView {
    pub id: QuickReplyId,
    pub title: String,
    pub body: String,
    pub language: String,
    /// None: every operator's.
    pub team: Option<TeamId>,
    pub team_name: Option<String>,
}

/// Everything the quick replies admin page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickRepliesAdmin {
    pub replies: Vec<QuickReplyView>,
    pub teams: Vec<TeamView>,
}

/// A quick reply for one chat, its placeholders filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilledReply {
    pub id: QuickReplyId,
    pub title: String,
    pub text: String,
}

/// The placeholders a quick reply may use.
pub const PLACEHOLDERS: [&str; 3] = ["client_name", "agent_name", "deal_title"];

/// What the placeholders stand for in one chat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filling {
    pub client_name: String,
    pub agent_name: String,
    pub deal_title: String,
}

/// The `{name}` tokens of a template, in order, with their byte ranges. A brace without its
/// pair is plain text.
fn tokens(body: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let open = from + body[from..].find('{')?;
            let close = open + body[open..].find('}')?;
            let name = &body[open + 1..close];
            // A token is one word: "{ a }" and "{}" keep their braces, and in "{{x}}" the
            // inner braces are the token.
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                from = close + 1;
                return Some((open..close + 1, name));
            }
            from = open + 1;
        }
    })
}

/// The placeholders a template uses that do not exist, each once, in order.
pub fn unknown_placeholders(body: &str) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for (_, name) in tokens(body) {
        if !PLACEHOLDERS.contains(&name) && !unknown.iter().any(|u| u == name) {
            unknown.push(name.to_owned());
        }
    }
    unknown
}

/// The template with its placeholders replaced (an unknown one stays as written).
pub fn fill(body: &str, with: &Filling) -> String {
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    for (range, name) in tokens(body) {
        let value = match name {
            "client_name" => &with.client_name,
            "agent_name" => &with.agent_name,
            "deal_title" => &with.deal_title,
            _ => continue,
        };
        out.push_str(&body[at..range.start]);
        out.push_str(value);
        at = range.end;
    }
    out.push_str(&body[at..]);
    out
}

/// Whether a reply in `reply` language is offered in a channel of `channel` language: the same
/// language, whatever the region ("en" replies in an "en-GB" channel).
pub fn same_language(reply: &str, channel: &str) -> bool {
    let primary = |tag: &str| tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    primary(reply) == primary(channel)
}

/// The replies whose title or text holds `query` (any case), in their order.
pub fn matching<'a>(all: &'a [FilledReply], query: &str) -> Vec<&'a FilledReply> {
    let query = query.trim().to_lowercase();
    all.iter()
        .filter(|r| {
            query.is_empty()
                || r.title.to_lowercase().contains(&query)
                || r.text.to_lowercase().contains(&query)
        })
        .collect()
}

/// `text` with `piece` inserted at `cursor` (counted in UTF-16 units, as a browser's
/// `selectionStart` is), and the cursor just after the piece, in the same units.
pub fn insert_at(text: &str, cursor: usize, piece: &str) -> (String, usize) {
    let mut units = 0;
    let at = text
        .char_indices()
        .find(|(_, c)| {
            let here = units >= cursor;
            units += c.len_utf16();
            here
        })
        .map_or(text.len(), |(i, _)| i);
    let mut out = String::with_capacity(text.len() + piece.len());
    out.push_str(&text[..at]);
    out.push_str(piece);
    out.push_str(&text[at..]);
    let before: usize = text[..at].encode_utf16().count() + piece.encode_utf16().count();
    (out, before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> Filling {
        Filling {
            client_name: "Ana".into(),
            agent_name: "Mia".into(),
            deal_title: "Kitchen".into(),
        }
    }

    #[test]
    fn placeholders_are_filled_and_plain_braces_kept() {
        assert_eq!(
            fill(
                "Hello {client_name}, I am {agent_name} about {deal_title}.",
                &ana()
            ),
            "Hello Ana, I am Mia about Kitchen."
        );
        assert_eq!(
            fill("{ a } {} {client_name", &ana()),
            "{ a } {} {client_name"
        );
        assert_eq!(fill("{{client_name}}", &ana()), "{Ana}");
        assert_eq!(fill("Ünïcode {client_name}!", &ana()), "Ünïcode Ana!");
    }

    #[test]
    fn an_unknown_placeholder_is_named_once() {
        assert!(unknown_placeholders("Hi {client_name}").is_empty());
        assert_eq!(
            unknown_placeholders("{price} and {price} by {date}"),
            ["price", "date"]
        );
        assert!(unknown_placeholders("a { brace } and {}").is_empty());
    }

    #[test]
    fn a_reply_is_inserted_where_the_cursor_is() {
        assert_eq!(insert_at("Hi !", 3, "Ana"), ("Hi Ana!".to_owned(), 6));
        assert_eq!(insert_at("", 0, "Hello"), ("Hello".to_owned(), 5));
        assert_eq!(insert_at("end", 99, "."), ("end.".to_owned(), 4));
        // "😀" is two UTF-16 units: the cursor after it is 2.
        assert_eq!(insert_at("😀x", 2, "-"), ("😀-x".to_owned(), 3));
    }

    #[test]
    fn replies_are_found_by_title_or_text_in_any_case() {
        let all = [
            FilledReply {
                id: QuickReplyId(1),
                title: "Greeting".into(),
                text: "Hello Ana".into(),
            },
            FilledReply {
                id: QuickReplyId(2),
                title: "Prices".into(),
                text: "Our price list".into(),
            },
        ];
        let titles = |q: &str| {
            matching(&all, q)
                .iter()
                .map(|r| r.title.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(""), ["Greeting", "Prices"]);
        assert_eq!(titles("PRICE"), ["Prices"]);
        assert_eq!(titles("ana"), ["Greeting"]);
        assert!(titles("zebra").is_empty());
    }

    #[test]
    fn a_reply_fits_every_region_of_its_language() {
        assert!(same_language("en", "en-GB"));
        assert!(same_language("pt-BR", "pt"));
        assert!(!same_language("de", "en"));
    }
}
