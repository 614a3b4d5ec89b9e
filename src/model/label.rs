//! Names people give things (display names, deal titles, file names) are shown to others, so
//! characters that could disguise them are removed: control characters, and the invisible marks
//! that change the direction text is drawn in (`invoice\u{202E}fdp.exe` reads as `invoiceexe.pdf`).

/// True for the marks and overrides that change the direction of text around them.
pub fn is_direction_mark(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// `raw` without control characters and direction marks, trimmed.
pub fn clean(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control() && !is_direction_mark(*c))
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_direction_characters_are_removed() {
        assert_eq!(clean(" Ann\u{202E}a\u{0007}\n "), "Anna");
        assert_eq!(clean("\u{2067}Bo\u{2069}"), "Bo");
        assert_eq!(clean("Zoë 李"), "Zoë 李");
    }
}
