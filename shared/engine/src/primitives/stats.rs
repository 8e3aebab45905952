//! stats: see dsl.md §5. (Family file; primitives are added to `PRIMITIVES`.)

use crate::registry::Primitive;

/// The stats family.
pub static PRIMITIVES: &[&Primitive] = &[];
