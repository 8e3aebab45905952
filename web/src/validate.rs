//! The run form's logic: which widget each input field gets, its starting text, and
//! validation with the server's exact rules (engine `inputs.rs`), so a person sees the
//! same sentence inline, before sending, that the API would answer with.

use auster_types::{FieldType, InputField, InputSchema};
use serde_json::{Map, Value};

use crate::dates::{format_iso, parse_iso};
use crate::format::input_value;

/// The control used for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Widget {
    /// Free text.
    Text,
    /// Upper-cased ticker text box.
    Symbol,
    /// Native date picker.
    Date,
    /// Number box with step 1.
    Integer,
    /// Number box with any step.
    Number,
    /// Checkbox.
    Checkbox,
    /// Drop-down of the options.
    Select(Vec<String>),
}

/// The widget for a field's type.
pub fn widget(field: &InputField) -> Widget {
    match field.field_type {
        FieldType::String => Widget::Text,
        FieldType::Symbol | FieldType::SeriesId => Widget::Symbol,
        FieldType::Date => Widget::Date,
        FieldType::Integer => Widget::Integer,
        FieldType::Number => Widget::Number,
        FieldType::Boolean => Widget::Checkbox,
        FieldType::Enum => Widget::Select(field.options.clone().unwrap_or_default()),
    }
}

/// Label shown for a field: its `label`, else its name in sentence case.
pub fn label(field: &InputField) -> String {
    field.label.clone().unwrap_or_else(|| {
        let s = field.name.replace('_', " ");
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    })
}

/// Starting text of a field: a prefill (URL query, lab context) if given, else the default.
pub fn initial_text(field: &InputField, prefill: Option<&str>) -> String {
    if let Some(p) = prefill.filter(|p| !p.is_empty()) {
        return p.to_string();
    }
    match (&field.default, field.field_type) {
        (Some(v), _) => input_value(v),
        (None, FieldType::Boolean) => "false".into(),
        (None, FieldType::Enum) => field
            .options
            .as_ref()
            .and_then(|o| o.first().cloned())
            .unwrap_or_default(),
        (None, _) => String::new(),
    }
}

/// Hint under a field: the allowed range or format.
pub fn hint(field: &InputField) -> Option<String> {
    let range = |lo: Option<&Value>, hi: Option<&Value>| match (lo, hi) {
        (Some(a), Some(b)) => Some(format!("{} to {}", input_value(a), input_value(b))),
        (Some(a), None) => Some(format!("at least {}", input_value(a))),
        (None, Some(b)) => Some(format!("at most {}", input_value(b))),
        (None, None) => None,
    };
    let base = match field.field_type {
        FieldType::Symbol => Some("Ticker, e.g. SPX".to_string()),
        FieldType::SeriesId => Some("Series id, e.g. DCOILWTICO".to_string()),
        FieldType::Date | FieldType::Integer | FieldType::Number => {
            range(field.min.as_ref(), field.max.as_ref())
        }
        _ => None,
    };
    // A model's own help usually states the range already; the generic hint is the fallback.
    field.help.clone().or(base)
}

fn shown(raw: &str) -> String {
    serde_json::to_string(raw).unwrap_or_default()
}

