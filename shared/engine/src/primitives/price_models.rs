//! price_models: see dsl.md §5. (Family file; primitives are added to `PRIMITIVES`.)

use crate::registry::Primitive;

/// The price_models family.
pub static PRIMITIVES: &[&Primitive] = &[];
