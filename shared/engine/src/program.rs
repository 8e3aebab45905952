//! From a parsed DSL to an executable program: resolve operations, substitute `$inputs`,
//! bind params, check arity, references and kinds, order the steps, check outputs.
//!
//! `validate` and `compile` share one pass (`analyze`), so what validation accepts is
//! exactly what execution can run.

use std::collections::HashMap;

use auster_types::{Dsl, FieldType, InputSchema, Issue};
use serde_json::{Map, Value as Json};

use crate::data::DataRequest;
use crate::params::{check_value, unknown_param_message, Params};
use crate::registry::{registry, ParamType, Primitive};
use crate::value::Kind;

/// A step ready to run.
pub struct BoundStep {
    /// Step id.
    pub id: String,
    /// Its primitive.
    pub primitive: &'static Primitive,
    /// Bound params.
    pub params: Params,
    /// Indices (into `Program::steps`) of its operands.
    pub inputs: Vec<usize>,
    /// For data steps: the request to fetch before execution.
    pub request: Option<DataRequest>,
}

/// A validated, bound and ordered program.
pub struct Program {
    /// Steps in document order.
    pub steps: Vec<BoundStep>,
    /// Execution order (indices into `steps`).
    pub order: Vec<usize>,
    /// What to show.
    pub outputs: auster_types::OutputsSpec,
    /// The resolved run inputs.
    pub inputs: Map<String, Json>,
}

impl Program {
    /// Every data request, deduplicated, in execution order.
    pub fn data_requests(&self) -> Vec<DataRequest> {
        let mut out: Vec<DataRequest> = Vec::new();
        for &i in &self.order {
            if let Some(r) = &self.steps[i].request {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }
}

/// Checks a DSL document against the registry and an input schema without run inputs:
/// params that take a `$input` are checked with the field's default when it has one.
/// Returns every problem found (empty when valid). Paths are relative to the DSL root.
pub fn validate(dsl: &Dsl, schema: &InputSchema) -> Vec<Issue> {
    let defaults: Map<String, Json> = schema
        .fields
        .iter()
        .filter_map(|f| f.default.clone().map(|d| (f.name.clone(), d)))
        .collect();
    match analyze(dsl, schema, &defaults, false) {
        Ok(_) => Vec::new(),
        Err(issues) => issues,
    }
}

/// Binds a DSL document to resolved run inputs (see `inputs::resolve_inputs`), producing
/// an executable program or every problem found.
pub fn compile(
    dsl: &Dsl,
    schema: &InputSchema,
    inputs: &Map<String, Json>,
) -> Result<Program, Vec<Issue>> {
    analyze(dsl, schema, inputs, true)
}

enum Subst {
    Value(Json),
    /// Names an input that does not exist (already reported).
    Invalid,
    /// Refers to an input that has no value yet (validation without inputs).
    Deferred(FieldType),
}

/// Replaces `$name` strings (also inside lists) by input values; `$$x` is a literal `$x`.
fn substitute(
    v: &Json,
    schema: &InputSchema,
    inputs: &Map<String, Json>,
    path: &str,
    issues: &mut Vec<Issue>,
) -> Subst {
    match v {
        Json::String(s) if s.starts_with("$$") => Subst::Value(Json::String(s[1..].to_string())),
        Json::String(s) if s.starts_with('$') => {
            let name = &s[1..];
            match (schema.field(name), inputs.get(name)) {
                (Some(_), Some(val)) => Subst::Value(val.clone()),
                (Some(f), None) => Subst::Deferred(f.field_type),
                (None, _) => {
                    let names: Vec<_> = schema
                        .fields
                        .iter()
                        .map(|f| format!("${}", f.name))
                        .collect();
                    let hint = if names.is_empty() {
                        "the model declares no inputs; add it to input_schema.fields".to_string()
                    } else {
                        format!("declared inputs are {}", names.join(", "))
                    };
                    issues.push(Issue::new(path, format!("`{s}` names no input: {hint}. Write `$${name}` for a literal `${name}`.")));
                    Subst::Invalid
                }
            }
        }
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match substitute(item, schema, inputs, &format!("{path}/{i}"), issues) {
                    Subst::Value(x) => out.push(x),
                    Subst::Deferred(t) => return Subst::Deferred(t),
                    Subst::Invalid => return Subst::Invalid,
                }
            }
            Subst::Value(Json::Array(out))
        }
        other => Subst::Value(other.clone()),
    }
}

