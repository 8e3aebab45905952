//! returns: see dsl.md §5. (Family file; primitives are added to `PRIMITIVES`.)

use crate::registry::Primitive;

/// The returns family.
pub static PRIMITIVES: &[&Primitive] = &[];
