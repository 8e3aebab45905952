//! One module per route.

pub mod account;
pub mod artifact;
pub mod catalogue;
pub mod labs;
pub mod model;
pub mod not_found;
pub mod run;
