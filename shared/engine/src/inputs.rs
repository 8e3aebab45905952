//! Run inputs: checked against the model's input schema before anything runs, defaults
//! applied, light normalisation (tickers upper-cased, numeric strings from forms and the
//! CLI read as numbers). Every error names the field.

use auster_types::{FieldType, InputField, InputSchema, Issue};
use serde_json::{Map, Value as Json};

use crate::date;
use crate::params::short_json;

/// Checks `given` against `schema`; returns the complete inputs (defaults filled in,
/// values normalised) or every problem, with paths `/inputs/<name>`.
pub fn resolve_inputs(
    schema: &InputSchema,
    given: &Map<String, Json>,
) -> Result<Map<String, Json>, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut out = Map::new();
    for (name, _) in given.iter().filter(|(n, _)| schema.field(n).is_none()) {
        let names: Vec<_> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        let hint = if names.is_empty() {
            "it takes no inputs".to_string()
        } else {
            format!("its inputs are {}", names.join(", "))
        };
        issues.push(Issue::new(
            format!("/inputs/{}", crate::parse::escape_pointer(name)),
            format!("this model has no input `{name}`; {hint}."),
        ));
    }
    for field in &schema.fields {
        let path = format!("/inputs/{}", field.name);
        match given
            .get(&field.name)
            .filter(|v| !v.is_null())
            .or(field.default.as_ref())
        {
            Some(v) => match normalize(field, v) {
                Ok(v) => {
                    out.insert(field.name.clone(), v);
                }
                Err(msg) => issues.push(Issue::new(path, msg)),
            },
            None if field.required => issues.push(Issue::new(
                path,
                format!(
                    "`{}` is required: give a {} value.",
                    field.name,
                    describe_type(field)
                ),
            )),
            None => {}
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// Checks one value against a field (used for defaults too).
pub fn check_field_value(field: &InputField, v: &Json) -> Result<(), String> {
    normalize(field, v).map(|_| ())
}

fn describe_type(f: &InputField) -> String {
    match f.field_type {
        FieldType::Enum => format!(
            "one of {}",
            f.options.as_deref().unwrap_or_default().join(", ")
        ),
        FieldType::Date => "date (YYYY-MM-DD)".into(),
        FieldType::Symbol => "ticker symbol (e.g. SPX)".into(),
        FieldType::SeriesId => "series id (e.g. DCOILWTICO)".into(),
        t => t.as_str().into(),
    }
}

/// Returns the normalised value or the sentence explaining the problem.
fn normalize(f: &InputField, v: &Json) -> Result<Json, String> {
    let name = &f.name;
    let wrong = || {
        format!(
            "`{name}` must be a {}, got {}.",
            describe_type(f),
            short_json(v)
        )
    };
    match f.field_type {
        FieldType::String => {
            let s = v.as_str().ok_or_else(wrong)?;
            if s.chars().count() > 1000 {
                return Err(format!("`{name}` must be at most 1000 characters."));
            }
            Ok(Json::String(s.to_string()))
        }
        FieldType::Symbol => {
            let s = v.as_str().ok_or_else(wrong)?.trim().to_ascii_uppercase();
            let ok = (1..=12).contains(&s.len())
                && s.chars().all(|c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '^')
                });
            if !ok {
                return Err(format!("`{name}` must be a ticker of 1–12 characters (letters, digits, '.', '-', '^'), got {}.", short_json(v)));
            }
            Ok(Json::String(s))
        }
        FieldType::SeriesId => {
            let s = v.as_str().ok_or_else(wrong)?.trim().to_ascii_uppercase();
            let ok = (1..=40).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(format!(
                    "`{name}` must be a series id of 1–40 letters, digits or '_', got {}.",
                    short_json(v)
                ));
            }
            Ok(Json::String(s))
        }
        FieldType::Date => {
            let s = v.as_str().ok_or_else(wrong)?.trim();
            let d = date::parse_iso(s).ok_or_else(|| {
                format!(
                    "`{name}` must be a real date written YYYY-MM-DD, got {}.",
                    short_json(v)
                )
            })?;
            let bound =
                |b: &Option<Json>| b.as_ref().and_then(Json::as_str).and_then(date::parse_iso);
            if let Some(min) = bound(&f.min) {
                if d < min {
                    return Err(format!(
                        "`{name}` must be on or after {}, got {s}.",
                        date::format_iso(min)
                    ));
                }
            }
            if let Some(max) = bound(&f.max) {
                if d > max {
                    return Err(format!(
                        "`{name}` must be on or before {}, got {s}.",
                        date::format_iso(max)
                    ));
                }
            }
            Ok(Json::String(s.to_string()))
        }
        FieldType::Integer | FieldType::Number => {
            let x = match v {
                Json::Number(n) => n.as_f64(),
                Json::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|x| x.is_finite())
            .ok_or_else(wrong)?;
            if f.field_type == FieldType::Integer && (x.fract() != 0.0 || x.abs() > 9e15) {
                return Err(format!(
                    "`{name}` must be a whole number, got {}.",
                    short_json(v)
                ));
            }
            let lo = f.min.as_ref().and_then(Json::as_f64);
            let hi = f.max.as_ref().and_then(Json::as_f64);
            if lo.is_some_and(|m| x < m) || hi.is_some_and(|m| x > m) {
                let range = match (lo, hi) {
                    (Some(a), Some(b)) => format!("between {a} and {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    _ => unreachable!("a bound was violated"),
                };
                return Err(format!("`{name}` must be {range}, got {x}."));
            }
            Ok(if f.field_type == FieldType::Integer {
                Json::from(x as i64)
            } else {
                serde_json::json!(x)
            })
        }
        FieldType::Boolean => match v {
            Json::Bool(b) => Ok(Json::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Json::Bool(s == "true")),
            _ => Err(wrong()),
        },
        FieldType::Enum => {
            let s = v.as_str().ok_or_else(wrong)?;
            let opts = f.options.as_deref().unwrap_or_default();
            if !opts.iter().any(|o| o == s) {
                return Err(format!(
                    "`{name}` must be one of {}, got {s:?}.",
                    opts.join(", ")
                ));
            }
            Ok(Json::String(s.to_string()))
        }
    }
}
