//! Property tests of every parser that takes user input: whatever arrives, each answers without
//! panicking, and what it accepts keeps its promises.

use crate::model::channels::{parse_grants, parse_language};
use crate::model::command::{PaymentAsk, ShareNote};
use crate::model::internal_chat::{MAX_TITLE_CHARS, parse_ids, parse_title};
use crate::model::label;
use crate::model::message_text::{MessageBody, Segment, segments, segments_for};
use crate::model::money::Money;
use crate::server::accounts::redirect::safe_next;
use crate::server::files::rules::display_name;
use crate::server::storage::StoreKey;
use proptest::prelude::*;

/// Text that leans towards the characters parsers trip on.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("/".to_owned()),
        Just("\\\\".to_owned()),
        Just("%2F".to_owned()),
        Just("..".to_owned()),
        Just("#p".to_owned()),
        Just("#q".to_owned()),
        Just("http://".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\t".to_owned()),
        Just("\r\n".to_owned()),
        Just("\u{FF0F}".to_owned()),
        Just(",".to_owned()),
        Just(".".to_owned()),
        "[0-9]{1,12}",
        "[a-zA-Z]{1,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn next_is_always_a_local_path(raw in hostile()) {
        let base = url::Url::parse("https://chat.example.com").expect("url");
        let next = safe_next(Some(&raw), &base);
        prop_assert!(next.starts_with('/') && !next.starts_with("//"), "{next:?}");
        prop_assert!(!next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\'));
        let joined = base.join(&next).expect("joins");
        prop_assert_eq!(joined.origin(), base.origin());
    }

    #[test]
    fn file_names_are_clean_single_segments(raw in hostile()) {
        if let Ok(name) = display_name(&raw) {
            prop_assert!(!name.is_empty() && name.len() <= 255);
            prop_assert!(!name.contains(['/', '\\']));
            prop_assert!(!name.chars().any(|c| c.is_control() || label::is_direction_mark(c)));
            prop_assert!(name != "." && name != "..");
        }
    }

    #[test]
    fn labels_are_clean_and_cleaning_twice_changes_nothing(raw in hostile()) {
        let once = label::clean(&raw);
        prop_assert!(!once.chars().any(|c| c.is_control() || label::is_direction_mark(c)));
        prop_assert_eq!(label::clean(&once), once);
    }

    #[test]
    fn store_keys_never_climb_out_of_the_store(raw in hostile()) {
        if let Ok(key) = StoreKey::parse(&raw) {
            let key = key.as_str();
            prop_assert!(!key.starts_with('/') && !key.split('/').any(|s| s == ".." || s == "." || s.is_empty()));
        }
    }

    #[test]
    fn amounts_round_trip_and_nothing_else_parses_as_one(units in 0i64..100_000_000, cents in 0i64..100, raw in hostile()) {
        let text = format!("{units}.{cents:02}");
        match Money::parse(&text, "EUR") {
            Ok(m) => prop_assert_eq!(m.minor, units * 100 + cents),
            Err(_) => prop_assert_eq!(units * 100 + cents, 0),
        }
        if let Ok(m) = Money::parse(&raw, "EUR") {
            prop_assert!(m.minor > 0);
        }
    }

    #[test]
    fn commands_and_messages_never_panic_and_keep_their_bounds(raw in hostile(), max in 1usize..64) {
        let _ = ShareNote::parse(&raw);
        if let Some(ask) = PaymentAsk::parse(&raw) {
            // Whatever followed the marker, amount and currency checks answer without panicking.
            if let (Some(amount), Some(currency)) = (ask.amount, ask.currency) {
                let _ = Money::parse(&amount, &currency);
            }
        }
        if let Ok(body) = MessageBody::parse(&raw, max) {
            prop_assert!(body.as_str().chars().count() <= max);
            prop_assert!(!body.as_str().trim().is_empty());
        }
        // Links and mentions are pieces of the text, in order: links start with their scheme,
        // mentions with `@` and the reader's name.
        for reader in ["", "ab", "Ana Lee"] {
            let mut rebuilt = String::new();
            let pieces = if reader.is_empty() { segments(&raw) } else { segments_for(&raw, reader) };
            for seg in pieces {
                match seg {
                    Segment::Text(t) => rebuilt.push_str(t),
                    Segment::Link(l) => {
                        prop_assert!(l.starts_with("http://") || l.starts_with("https://"));
                        rebuilt.push_str(l);
                    }
                    Segment::Mention(m) => {
                        prop_assert!(m[1..].eq_ignore_ascii_case(reader));
                        rebuilt.push_str(m);
                    }
                }
            }
            prop_assert_eq!(rebuilt, raw.clone());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_language_tag_is_short_ascii_and_normalising_twice_changes_nothing(raw in hostile()) {
        if let Some(tag) = parse_language(&raw) {
            prop_assert!(tag.len() <= 35 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            prop_assert_eq!(parse_language(&tag), Some(tag));
        }
    }

    #[test]
    fn a_grant_list_round_trips(raw in hostile()) {
        if let Some(grants) = parse_grants(&raw) {
            prop_assert_eq!(parse_grants(&grants.encode()), Some(grants));
        }
    }

    #[test]
    fn a_group_title_is_a_clean_bounded_label(raw in hostile()) {
        if let Ok(title) = parse_title(&raw) {
            prop_assert!(!title.is_empty() && title.chars().count() <= MAX_TITLE_CHARS);
            prop_assert_eq!(label::clean(&title), title.as_str());
            prop_assert_eq!(parse_title(&title), Ok(title));
        }
    }

    #[test]
    fn an_id_list_holds_positive_ids_once_each(raw in hostile()) {
        if let Ok(ids) = parse_ids("user_ids", Some(&raw)) {
            prop_assert!(ids.iter().all(|id| *id > 0));
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), ids.len());
            let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            prop_assert_eq!(parse_ids("user_ids", Some(&joined)), Ok(ids));
        }
    }
}

proptest! {
    // Each case reads the whole configuration: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_setting_is_taken_only_when_valid(raw in hostile()) {
        use crate::server::platform::config::Settings;
        let store = Settings::load_with(&[("files.store", raw.clone())]);
        prop_assert_eq!(store.is_ok(), raw == "local");
        let proxies = Settings::load_with(&[("server.trusted_proxies", raw.clone())]);
        let all_ips = raw
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .all(|t| t.parse::<std::net::IpAddr>().is_ok());
        prop_assert_eq!(proxies.is_ok(), all_ips);
    }
}
