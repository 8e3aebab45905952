//! The Auster model engine: parse → validate → plan → execute a model's DSL.
//!
//! Pure Rust with no I/O and no async runtime: data arrives through the [`DataSource`]
//! trait, which the data gateway implements. The usual path is
//!
//! ```text
//! check_model(json)            -> ModelFile            (every structural + semantic issue)
//! prepare(&model, &inputs)     -> Program              (inputs checked, params bound, ordered)
//! run(&program, &source, &lim) -> Execution            (fetches concurrently, then executes)
//! ```
//!
//! Primitives live one family per file under [`primitives`], registered in [`registry`].

pub mod data;
/// Calendar dates: one home in `auster_types`, re-exported for the engine's callers.
pub use auster_types::date;
pub mod docs;
pub mod exec;
pub mod inputs;
pub mod kernels;
pub mod limits;
pub mod params;
pub mod parse;
pub mod price_models;
pub mod primitives;
pub mod program;
pub mod registry;
pub mod value;

use auster_types::{Issue, ModelFile};
use serde_json::{Map, Value as Json};

pub use data::{content_hash, DataError, DataRequest, DataSource, Fetched};
pub use exec::{execute, Execution, RunError};
pub use limits::Limits;
pub use program::{compile, validate, Program};
pub use registry::{registry, Primitive};
pub use value::{Frame, Kind, Record, Series, Table, Value};

/// The engine's version, reported in every RunResult.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Parses and validates a model file: structure, input schema, and the DSL against the
/// registry. Paths point into the model file (`/dsl/steps/…`).
pub fn check_model(json: &Json, limits: &Limits) -> Result<ModelFile, Vec<Issue>> {
    let model = parse::parse_model_file(json, limits)?;
    let issues = validate(&model.dsl, &model.input_schema);
    if issues.is_empty() {
        Ok(model)
    } else {
        Err(issues.into_iter().map(into_model_path).collect())
    }
}

/// Checks run inputs against the model's schema and binds the program. Input issues have
/// paths `/inputs/<name>`; program issues `/dsl/…`.
pub fn prepare(model: &ModelFile, inputs: &Map<String, Json>) -> Result<Program, Vec<Issue>> {
    let resolved = inputs::resolve_inputs(&model.input_schema, inputs)?;
    compile(&model.dsl, &model.input_schema, &resolved)
        .map_err(|v| v.into_iter().map(into_model_path).collect())
}

/// Re-roots an issue from a DSL-relative path to a model-file path; issues blamed on run
/// inputs keep their `/inputs/…` path, since that is what the user typed.
pub fn into_model_path(issue: Issue) -> Issue {
    if issue.path.starts_with("/inputs/") {
        issue
    } else {
        issue.prefixed("/dsl")
    }
}

/// Fetches every dataset a program needs, concurrently.
pub async fn fetch_all(
    program: &Program,
    source: &dyn DataSource,
) -> Result<Vec<(DataRequest, Fetched)>, RunError> {
    let requests = program.data_requests();
    let results = futures::future::join_all(requests.iter().map(|r| source.fetch(r))).await;
    requests
        .into_iter()
        .zip(results)
        .map(|(req, res)| match res {
            Ok(f) => Ok((req, f)),
            Err(e) => {
                let step = program
                    .steps
                    .iter()
                    .find(|s| s.request.as_ref() == Some(&req))
                    .map(|s| s.id.clone())
                    .unwrap_or_default();
                Err(RunError::Data {
                    step,
                    dataset: req.label(),
                    source: e,
                })
            }
        })
        .collect()
}

/// Fetches a program's data, then executes it.
pub async fn run(
    program: &Program,
    source: &dyn DataSource,
    limits: &Limits,
) -> Result<Execution, RunError> {
    let fetched = fetch_all(program, source).await?;
    execute(program, &fetched, limits)
}
