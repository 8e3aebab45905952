//! The model file: metadata, input schema and the DSL document (dsl.md §1–2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A complete model file, as stored in `seeds/models/*.json` and accepted by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// URL-safe unique name (`a-z 0-9 -`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What it computes, how to read it, assumptions (Markdown-free plain text).
    #[serde(default)]
    pub description: String,
    /// Which lab lists the model.
    #[serde(default)]
    pub lab_scope: LabScope,
    /// Free-form tags for search and filters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How much finance the model assumes.
    #[serde(default)]
    pub difficulty: Difficulty,
    /// Optional references (papers, docs) shown with the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The run inputs the model accepts.
    #[serde(default)]
    pub input_schema: InputSchema,
    /// The program.
    pub dsl: Dsl,
}

/// Which lab a model belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabScope {
    /// Macro and economics.
    #[default]
    Econ,
    /// Options and derivatives.
    Derivatives,
    /// Bitcoin valuation.
    Crypto,
    /// Listed in every lab.
    Both,
}

impl LabScope {
    /// All scopes, in display order.
    pub const ALL: [LabScope; 4] = [
        LabScope::Econ,
        LabScope::Derivatives,
        LabScope::Crypto,
        LabScope::Both,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LabScope::Econ => "econ",
            LabScope::Derivatives => "derivatives",
            LabScope::Crypto => "crypto",
            LabScope::Both => "both",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// How advanced a model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    /// For everyone.
    #[default]
    Basic,
    /// Assumes some finance.
    Intermediate,
    /// For specialists.
    Advanced,
}

impl Difficulty {
    /// All levels, in order.
    pub const ALL: [Difficulty; 3] = [
        Difficulty::Basic,
        Difficulty::Intermediate,
        Difficulty::Advanced,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Basic => "basic",
            Difficulty::Intermediate => "intermediate",
            Difficulty::Advanced => "advanced",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The inputs a model accepts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InputSchema {
    /// Fields in display order.
    #[serde(default)]
    pub fields: Vec<InputField>,
}

impl InputSchema {
    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&InputField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One input field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    /// Name used as `$name` in step params.
    pub name: String,
    /// Type, which decides validation and the widget.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether a value must be given (a default satisfies this).
    #[serde(default)]
    pub required: bool,
    /// Value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Label shown in forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Help text shown in forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Inclusive minimum (numbers and integers; for dates an ISO date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    /// Inclusive maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
    /// Allowed values of an `enum` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

/// The type of an input field (dsl.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Any text.
    String,
    /// Upper-case ticker, 1–12 chars of `A-Z 0-9 . - ^`.
    Symbol,
    /// ISO `YYYY-MM-DD`.
    Date,
    /// Whole number.
    Integer,
    /// Any finite number.
    Number,
    /// true or false.
    Boolean,
    /// One of `options`.
    Enum,
    /// A macro series id (FRED style: `A-Z 0-9 _`).
    SeriesId,
}

impl FieldType {
    /// All types.
    pub const ALL: [FieldType; 8] = [
        FieldType::String,
        FieldType::Symbol,
        FieldType::Date,
        FieldType::Integer,
        FieldType::Number,
        FieldType::Boolean,
        FieldType::Enum,
        FieldType::SeriesId,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Symbol => "symbol",
            FieldType::Date => "date",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Enum => "enum",
            FieldType::SeriesId => "series_id",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The DSL document: steps and what to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dsl {
    /// Format version; `"1.0"`.
    #[serde(default = "default_version")]
    pub version: String,
    /// The steps, in any order (they run in dependency order).
    pub steps: Vec<Step>,
    /// What the run shows.
    #[serde(default)]
    pub outputs: OutputsSpec,
}

fn default_version() -> String {
    "1.0".to_string()
}

/// One step: an operation applied to earlier steps' values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Unique id, referenced by later steps and by outputs.
    pub id: String,
    /// The primitive's name.
    pub operation: String,
    /// Parameters; strings starting with `$` are run inputs.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Ids of the steps whose values are the positional operands.
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// What a run shows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OutputsSpec {
    /// Charted series.
    #[serde(default)]
    pub series: Vec<SeriesOutputSpec>,
    /// Tables.
    #[serde(default)]
    pub tables: Vec<TableOutputSpec>,
    /// Number cards.
    #[serde(default)]
    pub scalars: Vec<ScalarOutputSpec>,
}

/// A series to chart. `source` is a step id, or `step.column` for a frame column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesOutputSpec {
    /// Output id.
    pub id: String,
    /// Step id or `step.column`.
    pub source: String,
    /// Legend label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// CSS colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A table. `source` is a table, frame or record step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableOutputSpec {
    /// Output id.
    pub id: String,
    /// Step id.
    pub source: String,
    /// Columns to show (all when empty).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A number card. `source` is a scalar step or `step.field` of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarOutputSpec {
    /// Output id.
    pub id: String,
    /// Step id or `step.field`.
    pub source: String,
    /// Card label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Display format, e.g. `0.00` or `0.0%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}
