//! Parsing model files and DSL documents from JSON, collecting every structural problem
//! with its JSON pointer instead of stopping at the first one.

use auster_types::{
    Difficulty, Dsl, FieldType, InputField, InputSchema, Issue, LabScope, ModelFile, OutputsSpec,
    ScalarOutputSpec, SeriesOutputSpec, Step, TableOutputSpec,
};
use serde_json::{Map, Value as Json};

use crate::limits::Limits;
use crate::params::short_json;

/// Collects issues while walking a document.
#[derive(Default)]
struct Walker {
    issues: Vec<Issue>,
}

impl Walker {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue::new(path, message));
    }

    fn object<'a>(&mut self, v: &'a Json, path: &str, what: &str) -> Option<&'a Map<String, Json>> {
        match v.as_object() {
            Some(o) => Some(o),
            None => {
                self.push(
                    path,
                    format!("{what} must be a JSON object, got {}.", type_name(v)),
                );
                None
            }
        }
    }

    fn string(
        &mut self,
        o: &Map<String, Json>,
        key: &str,
        path: &str,
        required: bool,
    ) -> Option<String> {
        match o.get(key) {
            Some(Json::String(s)) => Some(s.clone()),
            None | Some(Json::Null) if !required => None,
            None | Some(Json::Null) => {
                self.push(
                    format!("{path}/{key}"),
                    format!("`{key}` is required and must be a string."),
                );
                None
            }
            Some(other) => {
                self.push(
                    format!("{path}/{key}"),
                    format!("`{key}` must be a string, got {}.", type_name(other)),
                );
                None
            }
        }
    }

    fn strings(&mut self, o: &Map<String, Json>, key: &str, path: &str) -> Vec<String> {
        match o.get(key) {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v.as_str() {
                    Some(s) => Some(s.to_string()),
                    None => {
                        self.push(
                            format!("{path}/{key}/{i}"),
                            format!("each entry of `{key}` must be a string."),
                        );
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.push(
                    format!("{path}/{key}"),
                    format!(
                        "`{key}` must be a list of strings, got {}.",
                        type_name(other)
                    ),
                );
                Vec::new()
            }
        }
    }

    fn unknown_keys(&mut self, o: &Map<String, Json>, path: &str, known: &[&str], what: &str) {
        for k in o.keys() {
            if !known.contains(&k.as_str()) {
                self.push(
                    format!("{path}/{}", escape_pointer(k)),
                    format!(
                        "{what} has no field `{k}`; allowed fields are {}.",
                        known.join(", ")
                    ),
                );
            }
        }
    }
}

