//! The Auster HTTP API as plain functions.
//!
//! Every route of interfaces.md §3 is an `async fn(&Ctx, Input) -> Result<Output, ApiError>`
//! in [`routes`]. Two adapters call them and nothing else: the Lambda adapter in the
//! `auster-functions` crate (one binary per route) and the local server of `auster serve`.
//! Both turn their native request into an [`ApiRequest`], look the route up in
//! [`router::ROUTES`] and answer the [`ApiResponse`] it yields; no route knows which
//! adapter called it.
//!
//! - [`config`]: the typed [`Config::from_env`] shared by Lambda and local.
//! - [`ctx`]: [`Ctx`], built once per cold start (store, data gateway, caches).
//! - [`error`]: [`ApiError`] and the single error→HTTP mapping.
//! - [`openapi`]: the OpenAPI 3.1 document served at `/api/openapi.json`.
//! - [`run_blob`]: a run result's shared JSON and the packed form it is stored in.
//! - [`seed`]: loading `seeds/models/*.json` idempotently.

#![recursion_limit = "512"]

pub mod auth;
pub mod config;
pub mod convert;
pub mod ctx;
pub mod error;
pub mod extract;
pub mod l2;
pub mod openapi;
pub mod prelude;
pub mod request;
pub mod router;
pub mod routes;
pub mod run_blob;
pub mod seed;
pub mod text;

pub use config::{Config, ConfigError};
pub use ctx::Ctx;
pub use error::ApiError;
pub use request::{ApiRequest, ApiResponse};
pub use router::{dispatch, find_route, Route, ROUTES};
