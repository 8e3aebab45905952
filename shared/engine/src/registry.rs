//! The primitive registry: what a primitive declares (operands, params, result kind, docs,
//! reference) and the table of all of them, built once.
//!
//! A primitive is a `static Primitive` in its family's file under `primitives/`; adding one
//! is a change to that file only (append it to the family's `PRIMITIVES` list). The DSL
//! reference (`docs/dsl.md`) and `GET /api/primitives` are generated from this table.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value as Json};

use crate::data::DataRequest;
use crate::params::Params;
use crate::value::{Kind, KindSet, Value};

/// The families of dsl.md §5, in documentation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Elementwise arithmetic.
    Math,
    /// Reductions, rolling windows, cumulative and ranking statistics.
    Stats,
    /// Returns and performance measures.
    Returns,
    /// Correlation, regression and related analysis.
    Analysis,
    /// Technical indicators with TA-Lib parity.
    Technical,
    /// Filters, comparisons and reshaping.
    Filters,
    /// Data fetches (the only primitives that do I/O, through the data gateway).
    Data,
    /// Options and derivatives.
    Options,
    /// Bitcoin price models and backtests.
    PriceModels,
}

impl Family {
    /// Every family, in documentation order.
    pub const ALL: [Family; 9] = [
        Family::Math,
        Family::Stats,
        Family::Returns,
        Family::Analysis,
        Family::Technical,
        Family::Filters,
        Family::Data,
        Family::Options,
        Family::PriceModels,
    ];

    /// Machine name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Math => "math",
            Family::Stats => "stats",
            Family::Returns => "returns",
            Family::Analysis => "analysis",
            Family::Technical => "technical",
            Family::Filters => "filters",
            Family::Data => "data",
            Family::Options => "options",
            Family::PriceModels => "price_models",
        }
    }

    /// Heading used in the reference.
    pub fn title(self) -> &'static str {
        match self {
            Family::Math => "Math (elementwise)",
            Family::Stats => "Statistics",
            Family::Returns => "Returns and performance",
            Family::Analysis => "Analysis",
            Family::Technical => "Technical indicators",
            Family::Filters => "Filters and shaping",
            Family::Data => "Data",
            Family::Options => "Options and derivatives",
            Family::PriceModels => "Price models",
        }
    }
}

/// One positional operand (`steps[].inputs[i]`).
#[derive(Debug, Clone, Copy)]
pub struct Operand {
    /// Name used in docs and errors.
    pub name: &'static str,
    /// Kinds accepted.
    pub kinds: KindSet,
    /// What it is.
    pub doc: &'static str,
    /// May be left out (only trailing operands).
    pub optional: bool,
    /// Repeats: accepts one or more further operands of these kinds (last operand only).
    pub variadic: bool,
}

impl Operand {
    /// A required operand.
    pub const fn new(name: &'static str, kinds: KindSet, doc: &'static str) -> Self {
        Self {
            name,
            kinds,
            doc,
            optional: false,
            variadic: false,
        }
    }

    /// Marks the operand optional.
    pub const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Marks the operand as repeating (one or more).
    pub const fn variadic(mut self) -> Self {
        self.variadic = true;
        self
    }
}

/// The type of a param value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamType {
    /// A whole number.
    Int,
    /// Any finite number.
    Number,
    /// true / false.
    Bool,
    /// Any string.
    Text,
    /// An ISO date `YYYY-MM-DD`.
    Date,
    /// One of the listed strings.
    Enum(&'static [&'static str]),
    /// A column name, or a list of column names.
    Columns,
    /// A list of numbers.
    Numbers,
}

impl ParamType {
    /// Name used in docs and errors.
    pub fn describe(self) -> String {
        match self {
            ParamType::Int => "integer".into(),
            ParamType::Number => "number".into(),
            ParamType::Bool => "boolean".into(),
            ParamType::Text => "string".into(),
            ParamType::Date => "date (YYYY-MM-DD)".into(),
            ParamType::Enum(opts) => format!("one of {}", opts.join(", ")),
            ParamType::Columns => "column name or list of names".into(),
            ParamType::Numbers => "list of numbers".into(),
        }
    }
}

/// A default value a param takes when it is not given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    /// An integer.
    Int(i64),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Text(&'static str),
}

impl Default {
    /// As JSON.
    pub fn to_json(self) -> Json {
        match self {
            Default::Int(i) => json!(i),
            Default::Num(x) => json!(x),
            Default::Bool(b) => json!(b),
            Default::Text(s) => json!(s),
        }
    }
}

/// A named parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name in `params`.
    pub name: &'static str,
    /// Value type.
    pub ty: ParamType,
    /// Must be given (when there is no default).
    pub required: bool,
    /// Taken when absent.
    pub default: Option<Default>,
    /// Inclusive lower bound for numbers.
    pub min: Option<f64>,
    /// Inclusive upper bound for numbers.
    pub max: Option<f64>,
    /// Lower bound excluded (e.g. a volatility must be > 0).
    pub min_exclusive: bool,
    /// What it means.
    pub doc: &'static str,
}

