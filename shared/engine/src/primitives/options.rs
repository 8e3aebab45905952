//! options: see dsl.md §5. (Family file; primitives are added to `PRIMITIVES`.)

use crate::registry::Primitive;

/// The options family.
pub static PRIMITIVES: &[&Primitive] = &[];
