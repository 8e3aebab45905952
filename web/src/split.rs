//! Code splitting. The pages and panels that a first visit to `/models` does not need (the
//! model page, the publish dialog, the DSL view, the artifact, run and account pages) are
//! `#[lazy]` functions when the crate is built with `--cfg auster_split`, which
//! `scripts/build-web.sh` sets for its size build: `wasm-split` then moves each of them,
//! with the code only it reaches, into its own wasm module, and the first call fetches that
//! module (once) before running the function. Without the cfg (host builds, tests, the
//! build script's plain fallback) they are ordinary functions and [`split_view!`] calls
//! them directly, so every page works the same either way.
//!
//! Each lazy function returns its finished view as an [`AnyView`]; the page shows
//! [`Loading`] while a module is being fetched.

use leptos::prelude::*;

use crate::components::error::Loading;

/// Shows a lazily loaded view: `Loading` with `label` until the split module has arrived
/// and `view` has built the view.
pub fn deferred(
    view: impl std::future::Future<Output = AnyView> + Send + 'static,
    label: &'static str,
) -> AnyView {
    view! {
        <Suspense fallback=move || view! { <Loading label /> }>
            {Suspend::new(view)}
        </Suspense>
    }
    .into_any()
}

/// `split_view!(f(args), "Loading the page…")`: the view of the lazy function `f`, fetched
/// first when the build splits it off (see the module doc), called at once otherwise.
#[cfg(auster_split)]
#[macro_export]
macro_rules! split_view {
    ($call:expr, $label:expr) => {
        $crate::split::deferred($call, $label)
    };
}

/// `split_view!(f(args), "Loading the page…")`: the view of the lazy function `f`, fetched
/// first when the build splits it off (see the module doc), called at once otherwise.
#[cfg(not(auster_split))]
#[macro_export]
macro_rules! split_view {
    ($call:expr, $label:expr) => {{
        let _: &'static str = $label;
        $call
    }};
}