/// The JSON type name used in messages.
pub fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether `slug` is 2–64 chars of `a-z 0-9 -`, starting with a letter or digit.
pub fn is_valid_slug(slug: &str) -> bool {
    let b = slug.as_bytes();
    (2..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Parses a model file (dsl.md §1). Every structural problem is reported, each with a path.
pub fn parse_model_file(v: &Json, limits: &Limits) -> Result<ModelFile, Vec<Issue>> {
    let mut w = Walker::default();
    let Some(o) = w.object(v, "", "A model file") else {
        return Err(w.issues);
    };
    w.unknown_keys(
        o,
        "",
        &[
            "slug",
            "name",
            "description",
            "lab_scope",
            "tags",
            "difficulty",
            "references",
            "input_schema",
            "dsl",
        ],
        "A model file",
    );
    let slug = w.string(o, "slug", "", true).unwrap_or_default();
    if !slug.is_empty() && !is_valid_slug(&slug) {
        w.push("/slug", format!("slug {slug:?} must be 2–64 characters of lower-case letters, digits and '-', starting with a letter or digit (e.g. \"my-model\")."));
    }
    let name = w.string(o, "name", "", true).unwrap_or_default();
    if name.trim().is_empty() && o.get("name").is_some_and(Json::is_string) {
        w.push("/name", "name must not be blank.");
    }
    if name.chars().count() > 120 {
        w.push("/name", "name must be at most 120 characters.");
    }
    let description = w.string(o, "description", "", false).unwrap_or_default();
    if description.len() > 20_000 {
        w.push("/description", "description must be at most 20,000 bytes.");
    }
    let lab_scope = match w.string(o, "lab_scope", "", false) {
        None => LabScope::default(),
        Some(s) => LabScope::parse(&s).unwrap_or_else(|| {
            w.push(
                "/lab_scope",
                format!("lab_scope must be one of econ, derivatives, crypto, both; got {s:?}."),
            );
            LabScope::default()
        }),
    };
    let difficulty = match w.string(o, "difficulty", "", false) {
        None => Difficulty::default(),
        Some(s) => Difficulty::parse(&s).unwrap_or_else(|| {
            w.push(
                "/difficulty",
                format!("difficulty must be one of basic, intermediate, advanced; got {s:?}."),
            );
            Difficulty::default()
        }),
    };
    let tags = w.strings(o, "tags", "");
    if tags.len() > 20 {
        w.push("/tags", "at most 20 tags.");
    }
    for (i, t) in tags.iter().enumerate() {
        if t.is_empty() || t.chars().count() > 40 {
            w.push(format!("/tags/{i}"), "each tag must be 1–40 characters.");
        }
    }
    let references = w.strings(o, "references", "");
    let input_schema = match o.get("input_schema") {
        None | Some(Json::Null) => InputSchema::default(),
        Some(s) => parse_schema_into(&mut w, s, "/input_schema"),
    };
    let dsl = match o.get("dsl") {
        None => {
            w.push(
                "/dsl",
                "`dsl` is required: an object with `steps` and `outputs`.",
            );
            None
        }
        Some(d) => parse_dsl_into(&mut w, d, "/dsl", limits),
    };
    match (w.issues.is_empty(), dsl) {
        (true, Some(dsl)) => Ok(ModelFile {
            slug,
            name,
            description,
            lab_scope,
            tags,
            difficulty,
            references,
            input_schema,
            dsl,
        }),
        (false, Some(dsl)) => {
            // Report semantic DSL problems together with the structural ones.
            let mut issues = w.issues;
            issues.extend(
                crate::program::validate(&dsl, &input_schema)
                    .into_iter()
                    .map(crate::into_model_path),
            );
            Err(issues)
        }
        (_, None) => Err(w.issues),
    }
}

/// Parses a DSL document on its own (paths start at the document root).
pub fn parse_dsl(v: &Json, limits: &Limits) -> Result<Dsl, Vec<Issue>> {
    let mut w = Walker::default();
    let dsl = parse_dsl_into(&mut w, v, "", limits);
    match dsl {
        Some(d) if w.issues.is_empty() => Ok(d),
        _ => Err(w.issues),
    }
}

/// Parses an input schema on its own.
pub fn parse_input_schema(v: &Json) -> Result<InputSchema, Vec<Issue>> {
    let mut w = Walker::default();
    let s = parse_schema_into(&mut w, v, "");
    if w.issues.is_empty() {
        Ok(s)
    } else {
        Err(w.issues)
    }
}

fn parse_schema_into(w: &mut Walker, v: &Json, path: &str) -> InputSchema {
    let Some(o) = w.object(v, path, "input_schema") else {
        return InputSchema::default();
    };
    w.unknown_keys(o, path, &["fields"], "input_schema");
    let Some(fields) = o.get("fields") else {
        return InputSchema::default();
    };
    let Some(arr) = fields.as_array() else {
        w.push(
            format!("{path}/fields"),
            "`fields` must be a list of field objects.",
        );
        return InputSchema::default();
    };
    if arr.len() > 100 {
        w.push(
            format!("{path}/fields"),
            format!("at most 100 input fields, got {}.", arr.len()),
        );
        return InputSchema::default();
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, f) in arr.iter().enumerate() {
        let fp = format!("{path}/fields/{i}");
        let Some(fo) = w.object(f, &fp, "An input field") else {
            continue;
        };
        w.unknown_keys(
            fo,
            &fp,
            &[
                "name", "type", "required", "default", "label", "help", "min", "max", "options",
            ],
            "An input field",
        );
        let name = w.string(fo, "name", &fp, true).unwrap_or_default();
        if !name.is_empty() {
            let ok = name.len() <= 64
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                w.push(format!("{fp}/name"), format!("field name {name:?} must start with a letter and hold only letters, digits and '_' (at most 64)."));
            } else if !seen.insert(name.clone()) {
                w.push(
                    format!("{fp}/name"),
                    format!("field name {name:?} is used twice; names must be unique."),
                );
            }
        }
        let ty = w.string(fo, "type", &fp, true).and_then(|t| {
            FieldType::parse(&t).or_else(|| {
                let all: Vec<_> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
                w.push(
                    format!("{fp}/type"),
                    format!(
                        "type {t:?} is not a field type; use one of {}.",
                        all.join(", ")
                    ),
                );
                None
            })
        });
        let required = match fo.get("required") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => {
                w.push(
                    format!("{fp}/required"),
                    "`required` must be true or false.",
                );
                false
            }
        };
        let label = w.string(fo, "label", &fp, false);
        let help = w.string(fo, "help", &fp, false);
        let options = fo.get("options").map(|_| w.strings(fo, "options", &fp));
        let Some(field_type) = ty else { continue };
        if field_type == FieldType::Enum && options.as_ref().is_none_or(Vec::is_empty) {
            w.push(
                format!("{fp}/options"),
                "an enum field needs a non-empty `options` list.",
            );
        }
        let field = InputField {
            name,
            field_type,
            required,
            default: fo.get("default").filter(|d| !d.is_null()).cloned(),
            label,
            help,
            min: fo.get("min").filter(|d| !d.is_null()).cloned(),
            max: fo.get("max").filter(|d| !d.is_null()).cloned(),
            options,
        };
        for bound in ["min", "max"] {
            let b = if bound == "min" {
                &field.min
            } else {
                &field.max
            };
            if let Some(b) = b {
                let ok = match field_type {
                    FieldType::Integer | FieldType::Number => b.as_f64().is_some(),
                    FieldType::Date => b.as_str().and_then(crate::date::parse_iso).is_some(),
                    _ => false,
                };
                if !ok {
                    w.push(format!("{fp}/{bound}"), format!("`{bound}` fits only number, integer and date fields, as a value of the field's type; got {}.", short_json(b)));
                }
            }
        }
        if let Some(d) = &field.default {
            if let Err(msg) = crate::inputs::check_field_value(&field, d) {
                w.push(
                    format!("{fp}/default"),
                    format!("the default is not a valid value: {msg}"),
                );
            }
        }
        out.push(field);
    }
    InputSchema { fields: out }
}