impl Param {
    const fn base(name: &'static str, ty: ParamType, doc: &'static str) -> Self {
        Self {
            name,
            ty,
            required: false,
            default: None,
            min: None,
            max: None,
            min_exclusive: false,
            doc,
        }
    }
    /// An integer param.
    pub const fn int(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Int, doc)
    }
    /// A number param.
    pub const fn number(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Number, doc)
    }
    /// A boolean param.
    pub const fn boolean(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Bool, doc)
    }
    /// A string param.
    pub const fn text(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Text, doc)
    }
    /// A date param.
    pub const fn date(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Date, doc)
    }
    /// An enum param.
    pub const fn one_of(
        name: &'static str,
        options: &'static [&'static str],
        doc: &'static str,
    ) -> Self {
        Self::base(name, ParamType::Enum(options), doc)
    }
    /// A column-or-columns param.
    pub const fn columns(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Columns, doc)
    }
    /// A list-of-numbers param.
    pub const fn numbers(name: &'static str, doc: &'static str) -> Self {
        Self::base(name, ParamType::Numbers, doc)
    }
    /// Must be given.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Default integer.
    pub const fn default_int(mut self, v: i64) -> Self {
        self.default = Some(Default::Int(v));
        self
    }
    /// Default number.
    pub const fn default_num(mut self, v: f64) -> Self {
        self.default = Some(Default::Num(v));
        self
    }
    /// Default boolean.
    pub const fn default_bool(mut self, v: bool) -> Self {
        self.default = Some(Default::Bool(v));
        self
    }
    /// Default string (also for enums and dates).
    pub const fn default_text(mut self, v: &'static str) -> Self {
        self.default = Some(Default::Text(v));
        self
    }
    /// Inclusive minimum.
    pub const fn min(mut self, v: f64) -> Self {
        self.min = Some(v);
        self
    }
    /// Exclusive minimum.
    pub const fn above(mut self, v: f64) -> Self {
        self.min = Some(v);
        self.min_exclusive = true;
        self
    }
    /// Inclusive maximum.
    pub const fn max(mut self, v: f64) -> Self {
        self.max = Some(v);
        self
    }

    /// The allowed range as words, e.g. "between 1 and 10000", or "" when unbounded.
    pub fn range_words(&self) -> String {
        let lo = if self.min_exclusive {
            "greater than"
        } else {
            "at least"
        };
        match (self.min, self.max) {
            (Some(a), Some(b)) if !self.min_exclusive => {
                format!("between {} and {}", fmt_num(a), fmt_num(b))
            }
            (Some(a), Some(b)) => format!("{lo} {} and at most {}", fmt_num(a), fmt_num(b)),
            (Some(a), None) => format!("{lo} {}", fmt_num(a)),
            (None, Some(b)) => format!("at most {}", fmt_num(b)),
            (None, None) => String::new(),
        }
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Infers a result kind from operand kinds (`None` = unknown) and the literal params.
pub type KindFn = fn(&[Option<Kind>], &Map<String, Json>) -> Option<Kind>;

/// How the kind of a primitive's result follows from its operands.
#[derive(Debug, Clone, Copy)]
pub enum Returns {
    /// Always this kind.
    Fixed(Kind),
    /// The kind of operand `i`.
    LikeInput(usize),
    /// Scalar when every operand is a scalar, else series (elementwise math).
    Elementwise,
    /// Computed from the operand kinds (`None` = unknown) and the literal params.
    Custom(KindFn),
}

impl Returns {
    /// The result kind, when it can be known before running.
    pub fn infer(&self, inputs: &[Option<Kind>], params: &Map<String, Json>) -> Option<Kind> {
        match *self {
            Returns::Fixed(k) => Some(k),
            Returns::LikeInput(i) => inputs.get(i).copied().flatten(),
            Returns::Elementwise => {
                if inputs.contains(&Some(Kind::Series)) {
                    Some(Kind::Series)
                } else if inputs.iter().all(|k| *k == Some(Kind::Scalar)) {
                    Some(Kind::Scalar)
                } else {
                    None
                }
            }
            Returns::Custom(f) => f(inputs, params),
        }
    }

    fn describe(&self) -> String {
        match self {
            Returns::Fixed(k) => k.name().into(),
            Returns::LikeInput(i) => format!("same kind as operand {}", i + 1),
            Returns::Elementwise => "series (scalar when every operand is a scalar)".into(),
            Returns::Custom(_) => "depends on operands and params (see description)".into(),
        }
    }
}

/// A failure inside a primitive: a sentence for the user (the engine adds the step id).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// What went wrong and how to fix it.
    pub message: String,
}