/// Checks one field's text. `Ok(None)` means "leave it out" (an empty optional field, or
/// an empty field whose default the server will apply); `Ok(Some(v))` is the value to send.
pub fn check(field: &InputField, raw: &str) -> Result<Option<Value>, String> {
    let name = &field.name;
    let t = raw.trim();
    if t.is_empty() && field.field_type != FieldType::String {
        if field.required && field.default.is_none() {
            return Err(format!("`{name}` is required."));
        }
        return Ok(None);
    }
    match field.field_type {
        FieldType::String => {
            if raw.chars().count() > 1000 {
                return Err(format!("`{name}` must be at most 1000 characters."));
            }
            if raw.is_empty() && field.required && field.default.is_none() {
                return Err(format!("`{name}` is required."));
            }
            Ok((!raw.is_empty()).then(|| Value::String(raw.to_string())))
        }
        FieldType::Symbol => {
            let s = t.to_ascii_uppercase();
            let ok = (1..=12).contains(&s.len())
                && s.chars().all(|c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '^')
                });
            if ok {
                Ok(Some(Value::String(s)))
            } else {
                Err(format!(
                    "`{name}` must be a ticker of 1–12 characters (letters, digits, '.', '-', '^'), got {}.",
                    shown(raw)
                ))
            }
        }
        FieldType::SeriesId => {
            let s = t.to_ascii_uppercase();
            let ok = (1..=40).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if ok {
                Ok(Some(Value::String(s)))
            } else {
                Err(format!(
                    "`{name}` must be a series id of 1–40 letters, digits or '_', got {}.",
                    shown(raw)
                ))
            }
        }
        FieldType::Date => {
            let d = parse_iso(t).ok_or_else(|| {
                format!(
                    "`{name}` must be a real date written YYYY-MM-DD, got {}.",
                    shown(raw)
                )
            })?;
            let bound = |b: &Option<Value>| b.as_ref().and_then(Value::as_str).and_then(parse_iso);
            if let Some(min) = bound(&field.min).filter(|m| d < *m) {
                return Err(format!(
                    "`{name}` must be on or after {}, got {t}.",
                    format_iso(min)
                ));
            }
            if let Some(max) = bound(&field.max).filter(|m| d > *m) {
                return Err(format!(
                    "`{name}` must be on or before {}, got {t}.",
                    format_iso(max)
                ));
            }
            Ok(Some(Value::String(t.to_string())))
        }
        FieldType::Integer | FieldType::Number => {
            let kind = if field.field_type == FieldType::Integer {
                "an integer"
            } else {
                "a number"
            };
            let x = t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("`{name}` must be {kind}, got {}.", shown(raw)))?;
            if field.field_type == FieldType::Integer && (x.fract() != 0.0 || x.abs() > 9e15) {
                return Err(format!(
                    "`{name}` must be a whole number, got {}.",
                    shown(raw)
                ));
            }
            let lo = field.min.as_ref().and_then(Value::as_f64);
            let hi = field.max.as_ref().and_then(Value::as_f64);
            if lo.is_some_and(|m| x < m) || hi.is_some_and(|m| x > m) {
                let range = match (lo, hi) {
                    (Some(a), Some(b)) => format!("between {a} and {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    (None, None) => String::new(),
                };
                return Err(format!("`{name}` must be {range}, got {x}."));
            }
            Ok(Some(if field.field_type == FieldType::Integer {
                Value::from(x as i64)
            } else {
                serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
            }))
        }
        FieldType::Boolean => match t {
            "true" => Ok(Some(Value::Bool(true))),
            "false" => Ok(Some(Value::Bool(false))),
            _ => Err(format!(
                "`{name}` must be true or false, got {}.",
                shown(raw)
            )),
        },
        FieldType::Enum => {
            let opts = field.options.as_deref().unwrap_or_default();
            if opts.iter().any(|o| o == t) {
                Ok(Some(Value::String(t.to_string())))
            } else {
                Err(format!(
                    "`{name}` must be one of {}, got {}.",
                    opts.join(", "),
                    shown(raw)
                ))
            }
        }
    }
}

