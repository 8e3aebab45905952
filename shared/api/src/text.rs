//! Checks on user text: lengths and control characters, with messages naming the field.
//!
//! Output is always JSON (strings escaped by serde), so no text is ever interpreted as
//! HTML; these checks keep stored text printable and bounded.

use crate::error::ApiError;

/// A one-line field (names, titles, slugs, emails, tags): 1–`max` characters, no control
/// characters.
pub fn line(path: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(
            path,
            format!("{} must not be empty", field(path)),
        ));
    }
    check(path, value, max, false)
}

/// A multi-line field (descriptions, summaries, reviews): up to `max` characters; line
/// breaks and tabs allowed, other control characters not.
pub fn multiline(path: &str, value: &str, max: usize) -> Result<(), ApiError> {
    check(path, value, max, true)
}

fn check(path: &str, value: &str, max: usize, multi: bool) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::invalid(
            path,
            format!(
                "{} is {n} characters long; at most {max} are allowed",
                field(path)
            ),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !(multi && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(ApiError::invalid(
            path,
            format!(
                "{} contains the control character U+{:04X}; {}",
                field(path),
                c as u32,
                if multi {
                    "only line breaks and tabs are allowed"
                } else {
                    "use printable characters only"
                }
            ),
        ));
    }
    Ok(())
}

fn field(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_named() {
        let e = line("/title", "a\u{0007}b", 10).unwrap_err();
        assert!(e.to_string().contains("U+0007"), "{e}");
        assert!(multiline("/summary", "a\nb\tc", 10).is_ok());
        assert!(multiline("/summary", "a\u{0000}", 10).is_err());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(line("/name", "ééééé", 5).is_ok());
        assert!(line("/name", "éééééé", 5).is_err());
        assert!(line("/name", "  ", 5).is_err());
    }
}