impl EvalError {
    /// Builds an error from a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// What a primitive's `eval` receives.
pub struct Call<'a> {
    /// Operand values, in order.
    pub inputs: &'a [&'a Value],
    /// Params, type-checked and with defaults applied.
    pub params: &'a Params,
    /// For data primitives: the dataset fetched for this step's request.
    pub data: Option<&'a Value>,
}

impl<'a> Call<'a> {
    /// Operand `i` (arity was checked before the call).
    pub fn input(&self, i: usize) -> &'a Value {
        self.inputs[i]
    }
}

/// A primitive's evaluation function.
pub type EvalFn = fn(&Call<'_>) -> Result<Value, EvalError>;

/// For data primitives: builds the request from the bound params.
pub type RequestFn = fn(&Params) -> Result<DataRequest, EvalError>;

/// Everything the engine knows about one primitive.
pub struct Primitive {
    /// The `operation` name.
    pub name: &'static str,
    /// Family (section of the reference).
    pub family: Family,
    /// One-line summary.
    pub summary: &'static str,
    /// Exact semantics: NaN handling, edge cases, formula.
    pub doc: &'static str,
    /// The reference implementation it matches, e.g. `pandas: s.rolling(n).mean()`.
    pub reference: &'static str,
    /// Positional operands.
    pub inputs: &'static [Operand],
    /// Named params.
    pub params: &'static [Param],
    /// Result kind.
    pub returns: Returns,
    /// Data request builder (data primitives only).
    pub request: Option<RequestFn>,
    /// Evaluation.
    pub eval: EvalFn,
}

impl Primitive {
    /// The declared param called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Smallest and largest operand count (`None` = unbounded).
    pub fn arity(&self) -> (usize, Option<usize>) {
        let min = self.inputs.iter().filter(|o| !o.optional).count();
        let max = if self.inputs.last().is_some_and(|o| o.variadic) {
            None
        } else {
            Some(self.inputs.len())
        };
        (min, max)
    }

    /// The operand spec for position `i` (variadic last operand repeats).
    pub fn operand(&self, i: usize) -> Option<&Operand> {
        self.inputs
            .get(i)
            .or_else(|| self.inputs.last().filter(|o| o.variadic))
    }

    /// The catalogue entry served by `GET /api/primitives`.
    pub fn catalogue_json(&self) -> Json {
        json!({
            "name": self.name,
            "family": self.family.name(),
            "summary": self.summary,
            "doc": self.doc,
            "reference": self.reference,
            "inputs": self.inputs.iter().map(|o| json!({
                "name": o.name, "kinds": o.kinds.describe(), "doc": o.doc,
                "optional": o.optional, "variadic": o.variadic,
            })).collect::<Vec<_>>(),
            "params": self.params.iter().map(|p| json!({
                "name": p.name, "type": p.ty.describe(), "required": p.required,
                "default": p.default.map(Default::to_json), "range": p.range_words(), "doc": p.doc,
            })).collect::<Vec<_>>(),
            "returns": self.returns.describe(),
        })
    }
}

/// All primitives, by name and in documentation order.
pub struct Registry {
    ordered: Vec<&'static Primitive>,
    by_name: HashMap<&'static str, &'static Primitive>,
}

impl Registry {
    fn build() -> Self {
        let mut ordered: Vec<&'static Primitive> = crate::primitives::all().collect();
        ordered.sort_by_key(|p| p.family);
        let mut by_name = HashMap::with_capacity(ordered.len());
        for p in &ordered {
            // Two primitives with one name is a programming error caught by the registry test.
            by_name.entry(p.name).or_insert(*p);
        }
        Self { ordered, by_name }
    }

    /// The primitive called `name`.
    pub fn get(&self, name: &str) -> Option<&'static Primitive> {
        self.by_name.get(name).copied()
    }

    /// Every primitive, grouped by family.
    pub fn all(&self) -> &[&'static Primitive] {
        &self.ordered
    }

    /// Names close to `name` (for "did you mean …").
    pub fn suggest(&self, name: &str) -> Vec<&'static str> {
        let mut scored: Vec<(usize, &'static str)> = self
            .ordered
            .iter()
            .map(|p| (edit_distance(name, p.name), p.name))
            .filter(|(d, n)| *d <= 2.max(name.len() / 3) || n.contains(name) && name.len() >= 3)
            .collect();
        scored.sort();
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }

    /// The catalogue (`GET /api/primitives`).
    pub fn catalogue_json(&self) -> Json {
        json!({ "primitives": self.ordered.iter().map(|p| p.catalogue_json()).collect::<Vec<_>>() })
    }
}

/// The registry, built on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::build)
}

/// Levenshtein distance (short strings only: operation names).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
