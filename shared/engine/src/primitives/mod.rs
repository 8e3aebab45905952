//! The primitive catalogue, one file per family. Each file declares its primitives as
//! `static` [`Primitive`]s and lists them in its `PRIMITIVES` slice; [`all`] chains the
//! families for the registry. A new primitive touches only its family's file.

use crate::registry::Primitive;

pub mod analysis;
pub mod common;
pub mod data;
pub mod filters;
pub mod math;
pub mod options;
pub mod price_models;
pub mod returns;
pub mod stats;
pub mod technical;

/// Every primitive of every family.
pub fn all() -> impl Iterator<Item = &'static Primitive> {
    [
        math::PRIMITIVES,
        stats::PRIMITIVES,
        returns::PRIMITIVES,
        analysis::PRIMITIVES,
        technical::PRIMITIVES,
        filters::PRIMITIVES,
        data::PRIMITIVES,
        options::PRIMITIVES,
        price_models::PRIMITIVES,
    ]
    .into_iter()
    .flatten()
    .copied()
}
