//! A small JSON tokenizer for the read-only DSL view: it splits pretty-printed JSON into
//! typed tokens that the page renders as coloured text spans (never as HTML), so the
//! model's own strings cannot inject markup.

/// What a token is, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// An object key (a string followed by `:`).
    Key,
    /// A string value.
    Str,
    /// A string value that names a run input (`"$symbol"`).
    Input,
    /// A number.
    Num,
    /// `true`, `false` or `null`.
    Lit,
    /// Braces, brackets, commas, colons.
    Punct,
    /// Whitespace and anything else.
    Plain,
}

impl Tok {
    /// CSS class of the token.
    pub fn class(self) -> &'static str {
        match self {
            Tok::Key => "tk-key",
            Tok::Str => "tk-str",
            Tok::Input => "tk-input",
            Tok::Num => "tk-num",
            Tok::Lit => "tk-lit",
            Tok::Punct => "tk-punct",
            Tok::Plain => "tk-plain",
        }
    }
}

/// Splits JSON text into tokens; concatenating the texts gives back the input exactly.
pub fn tokenize(src: &str) -> Vec<(Tok, String)> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<(Tok, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            // A key is a string whose next non-space character is a colon.
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if chars.get(j) == Some(&':') {
                Tok::Key
            } else if chars.get(start + 1) == Some(&'$') && chars.get(start + 2) != Some(&'$') {
                Tok::Input
            } else {
                Tok::Str
            }
        } else if c == '-' || c.is_ascii_digit() {
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
            {
                i += 1;
            }
            Tok::Num
        } else if c.is_ascii_alphabetic() {
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            Tok::Lit
        } else if "{}[],:".contains(c) {
            i += 1;
            Tok::Punct
        } else {
            while i < chars.len()
                && !(chars[i] == '"'
                    || chars[i] == '-'
                    || chars[i].is_ascii_alphanumeric()
                    || "{}[],:".contains(chars[i]))
            {
                i += 1;
            }
            i = i.max(start + 1);
            Tok::Plain
        };
        let text: String = chars[start..i].iter().collect();
        match out.last_mut() {
            Some((k, t)) if *k == kind && kind == Tok::Plain => t.push_str(&text),
            _ => out.push((kind, text)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_keys_values_and_inputs() {
        let src = "{\n  \"symbol\": \"$symbol\",\n  \"n\": -1.5e3, \"ok\": true, \"s\": \"a\\\"b\", \"l\": \"$$x\"\n}";
        let toks = tokenize(src);
        assert_eq!(toks.iter().map(|t| t.1.as_str()).collect::<String>(), src);
        let kinds = |k: Tok| {
            toks.iter()
                .filter(|t| t.0 == k)
                .map(|t| t.1.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(Tok::Key),
            ["\"symbol\"", "\"n\"", "\"ok\"", "\"s\"", "\"l\""]
        );
        assert_eq!(kinds(Tok::Input), ["\"$symbol\""]);
        assert_eq!(kinds(Tok::Str), ["\"a\\\"b\"", "\"$$x\""]);
        assert_eq!(kinds(Tok::Num), ["-1.5e3"]);
        assert_eq!(kinds(Tok::Lit), ["true"]);
    }

    #[test]
    fn markup_stays_text() {
        let toks = tokenize("\"<script>alert(1)</script>\"");
        assert_eq!(
            toks,
            vec![(Tok::Str, "\"<script>alert(1)</script>\"".to_string())]
        );
    }
}
