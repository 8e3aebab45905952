//! Bound params: checked against a primitive's declarations, defaults applied, with typed
//! getters. Checking lives here once and serves both validation and execution.

use serde_json::{Map, Value as Json};

use crate::date::{self, Day};
use crate::registry::{EvalError, Param, ParamType, Primitive};

/// Params of one step after `$input` substitution, type checks and defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    values: Map<String, Json>,
}

impl Params {
    /// Checks `raw` (already substituted) against `prim`'s declarations. Returns the bound
    /// params or every problem as `(param name, sentence)`.
    pub fn bind(
        prim: &Primitive,
        raw: &Map<String, Json>,
    ) -> Result<Params, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut values = Map::new();
        for (name, value) in raw {
            match prim.param(name) {
                None => errors.push((name.clone(), unknown_param_message(prim, name))),
                Some(spec) => match check_value(spec, value) {
                    Ok(()) => {
                        values.insert(name.clone(), value.clone());
                    }
                    Err(msg) => errors.push((name.clone(), msg)),
                },
            }
        }
        for spec in prim.params {
            if values.contains_key(spec.name) || raw.contains_key(spec.name) {
                continue;
            }
            if let Some(d) = spec.default {
                values.insert(spec.name.into(), d.to_json());
            } else if spec.required {
                errors.push((
                    spec.name.into(),
                    format!(
                        "`{}` needs the param `{}` ({}): {}.",
                        prim.name,
                        spec.name,
                        spec.ty.describe(),
                        spec.doc.trim_end_matches('.')
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Params { values })
        } else {
            Err(errors)
        }
    }

    /// Builds params directly from a JSON object without checks (tests and benches).
    pub fn from_map_unchecked(values: Map<String, Json>) -> Self {
        Self { values }
    }

    /// Whether a value is present (given or defaulted).
    pub fn has(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|v| !v.is_null())
    }

    /// The raw JSON of a param.
    pub fn raw(&self, name: &str) -> Option<&Json> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// An integer param, or an error naming it when absent.
    pub fn int(&self, name: &str) -> Result<i64, EvalError> {
        self.opt_int(name)?.ok_or_else(|| missing(name))
    }

    /// An optional integer param.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, EvalError> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => as_int(v).map(Some).ok_or_else(|| wrong(name, "an integer")),
        }
    }

    /// A non-negative integer param as `usize`.
    pub fn usize(&self, name: &str) -> Result<usize, EvalError> {
        let v = self.int(name)?;
        usize::try_from(v)
            .map_err(|_| EvalError::new(format!("param `{name}` must be 0 or more, got {v}.")))
    }

    /// A number param.
    pub fn num(&self, name: &str) -> Result<f64, EvalError> {
        self.opt_num(name)?.ok_or_else(|| missing(name))
    }

    /// An optional number param.
    pub fn opt_num(&self, name: &str) -> Result<Option<f64>, EvalError> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| wrong(name, "a number")),
        }
    }

    /// A boolean param (false when absent and without default).
    pub fn flag(&self, name: &str) -> Result<bool, EvalError> {
        match self.raw(name) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| wrong(name, "true or false")),
        }
    }

    /// A string param.
    pub fn text(&self, name: &str) -> Result<&str, EvalError> {
        self.opt_text(name)?.ok_or_else(|| missing(name))
    }

    /// An optional string param.
    pub fn opt_text(&self, name: &str) -> Result<Option<&str>, EvalError> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => v.as_str().map(Some).ok_or_else(|| wrong(name, "a string")),
        }
    }

    /// An optional date param.
    pub fn opt_date(&self, name: &str) -> Result<Option<Day>, EvalError> {
        match self.opt_text(name)? {
            None => Ok(None),
            Some(s) => date::parse_iso(s)
                .map(Some)
                .ok_or_else(|| wrong(name, "a date YYYY-MM-DD")),
        }
    }

    /// A column name or list of names; `(names, was_list)`.
    pub fn columns(&self, name: &str) -> Result<(Vec<String>, bool), EvalError> {
        match self.raw(name) {
            Some(Json::String(s)) => Ok((vec![s.clone()], false)),
            Some(Json::Array(a)) => Ok((
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                true,
            )),
            _ => Err(missing(name)),
        }
    }

    /// A list of numbers (empty when absent).
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, EvalError> {
        match self.raw(name) {
            None => Ok(Vec::new()),
            Some(Json::Array(a)) => a
                .iter()
                .map(|v| v.as_f64().ok_or_else(|| wrong(name, "a list of numbers")))
                .collect(),
            Some(_) => Err(wrong(name, "a list of numbers")),
        }
    }
}

