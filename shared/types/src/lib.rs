//! Wire types shared by the engine, the API, the CLI and the web app.
//!
//! Everything here is plain data with serde derives and no behaviour beyond small helpers,
//! so that it compiles for `wasm32-unknown-unknown` as well as for the server. The shapes
//! are pinned by the team's interface document: change them only with a CHANGELOG note.

pub mod api;
pub mod date;
pub mod error;
pub mod model;
pub mod run;

pub use date::IsoDate;
pub use error::{ApiErrorBody, ApiErrorDetail, Issue};
pub use model::{
    Difficulty, Dsl, FieldType, InputField, InputSchema, LabScope, ModelFile, OutputsSpec,
    ScalarOutputSpec, SeriesOutputSpec, Step, TableOutputSpec,
};
pub use run::{
    DataSourceRef, RunOutputs, RunResult, RunStatus, ScalarOutput, SeriesOutput, StepTiming,
    TableOutput,
};