/// Whether an input field of type `field` can feed a param of type `param`.
fn field_fits_param(field: FieldType, param: ParamType) -> bool {
    use FieldType as F;
    match param {
        ParamType::Int => field == F::Integer,
        ParamType::Number => matches!(field, F::Integer | F::Number),
        ParamType::Bool => field == F::Boolean,
        ParamType::Date => matches!(field, F::Date | F::String),
        ParamType::Text | ParamType::Enum(_) | ParamType::Columns => {
            matches!(
                field,
                F::String | F::Symbol | F::SeriesId | F::Enum | F::Date
            )
        }
        ParamType::Numbers => false,
    }
}

fn analyze(
    dsl: &Dsl,
    schema: &InputSchema,
    inputs: &Map<String, Json>,
    strict: bool,
) -> Result<Program, Vec<Issue>> {
    let reg = registry();
    let mut issues = Vec::new();

    // Step ids must be unique.
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(dsl.steps.len());
    for (i, s) in dsl.steps.iter().enumerate() {
        if let Some(prev) = index.insert(&s.id, i) {
            issues.push(Issue::new(
                format!("/steps/{i}/id"),
                format!(
                    "step id {:?} is already used by step {prev}; ids must be unique.",
                    s.id
                ),
            ));
            index.insert(&s.id, prev);
        }
    }

    // Resolve operations, references and params.
    let mut bound: Vec<Option<BoundStep>> = Vec::with_capacity(dsl.steps.len());
    for (i, s) in dsl.steps.iter().enumerate() {
        let sp = format!("/steps/{i}");
        let Some(prim) = reg.get(&s.operation) else {
            let sugg = reg.suggest(&s.operation);
            let hint = if sugg.is_empty() {
                "see GET /api/primitives or docs/dsl.md for the catalogue".to_string()
            } else {
                format!(
                    "did you mean {}?",
                    sugg.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            };
            issues.push(Issue::new(
                format!("{sp}/operation"),
                format!("unknown operation {:?}; {hint}", s.operation),
            ));
            bound.push(None);
            continue;
        };
        let (min, max) = prim.arity();
        let n = s.inputs.len();
        if n < min || max.is_some_and(|m| n > m) {
            let want = match max {
                Some(m) if m == min => format!("exactly {min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            let names: Vec<_> = prim.inputs.iter().map(|o| o.name).collect();
            issues.push(Issue::new(
                format!("{sp}/inputs"),
                format!(
                    "`{}` takes {want} input(s) ({}), got {n}.",
                    prim.name,
                    names.join(", ")
                ),
            ));
        }
        let mut operand_idx = Vec::with_capacity(n);
        for (k, r) in s.inputs.iter().enumerate() {
            match index.get(r.as_str()) {
                Some(&j) => operand_idx.push(j),
                None => {
                    let hint = if r.contains('.') {
                        " Inputs name whole steps; use a `select` step to take a column."
                            .to_string()
                    } else {
                        let close: Vec<_> = dsl
                            .steps
                            .iter()
                            .map(|x| x.id.as_str())
                            .filter(|id| crate::registry::edit_distance(id, r) <= 2)
                            .collect();
                        if close.is_empty() {
                            String::new()
                        } else {
                            format!(" Did you mean {:?}?", close[0])
                        }
                    };
                    issues.push(Issue::new(
                        format!("{sp}/inputs/{k}"),
                        format!("no step has id {r:?}.{hint}"),
                    ));
                }
            }
        }
        // Params: substitute inputs, then check each against its declaration.
        let mut raw = Map::new();
        let mut deferred = Vec::new();
        let mut failed = Vec::new();
        for (name, v) in &s.params {
            let pp = format!("{sp}/params/{}", crate::parse::escape_pointer(name));
            match substitute(v, schema, inputs, &pp, &mut issues) {
                Subst::Value(x) => {
                    raw.insert(name.clone(), x);
                }
                Subst::Invalid => failed.push(name.clone()),
                Subst::Deferred(ft) => {
                    match prim.param(name) {
                        Some(spec) if !field_fits_param(ft, spec.ty) => issues.push(Issue::new(
                            pp,
                            format!(
                                "`{name}` must be {}, but it takes {v} which is a {} input.",
                                spec.ty.describe(),
                                ft.as_str()
                            ),
                        )),
                        None => issues.push(Issue::new(pp, unknown_param_message(prim, name))),
                        Some(_) => {}
                    }
                    deferred.push(name.clone());
                }
            }
        }
        let params = if strict || deferred.is_empty() {
            match Params::bind(prim, &raw) {
                Ok(p) => Some(p),
                Err(errs) => {
                    for (name, msg) in errs.into_iter().filter(|(n, _)| !failed.contains(n)) {
                        let path = if s.params.contains_key(&name) {
                            format!("{sp}/params/{}", crate::parse::escape_pointer(&name))
                        } else {
                            format!("{sp}/params")
                        };
                        issues.push(Issue::new(path, msg));
                    }
                    None
                }
            }
        } else {
            // Validation without inputs: check what can be checked, leave the rest to run time.
            for (name, v) in &raw {
                if let Some(spec) = prim.param(name) {
                    if let Err(msg) = check_value(spec, v) {
                        issues.push(Issue::new(
                            format!("{sp}/params/{}", crate::parse::escape_pointer(name)),
                            msg,
                        ));
                    }
                } else {
                    issues.push(Issue::new(
                        format!("{sp}/params/{}", crate::parse::escape_pointer(name)),
                        unknown_param_message(prim, name),
                    ));
                }
            }
            None
        };
        let request = match (&params, prim.request) {
            (Some(p), Some(build)) => match build(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    issues.push(blame_inputs(&sp, &s.params, e.message));
                    None
                }
            },
            _ => None,
        };
        bound.push(Some(BoundStep {
            id: s.id.clone(),
            primitive: prim,
            params: params.unwrap_or_default(),
            inputs: operand_idx,
            request,
        }));
    }

    // Order: Kahn's algorithm, ties broken by document order; report any cycle by name.
    let order = match topological_order(dsl) {
        Ok(o) => o,
        Err(cycle) => {
            let names: Vec<_> = cycle.iter().map(|&i| dsl.steps[i].id.as_str()).collect();
            issues.push(Issue::new(
                format!("/steps/{}/inputs", cycle[0]),
                format!("steps form a cycle: {} → {}. Each step may only use steps that do not depend on it.", names.join(" → "), names[0]),
            ));
            Vec::new()
        }
    };

    // Kinds: infer in order and check operands.
    let mut kinds: Vec<Option<Kind>> = vec![None; dsl.steps.len()];
    for &i in &order {
        let Some(b) = &bound[i] else { continue };
        let operand_kinds: Vec<Option<Kind>> = b.inputs.iter().map(|&j| kinds[j]).collect();
        for (k, ok) in operand_kinds.iter().enumerate() {
            let (Some(kind), Some(spec)) = (ok, b.primitive.operand(k)) else {
                continue;
            };
            if !spec.kinds.contains(*kind) {
                let hint = if *kind == Kind::Frame && spec.kinds.contains(Kind::Series) {
                    " Take a column first with a `select` step."
                } else {
                    ""
                };
                issues.push(Issue::new(
                    format!("/steps/{i}/inputs/{k}"),
                    format!(
                        "`{}` wants a {} as its {} input (`{}`), but step {:?} gives a {}.{hint}",
                        b.primitive.name,
                        spec.kinds.describe(),
                        ordinal(k),
                        spec.name,
                        dsl.steps[b.inputs[k]].id,
                        kind.name()
                    ),
                ));
            }
        }
        kinds[i] = b
            .primitive
            .returns
            .infer(&operand_kinds, &dsl.steps[i].params);
    }

    check_outputs(dsl, &index, &kinds, &mut issues);

    if !issues.is_empty() {
        return Err(issues);
    }
    let steps = bound
        .into_iter()
        .map(|b| b.expect("every step bound when there are no issues"))
        .collect();
    Ok(Program {
        steps,
        order,
        outputs: dsl.outputs.clone(),
        inputs: inputs.clone(),
    })
}

/// A data request refused as a whole (e.g. `start` after `end`): when the params involved
/// come from run inputs, point at the first such input and name the inputs, since that is
/// what the user typed.
fn blame_inputs(step_path: &str, raw: &Map<String, Json>, message: String) -> Issue {
    let mut message = message;
    let mut first_input = None;
    for (param, v) in raw {
        let Some(input) = v
            .as_str()
            .and_then(|s| s.strip_prefix('$'))
            .filter(|s| !s.starts_with('$'))
        else {
            continue;
        };
        let quoted = format!("`{param}`");
        if message.contains(&quoted) {
            message = message.replace(&quoted, &format!("`{input}`"));
            first_input.get_or_insert(input.to_string());
        }
    }
    match first_input {
        Some(input) => Issue::new(format!("/inputs/{input}"), message),
        None => Issue::new(format!("{step_path}/params"), message),
    }
}

fn ordinal(k: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth"]
        .get(k)
        .copied()
        .unwrap_or("next")
}

/// Kahn's algorithm; on a cycle returns the steps of one cycle in order.
fn topological_order(dsl: &Dsl) -> Result<Vec<usize>, Vec<usize>> {
    let n = dsl.steps.len();
    let mut first_index: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, s) in dsl.steps.iter().enumerate() {
        first_index.entry(&s.id).or_insert(i);
    }
    let deps: Vec<Vec<usize>> = dsl
        .steps
        .iter()
        .map(|s| {
            s.inputs
                .iter()
                .filter_map(|r| first_index.get(r.as_str()).copied())
                .collect()
        })
        .collect();
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            users[j].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &u in &users[i] {
            indegree[u] -= 1;
            if indegree[u] == 0 {
                ready.insert(u);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk dependencies from a blocked step until a step repeats: that loop is a cycle.
    let start = (0..n)
        .find(|&i| indegree[i] > 0)
        .expect("a blocked step exists");
    let mut path = vec![start];
    let mut seen = HashMap::from([(start, 0usize)]);
    let mut cur = start;
    loop {
        let next = *deps[cur]
            .iter()
            .find(|&&j| indegree[j] > 0)
            .expect("a blocked step has a blocked dependency");
        if let Some(&pos) = seen.get(&next) {
            let mut cycle: Vec<usize> = path[pos..].to_vec();
            cycle.reverse(); // dependency order: a feeds b feeds … feeds a
                             // Start at the step that comes first in the document, as a reader would.
            let first = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, &s)| s)
                .map_or(0, |(k, _)| k);
            cycle.rotate_left(first);
            return Err(cycle);
        }
        seen.insert(next, path.len());
        path.push(next);
        cur = next;
    }
}

fn check_outputs(
    dsl: &Dsl,
    index: &HashMap<&str, usize>,
    kinds: &[Option<Kind>],
    issues: &mut Vec<Issue>,
) {
    let o = &dsl.outputs;
    let mut ids = std::collections::HashSet::new();
    let groups: [(&str, Vec<&str>, Vec<&str>); 3] = [
        (
            "series",
            o.series.iter().map(|s| s.id.as_str()).collect(),
            o.series.iter().map(|s| s.source.as_str()).collect(),
        ),
        (
            "tables",
            o.tables.iter().map(|s| s.id.as_str()).collect(),
            o.tables.iter().map(|s| s.source.as_str()).collect(),
        ),
        (
            "scalars",
            o.scalars.iter().map(|s| s.id.as_str()).collect(),
            o.scalars.iter().map(|s| s.source.as_str()).collect(),
        ),
    ];
    for (group, out_ids, sources) in &groups {
        for (i, (id, source)) in out_ids.iter().zip(sources).enumerate() {
            let base = format!("/outputs/{group}/{i}");
            if !ids.insert((*group, *id)) {
                issues.push(Issue::new(
                    format!("{base}/id"),
                    format!("output id {id:?} is used twice in `{group}`."),
                ));
            }
            let (step, field) = match source.split_once('.') {
                Some((s, f)) => (s, Some(f)),
                None => (*source, None),
            };
            let Some(&si) = index.get(step) else {
                issues.push(Issue::new(
                    format!("{base}/source"),
                    format!(
                        "no step has id {step:?}; `source` must name a step (or `step.field`)."
                    ),
                ));
                continue;
            };
            let Some(kind) = kinds[si] else { continue };
            let ok = match (*group, field) {
                ("series", None) => kind == Kind::Series,
                ("series", Some(_)) => kind == Kind::Frame,
                ("tables", None) => matches!(
                    kind,
                    Kind::Table | Kind::Frame | Kind::Record | Kind::Series
                ),
                ("scalars", None) => matches!(kind, Kind::Scalar | Kind::Bool),
                ("scalars", Some(_)) => kind == Kind::Record,
                _ => false,
            };
            if !ok {
                let want = match *group {
                    "series" => "a series step, or `step.column` of a frame step",
                    "tables" => "a table, frame, record or series step",
                    _ => "a scalar step, or `step.field` of a record step",
                };
                issues.push(Issue::new(
                    format!("{base}/source"),
                    format!(
                        "{source:?} gives a {}, but `{group}` outputs need {want}.",
                        kind.name()
                    ),
                ));
            }
        }
    }
}