fn parse_dsl_into(w: &mut Walker, v: &Json, path: &str, limits: &Limits) -> Option<Dsl> {
    let o = w.object(v, path, "The DSL document")?;
    w.unknown_keys(
        o,
        path,
        &["version", "steps", "outputs"],
        "The DSL document",
    );
    let version = w
        .string(o, "version", path, false)
        .unwrap_or_else(|| "1.0".into());
    if version != "1.0" {
        w.push(
            format!("{path}/version"),
            format!("DSL version {version:?} is not supported; use \"1.0\"."),
        );
    }
    let steps_v = match o.get("steps") {
        Some(Json::Array(a)) => a,
        Some(other) => {
            w.push(
                format!("{path}/steps"),
                format!(
                    "`steps` must be a list of step objects, got {}.",
                    type_name(other)
                ),
            );
            return None;
        }
        None => {
            w.push(
                format!("{path}/steps"),
                "`steps` is required: a list of step objects.",
            );
            return None;
        }
    };
    if steps_v.is_empty() {
        w.push(format!("{path}/steps"), "a model needs at least one step.");
    }
    if steps_v.len() > limits.max_steps {
        w.push(
            format!("{path}/steps"),
            format!(
                "{} steps exceed the limit of {}; split the model or combine steps.",
                steps_v.len(),
                limits.max_steps
            ),
        );
        return None;
    }
    let mut steps = Vec::with_capacity(steps_v.len());
    for (i, s) in steps_v.iter().enumerate() {
        let sp = format!("{path}/steps/{i}");
        let Some(so) = w.object(s, &sp, "A step") else {
            continue;
        };
        w.unknown_keys(
            so,
            &sp,
            &[
                "id",
                "operation",
                "params",
                "inputs",
                "label",
                "description",
            ],
            "A step",
        );
        let id = w.string(so, "id", &sp, true);
        if let Some(id) = &id {
            let ok = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                w.push(format!("{sp}/id"), format!("step id {id:?} must be 1–64 letters, digits, '_' or '-' (no dots: `a.b` means field b of step a)."));
            }
        }
        let operation = w.string(so, "operation", &sp, true);
        let params = match so.get("params") {
            None | Some(Json::Null) => Map::new(),
            Some(Json::Object(p)) => p.clone(),
            Some(other) => {
                w.push(
                    format!("{sp}/params"),
                    format!("`params` must be an object, got {}.", type_name(other)),
                );
                Map::new()
            }
        };
        let inputs = w.strings(so, "inputs", &sp);
        if let (Some(id), Some(operation)) = (id, operation) {
            steps.push(Step {
                id,
                operation,
                params,
                inputs,
            });
        }
    }
    let outputs = match o.get("outputs") {
        None | Some(Json::Null) => OutputsSpec::default(),
        Some(ov) => parse_outputs(w, ov, &format!("{path}/outputs")),
    };
    Some(Dsl {
        version,
        steps,
        outputs,
    })
}

