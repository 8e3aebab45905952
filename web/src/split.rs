//! Code splitting. The pages and panels that a first visit to `/models` does not need (the
//! model page, the publish dialog, the DSL view, the artifact, run and account pages) are
//! split points when the crate is built with `--cfg auster_split`, which
//! `scripts/build-web.sh` sets for its size build: `wasm-split` then moves each of them,
//! with the code only it reaches, into its own wasm module, and the first call downloads that
//! module (once) before running the function. Without the cfg (host builds, tests, the
//! build script's plain fallback) they are ordinary functions and [`split_view!`] calls
//! them directly, so every page works the same either way.
//!
//! A split function returns a [`SplitView`]: its finished view, or, when its module could
//! not be downloaded, [`SplitLoadError`], which the page shows as an error with a Retry
//! button (a failed download is not remembered, so the retry downloads again). Meanwhile the
//! page shows [`Loading`].
//!
//! [`Loading`]: crate::components::error::Loading

use leptos::prelude::*;

/// A split-off part of the app could not be downloaded (network failure, or a new deploy
/// replaced the files of the one this page was loaded from).
#[derive(Debug, Clone, Copy)]
pub struct SplitLoadError;

#[cfg(auster_split)]
impl From<wasm_split_helpers::SplitLoaderError> for SplitLoadError {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        SplitLoadError
    }
}

/// What a split function gives: its view, or why its module could not be loaded.
pub type SplitView = Result<AnyView, SplitLoadError>;

/// The view of a loaded part, or the error that says its download failed.
pub fn shown(view: SplitView) -> AnyView {
    match view {
        Ok(view) => view,
        Err(SplitLoadError) => view! {
            <section class="state state-error" role="alert">
                <h2>"This part of the app could not be loaded"</h2>
                <p>
                    "It is downloaded the first time it is needed, and that download failed. "
                    "Check your connection, then retry."
                </p>
                <p class="actions">
                    <button class="btn" on:click=|_| crate::components::error::reload()>"Retry"</button>
                </p>
            </section>
        }
        .into_any(),
    }
}

/// Shows a split view: `Loading` with `label` until its module has arrived and the view is
/// built.
#[cfg(auster_split)]
pub fn deferred(
    view: impl std::future::Future<Output = SplitView> + Send + 'static,
    label: &'static str,
) -> AnyView {
    use crate::components::error::Loading;
    view! {
        <Suspense fallback=move || view! { <Loading label /> }>
            {Suspend::new(async move { shown(view.await) })}
        </Suspense>
    }
    .into_any()
}

/// `split_view!(f(args), "Loading the page…")`: the view of the split function `f`,
/// downloaded first when the build splits it off (see the module doc).
#[cfg(auster_split)]
#[macro_export]
macro_rules! split_view {
    ($call:expr, $label:expr) => {
        $crate::split::deferred($call, $label)
    };
}

/// `split_view!(f(args), "Loading the page…")`: the view of the split function `f`, called
/// at once in a build that does not split (see the module doc).
#[cfg(not(auster_split))]
#[macro_export]
macro_rules! split_view {
    ($call:expr, $label:expr) => {{
        let _: &'static str = $label;
        $crate::split::shown($call)
    }};
}
