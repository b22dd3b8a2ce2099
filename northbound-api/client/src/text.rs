//! Text from the server as it may be shown on a terminal.

use northbound_model::name::is_bidi_control;

/// `text` with control and bidirectional-formatting characters escaped (`\u{1b}`), so that
/// what a server or an object name says cannot drive the terminal or reorder the line.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(printable("plain café"), "plain café");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\u{202e}y\n"), "x\\u{202e}y\\u{a}");
    }
}
