//! Message text: the length and emptiness rules, and splitting text into plain runs and links so
//! the browser can make links clickable while treating everything else as text.

use crate::model::AppError;

/// A message body that passed the rules: not blank, at most the configured number of characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Trailing whitespace is dropped; inner line breaks are kept as typed.
    pub fn parse(raw: &str, max_chars: usize) -> Result<MessageBody, AppError> {
        let text = raw.trim_end();
        let text = text.trim_start_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return Err(AppError::invalid("body", "Type a message before sending."));
        }
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(AppError::invalid(
                "body",
                format!("Messages are limited to {max_chars} characters; this one has {chars}."),
            ));
        }
        Ok(MessageBody(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A piece of message text: shown as is, as a link to its own text, or as a mention of the
/// reader (`@Their Name`), which their view highlights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Link(&'a str),
    Mention(&'a str),
}

/// `segments`, with each `@name` of the reader (any ASCII case, not inside a longer word) taken
/// out of the plain runs as a mention.
pub fn segments_for<'a>(text: &'a str, reader: &str) -> Vec<Segment<'a>> {
    let reader = reader.trim();
    let mut out = Vec::new();
    for segment in segments(text) {
        match segment {
            Segment::Text(run) if !reader.is_empty() => split_mentions(run, reader, &mut out),
            other => out.push(other),
        }
    }
    out
}

fn split_mentions<'a>(run: &'a str, name: &str, out: &mut Vec<Segment<'a>>) {
    let mut rest = run;
    let mut from = 0;
    while let Some(at) = rest[from..].find('@').map(|i| from + i) {
        let end = at + 1 + name.len();
        // Not inside a word either (an email address).
        let starts_word = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let named = starts_word
            && rest
                .get(at + 1..end)
                .is_some_and(|candidate| candidate.eq_ignore_ascii_case(name));
        // `end` is a character boundary once the name matched (`get` checked it).
        let ends_word = named
            && rest[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if ends_word {
            if at > 0 {
                out.push(Segment::Text(&rest[..at]));
            }
            out.push(Segment::Mention(&rest[at..end]));
            rest = &rest[end..];
            from = 0;
        } else {
            from = at + 1;
        }
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest));
    }
}

/// Splits text into plain runs and `http(s)://` links. A link ends at whitespace; trailing
/// punctuation that usually closes a sentence is left out of it.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let link = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
        let scheme_len = if link.starts_with("https://") { 8 } else { 7 };
        if link.len() <= scheme_len {
            // A bare scheme is not a link; keep it as text and look further on.
            let skip = start + scheme_len;
            out.push(Segment::Text(&rest[..skip]));
            rest = &rest[skip..];
            continue;
        }
        if start > 0 {
            out.push(Segment::Text(&rest[..start]));
        }
        out.push(Segment::Link(link));
        rest = &rest[start + link.len()..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest));
    }
    out
}

fn find_link_start(text: &str) -> Option<usize> {
    let http = text.find("http://");
    let https = text.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The first line of a message, shortened for a list preview.
pub fn preview(text: &str, max_chars: usize) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() <= max_chars {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_messages_are_refused() {
        for blank in ["", "   ", "\n\t\n"] {
            let err = MessageBody::parse(blank, 100).unwrap_err();
            assert_eq!(
                err.for_field("body").as_deref(),
                Some("Type a message before sending.")
            );
        }
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(MessageBody::parse(&"é".repeat(10), 10).is_ok());
        let err = MessageBody::parse(&"é".repeat(11), 10).unwrap_err();
        assert!(err.to_string().contains("limited to 10 characters"));
    }

    #[test]
    fn inner_line_breaks_are_kept_and_trailing_space_dropped() {
        let body = MessageBody::parse("\nfirst\n\n  second  \n", 100).unwrap();
        assert_eq!(body.as_str(), "first\n\n  second");
    }

    #[test]
    fn links_are_split_from_text_without_sentence_punctuation() {
        assert_eq!(
            segments("see https://example.com/a?b=1. and http://x.io"),
            vec![
                Segment::Text("see "),
                Segment::Link("https://example.com/a?b=1"),
                Segment::Text(". and "),
                Segment::Link("http://x.io"),
            ]
        );
    }

    #[test]
    fn markup_stays_text_and_bare_schemes_are_not_links() {
        assert_eq!(segments("<b>hi</b>"), vec![Segment::Text("<b>hi</b>")]);
        assert_eq!(
            segments("https:// nothing"),
            vec![Segment::Text("https://"), Segment::Text(" nothing")]
        );
        assert_eq!(
            segments("javascript:alert(1)"),
            vec![Segment::Text("javascript:alert(1)")]
        );
    }

    #[test]
    fn previews_take_the_first_line_and_shorten_it() {
        assert_eq!(preview("\n hello \nworld", 20), "hello");
        assert_eq!(preview("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn the_readers_name_after_an_at_sign_is_a_mention() {
        assert_eq!(
            segments_for(
                "Hi @ana lee, see https://x.io @Ana Leeway @Ana Lee",
                "Ana Lee"
            ),
            vec![
                Segment::Text("Hi "),
                Segment::Mention("@ana lee"),
                Segment::Text(", see "),
                Segment::Link("https://x.io"),
                Segment::Text(" @Ana Leeway "),
                Segment::Mention("@Ana Lee"),
            ]
        );
        assert_eq!(
            segments_for("mail ana@x.io", "x"),
            vec![Segment::Text("mail ana@x.io")]
        );
        assert_eq!(segments_for("@Bo", ""), vec![Segment::Text("@Bo")]);
        assert_eq!(
            segments_for("(@Åsa!", "Åsa"),
            vec![
                Segment::Text("("),
                Segment::Mention("@Åsa"),
                Segment::Text("!")
            ]
        );
    }
}