/// Checks every field; the inputs to send, or every `(field, message)` problem.
pub fn collect(
    schema: &InputSchema,
    text_of: impl Fn(&str) -> String,
) -> Result<Map<String, Value>, Vec<(String, String)>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for f in &schema.fields {
        match check(f, &text_of(&f.name)) {
            Ok(Some(v)) => {
                out.insert(f.name.clone(), v);
            }
            Ok(None) => {}
            Err(e) => errors.push((f.name.clone(), e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The field an API issue path (`/inputs/<name>` or `<name>`) points at.
pub fn field_of_path(path: &str) -> &str {
    let p = path.strip_prefix("/inputs/").unwrap_or(path);
    p.trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(json: Value) -> InputField {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn widgets_follow_field_types() {
        let e = field(json!({"name":"kind","type":"enum","options":["call","put"]}));
        assert_eq!(
            widget(&e),
            Widget::Select(vec!["call".into(), "put".into()])
        );
        assert_eq!(initial_text(&e, None), "call");
        let b = field(json!({"name":"log_scale","type":"boolean"}));
        assert_eq!(widget(&b), Widget::Checkbox);
        assert_eq!(initial_text(&b, None), "false");
        assert_eq!(label(&b), "Log scale");
        let d = field(json!({"name":"start_date","type":"date","default":"2015-01-01"}));
        assert_eq!(initial_text(&d, None), "2015-01-01");
        assert_eq!(initial_text(&d, Some("2018-02-03")), "2018-02-03");
        assert_eq!(initial_text(&d, Some("")), "2015-01-01");
    }

    #[test]
    fn symbols_match_the_server_rules() {
        let f = field(json!({"name":"symbol","type":"symbol","required":true,"default":"SPX"}));
        assert_eq!(check(&f, " spx ").unwrap(), Some(json!("SPX")));
        assert_eq!(check(&f, "BRK.B").unwrap(), Some(json!("BRK.B")));
        assert_eq!(check(&f, "^VIX").unwrap(), Some(json!("^VIX")));
        let e = check(&f, "SP X!").unwrap_err();
        assert!(
            e.contains("`symbol` must be a ticker of 1–12 characters"),
            "{e}"
        );
        assert!(check(&f, "ABCDEFGHIJKLM").is_err());
        // Empty with a default: the server applies the default.
        assert_eq!(check(&f, "").unwrap(), None);
    }

    #[test]
    fn dates_and_bounds() {
        let f = field(json!({"name":"start_date","type":"date","required":true,
            "min":"2000-01-01","max":"2020-12-31"}));
        assert!(check(&f, "").unwrap_err().contains("required"));
        assert!(check(&f, "2021-02-29").unwrap_err().contains("real date"));
        assert!(check(&f, "1999-12-31")
            .unwrap_err()
            .contains("on or after 2000-01-01"));
        assert!(check(&f, "2021-01-01")
            .unwrap_err()
            .contains("on or before 2020-12-31"));
        assert_eq!(check(&f, "2010-06-30").unwrap(), Some(json!("2010-06-30")));
    }

    #[test]
    fn numbers_integers_enums_booleans() {
        let i = field(json!({"name":"lookback","type":"integer","default":126,"min":5,"max":756}));
        assert_eq!(check(&i, "126").unwrap(), Some(json!(126)));
        assert_eq!(
            check(&i, "4").unwrap_err(),
            "`lookback` must be between 5 and 756, got 4."
        );
        assert!(check(&i, "12.5").unwrap_err().contains("whole number"));
        assert!(check(&i, "abc").unwrap_err().contains("must be an integer"));
        let n = field(json!({"name":"rate","type":"number","min":0}));
        assert_eq!(check(&n, "0.05").unwrap(), Some(json!(0.05)));
        assert!(check(&n, "-1").unwrap_err().contains("at least 0"));
        assert!(check(&n, "inf").is_err());
        assert_eq!(
            check(&n, "").unwrap(),
            None,
            "optional and empty is left out"
        );
        let e = field(json!({"name":"kind","type":"enum","options":["call","put"]}));
        assert!(check(&e, "straddle")
            .unwrap_err()
            .contains("one of call, put"));
        let b = field(json!({"name":"flag","type":"boolean"}));
        assert_eq!(check(&b, "true").unwrap(), Some(json!(true)));
    }

    #[test]
    fn collect_reports_every_bad_field() {
        let schema: InputSchema = serde_json::from_value(json!({"fields":[
            {"name":"symbol","type":"symbol","default":"SPX"},
            {"name":"start_date","type":"date","required":true},
            {"name":"lookback","type":"integer","min":5}
        ]}))
        .unwrap();
        let text = |n: &str| match n {
            "symbol" => "qqq".to_string(),
            "start_date" => "2020-02-30".to_string(),
            _ => "2".to_string(),
        };
        let errs = collect(&schema, text).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["start_date", "lookback"]
        );
        let ok = collect(&schema, |n| {
            if n == "start_date" {
                "2020-02-28".into()
            } else {
                String::new()
            }
        })
        .unwrap();
        assert_eq!(ok.get("start_date"), Some(&json!("2020-02-28")));
        assert!(!ok.contains_key("symbol"));
        assert_eq!(field_of_path("/inputs/lookback"), "lookback");
        assert_eq!(hint(&schema.fields[2]).as_deref(), Some("at least 5"));
    }
}