fn parse_outputs(w: &mut Walker, v: &Json, path: &str) -> OutputsSpec {
    let Some(o) = w.object(v, path, "`outputs`") else {
        return OutputsSpec::default();
    };
    w.unknown_keys(o, path, &["series", "tables", "scalars"], "`outputs`");
    let mut out = OutputsSpec::default();
    for group in ["series", "tables", "scalars"] {
        let Some(gv) = o.get(group) else { continue };
        let Some(arr) = gv.as_array() else {
            w.push(
                format!("{path}/{group}"),
                format!("`{group}` must be a list of objects."),
            );
            continue;
        };
        for (i, item) in arr.iter().enumerate() {
            let ip = format!("{path}/{group}/{i}");
            let Some(io) = w.object(item, &ip, "An output") else {
                continue;
            };
            let id = w.string(io, "id", &ip, true);
            let source = w.string(io, "source", &ip, true);
            let label = w.string(io, "label", &ip, false);
            let (Some(id), Some(source)) = (id, source) else {
                continue;
            };
            match group {
                "series" => {
                    w.unknown_keys(
                        io,
                        &ip,
                        &["id", "source", "label", "color"],
                        "A series output",
                    );
                    let color = w.string(io, "color", &ip, false);
                    if let Some(c) = &color {
                        if !is_safe_color(c) {
                            w.push(format!("{ip}/color"), format!("color {c:?} must be a hex colour like \"#2563eb\" or a CSS colour name."));
                        }
                    }
                    out.series.push(SeriesOutputSpec {
                        id,
                        source,
                        label,
                        color,
                    });
                }
                "tables" => {
                    w.unknown_keys(
                        io,
                        &ip,
                        &["id", "source", "label", "columns"],
                        "A table output",
                    );
                    let columns = w.strings(io, "columns", &ip);
                    out.tables.push(TableOutputSpec {
                        id,
                        source,
                        columns,
                        label,
                    });
                }
                _ => {
                    w.unknown_keys(
                        io,
                        &ip,
                        &["id", "source", "label", "format"],
                        "A scalar output",
                    );
                    let format = w.string(io, "format", &ip, false);
                    out.scalars.push(ScalarOutputSpec {
                        id,
                        source,
                        label,
                        format,
                    });
                }
            }
        }
    }
    out
}

/// A colour the web app can put in an SVG attribute safely: `#rgb`, `#rrggbb` or a name.
fn is_safe_color(c: &str) -> bool {
    let hex = c
        .strip_prefix('#')
        .is_some_and(|h| matches!(h.len(), 3 | 6 | 8) && h.chars().all(|x| x.is_ascii_hexdigit()));
    hex || (!c.is_empty() && c.len() <= 20 && c.chars().all(|x| x.is_ascii_alphabetic()))
}