fn missing(name: &str) -> EvalError {
    EvalError::new(format!("param `{name}` is required."))
}

fn wrong(name: &str, what: &str) -> EvalError {
    EvalError::new(format!("param `{name}` must be {what}."))
}

fn as_int(v: &Json) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
            .map(|x| x as i64)
    })
}

/// The sentence for a param the primitive does not declare.
pub fn unknown_param_message(prim: &Primitive, name: &str) -> String {
    let known: Vec<_> = prim.params.iter().map(|p| p.name).collect();
    if known.is_empty() {
        format!("`{}` takes no params; remove `{name}`.", prim.name)
    } else {
        let close = known
            .iter()
            .find(|k| crate::registry::edit_distance(k, name) <= 2);
        let hint = close
            .map(|c| format!(" Did you mean `{c}`?"))
            .unwrap_or_default();
        format!(
            "`{}` has no param `{name}`.{hint} Its params are: {}.",
            prim.name,
            known.join(", ")
        )
    }
}

/// Checks one param value against its declaration: type, range, options.
pub fn check_value(spec: &Param, v: &Json) -> Result<(), String> {
    let type_err = || {
        format!(
            "`{}` must be {}, got {}.",
            spec.name,
            spec.ty.describe(),
            short_json(v)
        )
    };
    let number = match spec.ty {
        ParamType::Int => Some(as_int(v).ok_or_else(type_err)? as f64),
        ParamType::Number => {
            let x = v.as_f64().ok_or_else(type_err)?;
            Some(x)
        }
        ParamType::Bool => {
            v.as_bool().ok_or_else(type_err)?;
            None
        }
        ParamType::Text => {
            v.as_str().ok_or_else(type_err)?;
            None
        }
        ParamType::Date => {
            let s = v.as_str().ok_or_else(type_err)?;
            date::parse_iso(s).ok_or_else(|| {
                format!(
                    "`{}` must be a real calendar date written YYYY-MM-DD, got {s:?}.",
                    spec.name
                )
            })?;
            None
        }
        ParamType::Enum(options) => {
            let s = v.as_str().ok_or_else(type_err)?;
            if !options.contains(&s) {
                return Err(format!(
                    "`{}` must be one of {}, got {s:?}.",
                    spec.name,
                    options.join(", ")
                ));
            }
            None
        }
        ParamType::Columns => {
            let ok = v.is_string()
                || v.as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Json::is_string));
            if !ok {
                return Err(type_err());
            }
            None
        }
        ParamType::Numbers => {
            let ok = v
                .as_array()
                .is_some_and(|a| a.iter().all(|x| x.as_f64().is_some()));
            if !ok {
                return Err(type_err());
            }
            None
        }
    };
    if let Some(x) = number {
        let below = spec
            .min
            .is_some_and(|m| if spec.min_exclusive { x <= m } else { x < m });
        let above = spec.max.is_some_and(|m| x > m);
        if below || above {
            return Err(format!(
                "`{}` must be {}, got {}.",
                spec.name,
                spec.range_words(),
                short_json(v)
            ));
        }
    }
    Ok(())
}

/// A JSON value shortened for error messages.
pub fn short_json(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}
