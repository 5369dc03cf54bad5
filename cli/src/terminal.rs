//! Text from the network made safe to print: a pin code, an account name or an error
//! message from a hostile server could otherwise clear the screen, retitle the window or
//! hide text (ESC sequences, OSC, bidirectional overrides).

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and bidirectional control escaped as
/// `\u{…}`; unchanged (and not copied) when there is none.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if is_unsafe(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn control_sequences_are_escaped_and_plain_text_is_kept() {
        assert_eq!(safe("\x1b[2Jgone"), "\\u{1b}[2Jgone");
        assert_eq!(safe("\x1b]0;title\x07"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(
            safe("a\u{9b}b\u{202e}c\r\n"),
            "a\\u{9b}b\\u{202e}c\\u{d}\\u{a}"
        );
        assert_eq!(safe("Wohnzimmer 📺 ✓"), "Wohnzimmer 📺 ✓");
        assert!(matches!(safe("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
