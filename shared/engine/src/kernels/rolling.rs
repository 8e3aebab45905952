//! Rolling-window kernels over `&[f64]` (NaN = missing), matching pandas
//! `s.rolling(window, min_periods).<stat>()` with trailing windows: output `i` covers
//! `values[i + 1 - window ..= i]` (clipped at the start of the slice) and is NaN when that
//! window holds fewer than `min_periods` non-NaN values.
//!
//! Every kernel is a plain function returning a new `Vec<f64>` of the input's length, so
//! the stats, analysis and technical families and the benchmarks share one implementation.
//! None allocates per element: state is a handful of floats, or one buffer sized
//! `min(window, len)` allocated once.
//!
//! Numerics follow pandas' own window aggregations so that results agree to the last few
//! bits, not merely to a tolerance:
//! - sums and means: with no infinity, blocks of `window` values whose suffix and prefix
//!   sums make up every window (nothing is subtracted, so there is nothing to compensate;
//!   within a few ulps of pandas); else pandas' own Kahan-compensated add/remove (separate
//!   compensation terms for the values entering and leaving); both with pandas' "run of
//!   identical values" rule that makes a constant window give exactly that constant;
//! - variances: Welford's online update with a compensated mean, add and remove, never a
//!   running sum of squares (which loses every digit on data like 1e9 + small noise); when
//!   one update cancels all but ~3 digits of Σ(x − mean)² (an outlier leaving, a window
//!   turning constant) the window is rebuilt from its values, as pandas ≥ 3 does;
//! - windows of length 1 restart from empty at each step, as pandas does when consecutive
//!   windows do not overlap.
//!
//! Callers validate `window ≥ 1` and `min_periods ≤ window`; the kernels still accept any
//! value without panicking (`window = 0` means every window is empty).

/// Output for a series of empty windows: pandas gives 0 for a sum with `min_periods = 0`
/// and NaN for everything else.
fn empty_windows(n: usize, value: f64) -> Vec<f64> {
    vec![value; n]
}

/// Incremental state of one window for the O(1) add/remove kernels.
trait WindowState {
    /// Empties the state before a window is rebuilt from scratch; `first` is the window's
    /// first value (pandas seeds its run-of-identical-values tracker with it).
    fn reset(&mut self, first: f64);
    /// A value enters the window (NaN is ignored).
    fn add(&mut self, x: f64);
    /// A value leaves the window (NaN is ignored).
    fn remove(&mut self, x: f64);
}

/// Slides `state` over `values`: one remove and one add per step, the result of each window
/// read by `emit`. With `window == 1` windows do not overlap and the state restarts at each
/// step, exactly like pandas (it matters for the compensation terms).
fn slide<S: WindowState>(
    values: &[f64],
    window: usize,
    mut state: S,
    emit: impl Fn(&S) -> f64,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    for (i, &x) in values.iter().enumerate() {
        if i == 0 || window == 1 {
            state.reset(x);
        } else if i >= window {
            state.remove(values[i - window]);
        }
        state.add(x);
        out.push(emit(&state));
    }
    out
}

/// Kahan-compensated window sum with the counters pandas keeps alongside it.
#[derive(Default)]
struct SumState {
    nobs: usize,
    sum: f64,
    comp_add: f64,
    comp_remove: f64,
    /// Non-NaN values with the sign bit set (a mean of non-negative values is never < 0).
    negatives: usize,
    /// Length of the run of identical values most recently added.
    run: usize,
    prev: f64,
}

impl WindowState for SumState {
    fn reset(&mut self, first: f64) {
        *self = SumState {
            prev: first,
            ..SumState::default()
        };
    }

    fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.nobs += 1;
        let y = x - self.comp_add;
        let t = self.sum + y;
        self.comp_add = t - self.sum - y;
        self.sum = t;
        if x.is_sign_negative() {
            self.negatives += 1;
        }
        // A run of equal values lets a constant window report the constant itself instead
        // of a sum carrying the rounding of values that already left the window.
        self.run = if x == self.prev { self.run + 1 } else { 1 };
        self.prev = x;
    }

    fn remove(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.nobs -= 1;
        let y = -x - self.comp_remove;
        let t = self.sum + y;
        self.comp_remove = t - self.sum - y;
        self.sum = t;
        if x.is_sign_negative() {
            self.negatives -= 1;
        }
    }
}

/// [`slide`] for the window sums by blocks, when `window ≥ 2` and no value is infinite
/// (`None` as soon as one shows up: the caller slides instead).
///
/// Cut the values into blocks of `window`; a window ending at offset `r` of block `k`
/// is the suffix of block `k − 1` from offset `r + 1` plus the prefix of block `k` up to
/// `r`, and both are plain sums of at most `window` values, computed once each (suffixes
/// backwards after each block). No value is ever subtracted, so there is no cancellation
/// to compensate: every window sum is as accurate as a direct sum of its values (pandas'
/// compensated add/remove agrees to within a few ulps on ordinary data), and one add per
/// value carries the loop instead of a chain of compensated adds and removes. Counts,
/// negative counts and the run of equal values are tracked as [`SumState`] does, so
/// `emit` sees the same state apart from the sum's last bits.
fn block_sums(values: &[f64], window: usize, emit: impl Fn(&SumState) -> f64) -> Option<Vec<f64>> {
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    // suffix[j] = sum of the previous block from offset j; suffix[window] = 0 (and the
    // whole buffer is 0 for block 0, which has no previous block).
    let mut suffix = vec![0.0f64; window + 1];
    // The window state in plain locals (a closure capturing it by reference would keep it
    // on the stack); `emit` sees it as a fresh [`SumState`] per window.
    let (mut nobs, mut negatives, mut run) = (0usize, 0usize, 0usize);
    let mut prev = values.first().copied().unwrap_or(f64::NAN);
    let present = |x: f64| usize::from(!x.is_nan());
    let negative = |x: f64| usize::from(!x.is_nan() && x.is_sign_negative());
    for (k, block) in values.chunks(window).enumerate() {
        let base = k * window;
        let mut prefix = 0.0f64;
        let mut infinite = false;
        // The values leaving the window: those one window back (none in block 0, where a
        // zero suffix and NaN "leaving" values change nothing).
        let olds = if k == 0 {
            &values[..0]
        } else {
            &values[base - window..base - window + block.len()]
        };
        for (r, &x) in block.iter().enumerate() {
            infinite |= x.is_infinite();
            prefix += if x.is_nan() { 0.0 } else { x };
            nobs += present(x);
            negatives += negative(x);
            if let Some(&old) = olds.get(r) {
                nobs -= present(old);
                negatives -= negative(old);
            }
            if !x.is_nan() {
                run = if x == prev { run + 1 } else { 1 };
                prev = x;
            }
            out.push(emit(&SumState {
                nobs,
                sum: suffix[r + 1] + prefix,
                comp_add: 0.0,
                comp_remove: 0.0,
                negatives,
                run,
                prev,
            }));
        }
        if infinite {
            return None;
        }
        let mut acc = 0.0f64;
        for (slot, &x) in suffix[..block.len()].iter_mut().zip(block).rev() {
            acc += if x.is_nan() { 0.0 } else { x };
            *slot = acc;
        }
    }
    Some(out)
}

/// Rolling sum of the non-NaN values (pandas `rolling(window, min_periods).sum()`).
///
/// A window with fewer than `min_periods` values gives NaN; an empty window with
/// `min_periods = 0` gives 0. O(n) time whatever the window, O(window) extra space.
pub fn rolling_sum(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    if window == 0 {
        let v = if min_periods == 0 { 0.0 } else { f64::NAN };
        return empty_windows(values.len(), v);
    }
    let emit = |s: &SumState| {
        if s.nobs == 0 && min_periods == 0 {
            0.0
        } else if s.nobs >= min_periods {
            if s.run >= s.nobs {
                s.prev * s.nobs as f64
            } else {
                s.sum
            }
        } else {
            f64::NAN
        }
    };
    windows_of_sums::<false>(values, window, min_periods, emit)
}

/// Rolling mean of the non-NaN values (pandas `rolling(window, min_periods).mean()`).
///
/// NaN when the window holds fewer than `max(min_periods, 1)` values. A window of one
/// repeated value gives that value exactly, and a mean of values of one sign never
/// rounds across zero. O(n) time whatever the window, O(window) extra space.
pub fn rolling_mean(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    if window == 0 {
        return empty_windows(values.len(), f64::NAN);
    }
    let emit = |s: &SumState| {
        if s.nobs >= min_periods && s.nobs > 0 {
            let mean = s.sum / s.nobs as f64;
            if s.run >= s.nobs {
                s.prev
            } else if (s.negatives == 0 && mean < 0.0) || (s.negatives == s.nobs && mean > 0.0) {
                0.0
            } else {
                mean
            }
        } else {
            f64::NAN
        }
    };
    windows_of_sums::<true>(values, window, min_periods, emit)
}

/// The path of [`rolling_sum`] (`MEAN` false) and [`rolling_mean`]: the finite fast path
/// when it applies, else the block sums, else the sliding compensated sum; `emit` turns a
/// window's state into its value.
fn windows_of_sums<const MEAN: bool>(
    values: &[f64],
    window: usize,
    min_periods: usize,
    emit: impl Fn(&SumState) -> f64 + Copy,
) -> Vec<f64> {
    let general = |v: &[f64]| {
        if window > 1 {
            if let Some(out) = block_sums(v, window, emit) {
                return out;
            }
        }
        slide(v, window, SumState::default(), emit)
    };
    if let Some(out) = finite_windows::<MEAN>(values, window, min_periods, general) {
        return out;
    }
    general(values)
}

/// Blocks of [`finite_windows`] whose prefix and suffix chains run side by side.
const CHAIN_LANES: usize = 4;

/// [`rolling_sum`] (`MEAN = false`) or [`rolling_mean`] when every value after the
/// leading NaNs is finite, in two passes per group of blocks so that the work vectorises
/// or overlaps: `None` (nothing kept) when `window < 2`, `min_periods > window`, the data
/// after the leading NaNs is shorter than a window, or a NaN or infinity follows.
///
/// The outputs whose window reaches into the leading NaNs (the first `f + window − 1`,
/// for `f` leading NaNs) come from `general` over that head. The rest are full windows of
/// `values[f..]`, summed by the blocks of [`block_sums`] counted from `f`: the window
/// ending at offset `r` of block `k` is `S[r + 1] + P[r]`, the suffix of block `k − 1` and
/// the prefix of block `k`, each a plain sum of at most `window` values started from 0
/// (exactly the operations of [`block_sums`], so with no leading NaN the results are the
/// same bits). Each of those sums is a chain of dependent adds, one add's latency per
/// value; [`CHAIN_LANES`] blocks run their prefix and suffix chains in one loop so that
/// eight chains overlap, then a second, vectorised pass adds them up (and divides, for the
/// mean). Every window holds `window` values, so counts are known; the mean's sign rule
/// never fires (a sum of values of one sign, started from +0, keeps that sign), and the
/// only rule left, "a window of equal values gives that value exactly", needs a run of
/// equal neighbours: the chain loop flags each block with one, and only windows touching
/// a flagged block are checked.
fn finite_windows<const MEAN: bool>(
    values: &[f64],
    window: usize,
    min_periods: usize,
    general: impl Fn(&[f64]) -> Vec<f64>,
) -> Option<Vec<f64>> {
    if window < 2 || min_periods > window {
        return None;
    }
    let lead = values.iter().take_while(|x| x.is_nan()).count();
    let rest = &values[lead..];
    if rest.len() < window {
        return None;
    }
    let head = lead + window - 1;
    let mut out = general(&values[..head]);
    out.reserve(values.len() - head);
    let ok = {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                unsafe { full_window_sums_avx2::<MEAN>(rest, window, &mut out) }
            } else {
                full_window_sums_scalar::<MEAN>(rest, window, &mut out)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            full_window_sums_scalar::<MEAN>(rest, window, &mut out)
        }
    };
    (ok && out.len() == values.len()).then_some(out)
}

/// Whether `x` is NaN or infinite (all exponent bits set), as an integer test that does
/// not break the chains it sits between.
#[inline(always)]
fn non_finite(x: f64) -> bool {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    x.to_bits() & EXP == EXP
}

/// [`full_window_sums`] with each group of [`CHAIN_LANES`] blocks in scalar code: the
/// interleaved chains of [`chains`], then [`append_sums`] per block. The path for CPUs
/// without AVX2, and the reference the AVX2 path is tested against.
fn full_window_sums_scalar<const MEAN: bool>(x: &[f64], w: usize, out: &mut Vec<f64>) -> bool {
    const L: usize = CHAIN_LANES;
    let wf = w as f64;
    let mut pre = vec![0.0f64; L * w];
    let mut suf = vec![0.0f64; L * (w + 1)];
    full_window_sums::<MEAN>(x, w, out, |b, out| {
        let (bad, equal) = chains::<L>(x, w, b, &mut pre, &mut suf);
        if !bad {
            for j in 0..L {
                let s = &suf[j * (w + 1) + 1..(j + 1) * (w + 1)];
                append_sums::<MEAN>(out, &pre[j * w..(j + 1) * w], s, wf);
            }
        }
        (bad, equal)
    })
}

/// [`full_window_sums`] with each group of [`CHAIN_LANES`] blocks in one AVX2 register
/// per chain ([`group_sums_avx2`]); the same operations on the same values as
/// [`full_window_sums_scalar`], so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn full_window_sums_avx2<const MEAN: bool>(x: &[f64], w: usize, out: &mut Vec<f64>) -> bool {
    let mut suf = vec![0.0f64; CHAIN_LANES * (w + 1)];
    full_window_sums::<MEAN>(x, w, out, |b, out| {
        group_sums_avx2::<MEAN>(x, w, b, &mut suf, out)
    })
}

/// Appends the window sums (means) of every full window of `x` (those ending at
/// `i ≥ w − 1`) to `out`; false as soon as a value is NaN or infinite (then `out` holds
/// part of them). `2 ≤ w ≤ x.len()`. See [`finite_windows`].
///
/// Block 0 and the last blocks (fewer than [`CHAIN_LANES`] left) are summed here one at a
/// time; each group of [`CHAIN_LANES`] full blocks `b, …` goes to `group(b, out)`, which
/// appends their `CHAIN_LANES · w` window sums (or means) and returns whether a value was
/// NaN or infinite and, per block, whether a value equals the one before it.
#[inline(always)]
fn full_window_sums<const MEAN: bool>(
    x: &[f64],
    w: usize,
    out: &mut Vec<f64>,
    mut group: impl FnMut(usize, &mut Vec<f64>) -> (bool, [bool; CHAIN_LANES]),
) -> bool {
    const L: usize = CHAIN_LANES;
    let n = x.len();
    let wf = w as f64;
    // Whether the window ending at `i` holds one repeated value (then it is that value).
    let constant_from = |i: usize| x[i + 1 - w..i].iter().all(|&v| v == x[i]);
    let emit = |sum: f64, i: usize, check: bool| {
        if check && constant_from(i) {
            if MEAN {
                x[i]
            } else {
                x[i] * wf
            }
        } else if MEAN {
            sum / wf
        } else {
            sum
        }
    };
    // Block 0: only its last window is full.
    let (mut p, mut bad, mut equal_prev) = (0.0f64, false, false);
    for (r, &v) in x[..w].iter().enumerate() {
        bad |= non_finite(v);
        equal_prev |= r > 0 && v == x[r - 1];
        p += v;
    }
    if bad {
        return false;
    }
    out.push(emit(0.0 + p, w - 1, equal_prev));
    // Scratch of the blocks taken one at a time: prefix sums of the block, suffix sums of
    // the block before it (suf[w] = 0).
    let mut pre = vec![0.0f64; w];
    let mut suf = vec![0.0f64; w + 1];
    let mut b = 1;
    while b * w < n {
        let lanes = if (b + L) * w <= n { L } else { 1 };
        // Outputs per block: `w`, except in a last, partial block.
        let len = (n - b * w).min(w);
        let at = out.len();
        let (bad, equal) = if lanes == L {
            group(b, out)
        } else {
            let base = b * w;
            let (mut bad, mut equal) = (false, [false; L]);
            let (mut p, mut s) = (0.0f64, 0.0f64);
            for (r, (&v, slot)) in x[base..base + len].iter().zip(&mut pre[..len]).enumerate() {
                bad |= non_finite(v);
                equal[0] |= v == x[base + r - 1];
                p += v;
                *slot = p;
            }
            for (&v, slot) in x[base - w + 1..base].iter().zip(&mut suf[1..w]).rev() {
                s += v;
                *slot = s;
            }
            if !bad {
                append_sums::<MEAN>(out, &pre[..len], &suf[1..1 + len], wf);
            }
            (bad, equal)
        };
        if bad {
            return false;
        }
        for (j, &eq) in equal.iter().enumerate().take(lanes) {
            let (base, from) = ((b + j) * w, at + j * w);
            if eq || equal_prev {
                for (r, slot) in out[from..from + len].iter_mut().enumerate() {
                    if constant_from(base + r) {
                        *slot = emit(0.0, base + r, true);
                    }
                }
            }
            equal_prev = eq;
        }
        b += lanes;
    }
    true
}

/// `s[r] + p[r]` (divided by `wf` for a mean) for every `r`, appended to `out` through its
/// spare capacity (a loop that vectorises).
#[inline(always)]
fn append_sums<const MEAN: bool>(out: &mut Vec<f64>, p: &[f64], s: &[f64], wf: f64) {
    let n = p.len().min(s.len());
    out.reserve(n);
    let at = out.len();
    for ((slot, &a), &b) in out.spare_capacity_mut()[..n]
        .iter_mut()
        .zip(&s[..n])
        .zip(&p[..n])
    {
        let sum = a + b;
        slot.write(if MEAN { sum / wf } else { sum });
    }
    // SAFETY: `reserve` made `n` spare slots, and the loop wrote each of them.
    unsafe { out.set_len(at + n) };
}

/// The chains of `L` full blocks `b, …, b + L − 1` (`b ≥ 1`) in one loop: lane `j` keeps
/// the prefix sums of block `b + j` in `pre[j·w..]` and the suffix sums of the block
/// before it in `suf[j·(w + 1)..]` (offsets 1 to `w`, offset `w` being 0). Returns whether
/// a value was NaN or infinite, and for each lane whether a value of its block equals the
/// one before it.
#[inline(always)]
fn chains<const L: usize>(
    x: &[f64],
    w: usize,
    b: usize,
    pre: &mut [f64],
    suf: &mut [f64],
) -> (bool, [bool; L]) {
    let span = &x[(b - 1) * w..(b + L) * w];
    let (mut p, mut s) = ([0.0f64; L], [0.0f64; L]);
    let mut last: [f64; L] = std::array::from_fn(|j| span[(j + 1) * w - 1]);
    let mut bad = false;
    let mut equal = [false; L];
    for j in 0..L {
        suf[j * (w + 1) + w] = 0.0;
    }
    for r in 0..w {
        for j in 0..L {
            // Offset r of block b + j, and offset w − 1 − r of block b + j − 1.
            let v = span[(j + 1) * w + r];
            bad |= non_finite(v);
            equal[j] |= v == last[j];
            last[j] = v;
            p[j] += v;
            pre[j * w + r] = p[j];
            if r + 1 < w {
                s[j] += span[(j + 1) * w - 1 - r];
                suf[j * (w + 1) + w - 1 - r] = s[j];
            }
        }
    }
    (bad, equal)
}

/// Rows ↔ columns of a 4×4 block of f64 held in four registers: lane `j` of output `k` is
/// lane `k` of input `j`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn transpose4(m: [std::arch::x86_64::__m256d; 4]) -> [std::arch::x86_64::__m256d; 4] {
    use std::arch::x86_64::{_mm256_permute2f128_pd, _mm256_unpackhi_pd, _mm256_unpacklo_pd};
    let t0 = _mm256_unpacklo_pd(m[0], m[1]); // a0 b0 a2 b2
    let t1 = _mm256_unpackhi_pd(m[0], m[1]); // a1 b1 a3 b3
    let t2 = _mm256_unpacklo_pd(m[2], m[3]); // c0 d0 c2 d2
    let t3 = _mm256_unpackhi_pd(m[2], m[3]); // c1 d1 c3 d3
    [
        _mm256_permute2f128_pd::<0x20>(t0, t2),
        _mm256_permute2f128_pd::<0x20>(t1, t3),
        _mm256_permute2f128_pd::<0x31>(t0, t2),
        _mm256_permute2f128_pd::<0x31>(t1, t3),
    ]
}

/// The [`CHAIN_LANES`] = 4 blocks `b, …, b + 3` (`b ≥ 1`, all full) of
/// [`full_window_sums`] with lane `j` of one AVX2 register carrying block `b + j`'s chain:
/// first the suffix sums of the blocks before them (offsets `w − 1` down to 1, stored as
/// rows of `suf`, row `w` = 0), then the prefix sums, each added to the suffix row after
/// it (and divided, for the mean) and written to `out` at once. Values are read four
/// offsets × four blocks at a time and transposed so that each add serves the four
/// chains; results are transposed back before the stores. Every lane does exactly the
/// adds (and division) of [`chains`] and [`append_sums`], in the same order, so the
/// results are the same bits. Returns whether a value of blocks `b…` was NaN or infinite
/// and, per block, whether a value equals the one before it.
///
/// `(b + 4) · w ≤ x.len()` and `suf.len() ≥ 4 · (w + 1)` (the slicing at the start panics
/// otherwise, before any memory is touched).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn group_sums_avx2<const MEAN: bool>(
    x: &[f64],
    w: usize,
    b: usize,
    suf: &mut [f64],
    out: &mut Vec<f64>,
) -> (bool, [bool; CHAIN_LANES]) {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_and_pd, _mm256_castsi256_pd, _mm256_cmp_pd, _mm256_div_pd,
        _mm256_loadu_pd, _mm256_movemask_pd, _mm256_or_pd, _mm256_set1_epi64x, _mm256_set1_pd,
        _mm256_set_pd, _mm256_setzero_pd, _mm256_storeu_pd, _CMP_EQ_OQ,
    };
    const L: usize = CHAIN_LANES;
    let span = &x[(b - 1) * w..(b + L) * w];
    let suf = &mut suf[..L * (w + 1)];
    let (sp, fp) = (span.as_ptr(), suf.as_mut_ptr());
    // Offset `o` of the four blocks whose first value is at `sp + first`, in lanes 0–3.
    let gather = |first: usize, o: usize| {
        _mm256_set_pd(
            span[first + 3 * w + o],
            span[first + 2 * w + o],
            span[first + w + o],
            span[first + o],
        )
    };
    // Offsets `o … o + 3` of the four blocks from `sp + first`, one register per offset.
    // Called with `first + o + 4 ≤ 2w`, so the last value read, `first + o + 3 + 3w`, is
    // inside `span` (5w values).
    let rows = |first: usize, o: usize| {
        debug_assert!(first + o + 4 <= 2 * w);
        // SAFETY: every load reads 4 values inside `span` (see above).
        transpose4(unsafe {
            let p = sp.add(first + o);
            [
                _mm256_loadu_pd(p),
                _mm256_loadu_pd(p.add(w)),
                _mm256_loadu_pd(p.add(2 * w)),
                _mm256_loadu_pd(p.add(3 * w)),
            ]
        })
    };
    // Row `r` of `suf` (r ≤ w, inside its 4(w + 1) values).
    let row = |r: usize| {
        debug_assert!(r <= w);
        // SAFETY: `suf` holds `L · (w + 1)` values and `r ≤ w`.
        unsafe { fp.add(L * r) }
    };
    // Suffix sums of blocks b − 1 + j: S[o] = x[o] + … + x[w − 1], as row `o` of `suf`.
    let zero = _mm256_setzero_pd();
    // SAFETY (this and the other stores to `row`): 4 values inside `suf`.
    unsafe { _mm256_storeu_pd(row(w), zero) };
    let mut s = zero;
    let mut top = w;
    while top >= 5 {
        let o = top - 4;
        let c = rows(0, o);
        for k in (0..4).rev() {
            s = _mm256_add_pd(s, c[k]);
            unsafe { _mm256_storeu_pd(row(o + k), s) };
        }
        top = o;
    }
    for o in (1..top).rev() {
        s = _mm256_add_pd(s, gather(0, o));
        unsafe { _mm256_storeu_pd(row(o), s) };
    }
    // Prefix sums of blocks b + j, each window's sum S[r + 1] + P[r] written out.
    let exp = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7ff0_0000_0000_0000));
    let wf = _mm256_set1_pd(w as f64);
    let (mut p, mut bad, mut equal) = (zero, zero, zero);
    let mut prev = gather(0, w - 1);
    let mut step = |v: __m256d, r: usize| {
        bad = _mm256_or_pd(bad, _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_and_pd(v, exp), exp));
        equal = _mm256_or_pd(equal, _mm256_cmp_pd::<_CMP_EQ_OQ>(v, prev));
        prev = v;
        p = _mm256_add_pd(p, v);
        // SAFETY: `r < w`, so row `r + 1` is inside `suf`.
        let sum = _mm256_add_pd(unsafe { _mm256_loadu_pd(row(r + 1)) }, p);
        if MEAN {
            _mm256_div_pd(sum, wf)
        } else {
            sum
        }
    };
    out.reserve(L * w);
    let at = out.len();
    // SAFETY: `at ≤ capacity`, so the pointer stays inside the allocation.
    let op = unsafe { out.as_mut_ptr().add(at) };
    // Offset `o` of block `b + j` goes to `out[at + j·w + o]`, inside the reserved slots.
    let slot = |j: usize, o: usize| {
        debug_assert!(j < L && o < w);
        // SAFETY: `reserve` made `L · w` spare slots after `at`, and `j·w + o < L·w`.
        unsafe { op.add(j * w + o) }
    };
    let mut o = 0;
    while o + 4 <= w {
        let c = rows(w, o);
        let t = transpose4([
            step(c[0], o),
            step(c[1], o + 1),
            step(c[2], o + 2),
            step(c[3], o + 3),
        ]);
        for (j, &col) in t.iter().enumerate() {
            // SAFETY: 4 slots from `slot(j, o)`, with `o + 4 ≤ w`.
            unsafe { _mm256_storeu_pd(slot(j, o), col) };
        }
        o += 4;
    }
    for o in o..w {
        let mut lanes = [0.0f64; L];
        // SAFETY: `lanes` holds 4 values.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), step(gather(w, o), o)) };
        for (j, &v) in lanes.iter().enumerate() {
            // SAFETY: one slot, see `slot`.
            unsafe { slot(j, o).write(v) };
        }
    }
    // SAFETY: all `L · w` slots after `at` were written above (offsets 0 … w − 1 of each
    // block, by the four-offset steps and then the rest one by one).
    unsafe { out.set_len(at + L * w) };
    let (bad, equal) = (_mm256_movemask_pd(bad), _mm256_movemask_pd(equal));
    (bad != 0, std::array::from_fn(|j| equal >> j & 1 == 1))
}

/// An update that shrinks Σ(x − mean)² by more than this factor has cancelled away all
/// but about three significant digits, so the window is rebuilt from its values (the
/// threshold pandas uses: machine epsilon × 1000).
const CANCELLATION_TOLERANCE: f64 = f64::EPSILON * 1e3;

/// Welford window state: count, compensated mean and sum of squared deviations.
#[derive(Default)]
struct VarState {
    nobs: usize,
    mean: f64,
    /// Σ (x − mean)² over the window.
    ssqdm: f64,
    comp_add: f64,
    comp_remove: f64,
    /// Set when an update lost most digits of `ssqdm`: the window must be rebuilt.
    unstable: bool,
}

impl VarState {
    fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        let before = self.ssqdm;
        self.nobs += 1;
        // Welford's update, with the mean carried as (mean − compensation) so the
        // rounding of each mean update is fed back into the next one.
        let prev_mean = self.mean - self.comp_add;
        let y = x - self.comp_add;
        let t = y - self.mean;
        self.comp_add = t + self.mean - y;
        self.mean += t / self.nobs as f64;
        self.ssqdm += (x - prev_mean) * (x - self.mean);
        if before * CANCELLATION_TOLERANCE > self.ssqdm {
            self.unstable = true;
        }
    }

    fn remove(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.nobs -= 1;
        if self.nobs == 0 {
            // An emptied window starts over exactly rather than keeping rounding residue.
            self.mean = 0.0;
            self.ssqdm = 0.0;
            self.unstable = false;
            return;
        }
        let before = self.ssqdm;
        let prev_mean = self.mean - self.comp_remove;
        let y = x - self.comp_remove;
        let t = y - self.mean;
        self.comp_remove = t + self.mean - y;
        self.mean -= t / self.nobs as f64;
        self.ssqdm -= (x - prev_mean) * (x - self.mean);
        // A large value leaving the window (or a window collapsing to equal values)
        // leaves a residue far below the previous sum: that residue is rounding noise.
        if before * CANCELLATION_TOLERANCE > self.ssqdm {
            self.unstable = true;
        }
    }

    /// Rebuilds the state from the window's values.
    fn rebuild(&mut self, window: &[f64]) {
        *self = VarState::default();
        for &x in window {
            self.add(x);
        }
        self.unstable = false;
    }
}

/// Rolling variance with `ddof` delta degrees of freedom (pandas
/// `rolling(window, min_periods).var(ddof)`).
///
/// NaN when the window holds fewer than `max(min_periods, 1)` values or no more than
/// `ddof`. A window left with one value (or one repeated value) after others have left
/// gives 0 or a rounding residue far below the data's scale, exactly as pandas. Numerically stable: Welford add/remove with a compensated
/// mean, and a window is rebuilt from its values when an update cancels all but three
/// digits of Σ(x − mean)² (e.g. an outlier leaving the window, or a window becoming
/// constant, which then gives exactly 0).
///
/// O(n) time whatever the window: each step is one remove and one add; a rebuild costs
/// O(window) but needs Σ(x − mean)² to shrink a trillion-fold in one step, which a series
/// can do only a few dozen times in a row before reaching 0. O(1) extra space.
pub fn rolling_var(values: &[f64], window: usize, min_periods: usize, ddof: usize) -> Vec<f64> {
    if window == 0 {
        return empty_windows(values.len(), f64::NAN);
    }
    let min_periods = min_periods.max(1);
    if window > 1 {
        if let Some(out) = block_var(values, window, min_periods, ddof) {
            return out;
        }
    }
    let mut state = VarState::default();
    let mut out = Vec::with_capacity(values.len());
    for (i, &x) in values.iter().enumerate() {
        let start = (i + 1).saturating_sub(window);
        // Windows that do not overlap the previous one (the first, or window 1) start over.
        let fresh = i == 0 || window == 1;
        if !fresh {
            if i >= window {
                state.remove(values[i - window]);
            }
            state.add(x);
        }
        if fresh || state.unstable {
            state.rebuild(&values[start..=i]);
        }
        out.push(if state.nobs >= min_periods && state.nobs > ddof {
            state.ssqdm / (state.nobs - ddof) as f64
        } else {
            f64::NAN
        });
    }
    out
}

/// [`rolling_var`] for finite data (`None` as soon as a NaN or an infinity shows up: the
/// caller runs the Welford kernel), by the blocks of [`block_sums`] over shifted values.
///
/// Every window ending in block `k` contains that block's first value `c`, and its sums
/// S₁ = Σ(x − c), S₂ = Σ(x − c)² are a suffix of block `k − 1` plus a prefix of block `k`,
/// both taken around the same `c`. The variance is (S₂ − S₁²/n)/(n − ddof). Because `c`
/// belongs to the window, |mean − c| is at most the window's range R, while
/// Σ(x − mean)² ≥ R²/2, so the subtraction loses at most log₂(2n) bits: numerically
/// stable, with no running sum of squares carried from one window to the next (nothing is
/// ever removed), and a window of equal values gives exactly 0. O(n) for any window.
fn block_var(values: &[f64], window: usize, min_periods: usize, ddof: usize) -> Option<Vec<f64>> {
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    // Suffix sums of the previous block around the current block's `c`; [window] = 0.
    let mut s1 = vec![0.0f64; window + 1];
    let mut s2 = vec![0.0f64; window + 1];
    let full = window as f64;
    let (inv_full, inv_dof) = (1.0 / full, 1.0 / (full - ddof as f64));
    let full_ok = window >= min_periods && window > ddof;
    for (k, block) in values.chunks(window).enumerate() {
        let c = block[0];
        if k > 0 {
            let prev = &values[(k - 1) * window..k * window];
            let (mut a1, mut a2) = (0.0f64, 0.0f64);
            for ((x, t1), t2) in prev
                .iter()
                .zip(&mut s1[..window])
                .zip(&mut s2[..window])
                .rev()
            {
                let d = x - c;
                a1 += d;
                a2 += d * d;
                *t1 = a1;
                *t2 = a2;
            }
        }
        let (mut p1, mut p2) = (0.0f64, 0.0f64);
        let mut bad = false;
        if k == 0 {
            for (r, &x) in block.iter().enumerate() {
                bad |= !x.is_finite();
                let d = x - c;
                p1 += d;
                p2 += d * d;
                let nobs = r + 1;
                out.push(if nobs >= min_periods && nobs > ddof {
                    ((p2 - p1 * p1 / nobs as f64) / (nobs - ddof) as f64).max(0.0)
                } else {
                    f64::NAN
                });
            }
        } else {
            out.extend(
                block
                    .iter()
                    .zip(&s1[1..])
                    .zip(&s2[1..])
                    .map(|((&x, &u1), &u2)| {
                        bad |= !x.is_finite();
                        let d = x - c;
                        p1 += d;
                        p2 += d * d;
                        let (t1, t2) = (u1 + p1, u2 + p2);
                        if full_ok {
                            ((t2 - t1 * t1 * inv_full) * inv_dof).max(0.0)
                        } else {
                            f64::NAN
                        }
                    }),
            );
        }
        if bad {
            return None;
        }
    }
    Some(out)
}

/// Rolling standard deviation: the square root of [`rolling_var`], with a (rounding)
/// negative variance read as 0 like pandas' `zsqrt`. O(n) time, O(1) extra space.
pub fn rolling_std(values: &[f64], window: usize, min_periods: usize, ddof: usize) -> Vec<f64> {
    let mut out = rolling_var(values, window, min_periods, ddof);
    // Vectorised (one scalar square root per value was a third of the time).
    super::elementwise::update(&mut out, |v| if v < 0.0 { 0.0 } else { v.sqrt() });
    out
}

/// Shared kernel of [`rolling_min`] and [`rolling_max`] (van Herk / Gil-Werman): the
/// input is cut into blocks of `window` values; a window ending at `i` is the tail of one
/// block (a suffix extreme of the previous block, kept in a buffer of `window` values)
/// plus the head of the next (a running prefix extreme), so each output takes two
/// comparisons and no branch on the data. NaN counts as +inf for a minimum (−inf for a
/// maximum) and is kept out of the count. Between equal values the newest wins, as in the
/// monotonic deque pandas uses (it only shows for −0.0 against 0.0).
fn rolling_extreme<const MIN: bool>(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    if window == 0 {
        return empty_windows(values.len(), f64::NAN);
    }
    let fill = if MIN {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    };
    if window > 1 && min_periods <= window {
        if let Some(out) = extreme_without_nan::<MIN>(values, window, min_periods) {
            return out;
        }
    }
    let key = |x: f64| if x.is_nan() { fill } else { x };
    // `new` (the newer value) against `old`: newer wins ties, or loses them (`strict`).
    let newer = |new: f64, old: f64| {
        if MIN == (new <= old) || new == old {
            new
        } else {
            old
        }
    };
    let older = |old: f64, new: f64| {
        if MIN == (old < new) && old != new {
            old
        } else {
            new
        }
    };
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    let mut suffix = vec![fill; window.min(n)];
    let mut nobs = 0usize;
    for (k, block) in values.chunks(window).enumerate() {
        let base = k * window;
        let mut prefix = fill;
        for (r, &x) in block.iter().enumerate() {
            let i = base + r;
            nobs += usize::from(!x.is_nan());
            if i >= window {
                nobs -= usize::from(!values[i - window].is_nan());
            }
            prefix = newer(key(x), prefix);
            // The window starts at offset r + 1 of the previous block (none for block 0,
            // and none when the window is exactly this block's head).
            let m = if k > 0 && r + 1 < window {
                newer(prefix, suffix[r + 1])
            } else {
                prefix
            };
            out.push(if nobs >= min_periods && nobs > 0 {
                m
            } else {
                f64::NAN
            });
        }
        let mut acc = fill;
        for r in (0..block.len()).rev() {
            acc = older(key(block[r]), acc);
            suffix[r] = acc;
        }
    }
    out
}

/// [`rolling_extreme`] for data without NaN (`None` as soon as a NaN shows up): the same
/// blocks, with every count known from the position (only the first `min_periods − 1`
/// outputs can be NaN) and the tie rules reduced to single-instruction selects: with no
/// NaN, "the newer value wins ties" is `pick(older, newer)` and "the older value wins
/// only when strictly better" is `pick(older, newer)` too, where `pick(a, b)` is `a` when
/// strictly better than `b`, else `b` (`minsd`/`maxsd`). The same values, signed zeros
/// included, as the general loop.
fn extreme_without_nan<const MIN: bool>(
    values: &[f64],
    window: usize,
    min_periods: usize,
) -> Option<Vec<f64>> {
    /// `a` when strictly smaller (larger), else `b`: for non-NaN values the general
    /// loop's `older(a, b)` and `newer(b, a)`.
    #[inline(always)]
    fn pick<const MIN: bool>(a: f64, b: f64) -> f64 {
        if MIN {
            if a < b {
                a
            } else {
                b
            }
        } else if a > b {
            a
        } else {
            b
        }
    }
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    let mut suffix = vec![0.0f64; window.min(n) + 1];
    for (k, block) in values.chunks(window).enumerate() {
        let mut nan = false;
        let mut prefix = block[0];
        if k == 0 {
            out.extend(block.iter().enumerate().map(|(r, &x)| {
                prefix = pick::<MIN>(prefix, x);
                if r + 1 >= min_periods {
                    prefix
                } else {
                    f64::NAN
                }
            }));
        } else {
            // Windows that start in the previous block (offset r + 1 of it) end at r.
            let m = block.len().min(window - 1);
            out.extend(block[..m].iter().zip(&suffix[1..=m]).map(|(&x, &older)| {
                prefix = pick::<MIN>(prefix, x);
                pick::<MIN>(older, prefix)
            }));
            if block.len() == window {
                prefix = pick::<MIN>(prefix, block[window - 1]);
                out.push(prefix);
            }
        }
        let mut acc = block[block.len() - 1];
        for (slot, &x) in suffix[..block.len()].iter_mut().zip(block).rev() {
            nan |= x.is_nan();
            acc = pick::<MIN>(x, acc);
            *slot = acc;
        }
        if nan {
            return None;
        }
    }
    Some(out)
}

/// Rolling minimum of the non-NaN values (pandas `rolling(window, min_periods).min()`).
///
/// NaN for a window with fewer than `min_periods` values or none at all. Block prefix and
/// suffix extremes: O(n) time whatever the window (three comparisons per value),
/// O(min(window, n)) extra space.
pub fn rolling_min(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    rolling_extreme::<true>(values, window, min_periods)
}

/// Rolling maximum of the non-NaN values (pandas `rolling(window, min_periods).max()`).
///
/// Same rules and complexity as [`rolling_min`].
pub fn rolling_max(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    rolling_extreme::<false>(values, window, min_periods)
}

// ------------------------------------------------------------------ order statistics

/// Marks a location in the upper heap (the lower heap's locations have the bit clear).
const UPPER: usize = 1 << (usize::BITS - 1);
/// A slot that holds no value (its input was NaN or has left the window).
const ABSENT: usize = usize::MAX;

/// A heap entry: a window value and the slot that identifies it for removal.
#[derive(Clone, Copy)]
struct Entry {
    value: f64,
    slot: usize,
}

/// A binary heap whose entries can be removed by slot: `loc[slot]` tracks every entry's
/// position (with [`UPPER`] set for the upper heap).
struct IndexedHeap {
    items: Vec<Entry>,
    /// Max-heap when true (the lower half), min-heap otherwise (the upper half).
    max: bool,
    tag: usize,
}

impl IndexedHeap {
    fn new(max: bool, capacity: usize) -> Self {
        Self {
            items: Vec::with_capacity(capacity),
            max,
            tag: if max { 0 } else { UPPER },
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn top(&self) -> Option<f64> {
        self.items.first().map(|e| e.value)
    }

    /// Whether `a` belongs nearer the top than `b`.
    fn above(&self, a: f64, b: f64) -> bool {
        if self.max {
            a > b
        } else {
            a < b
        }
    }

    fn place(&mut self, i: usize, e: Entry, loc: &mut [usize]) {
        self.items[i] = e;
        loc[e.slot] = self.tag | i;
    }

    fn sift_up(&mut self, mut i: usize, loc: &mut [usize]) -> usize {
        let e = self.items[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.items[parent];
            if !self.above(e.value, p.value) {
                break;
            }
            self.place(i, p, loc);
            i = parent;
        }
        self.place(i, e, loc);
        i
    }

    fn sift_down(&mut self, mut i: usize, loc: &mut [usize]) {
        let e = self.items[i];
        let n = self.items.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.above(self.items[right].value, self.items[left].value)
            {
                right
            } else {
                left
            };
            let c = self.items[child];
            if !self.above(c.value, e.value) {
                break;
            }
            self.place(i, c, loc);
            i = child;
        }
        self.place(i, e, loc);
    }

    fn push(&mut self, e: Entry, loc: &mut [usize]) {
        self.items.push(e);
        let i = self.items.len() - 1;
        self.sift_up(i, loc);
    }

    /// Removes the entry at position `i` and returns it.
    fn remove_at(&mut self, i: usize, loc: &mut [usize]) -> Option<Entry> {
        let last = self.items.pop()?;
        if i >= self.items.len() {
            // `i` was the last position: nothing to refill.
            return Some(last);
        }
        let removed = self.items[i];
        self.place(i, last, loc);
        let at = self.sift_up(i, loc);
        self.sift_down(at, loc);
        Some(removed)
    }

    fn pop_top(&mut self, loc: &mut [usize]) -> Option<Entry> {
        if self.items.is_empty() {
            None
        } else {
            self.remove_at(0, loc)
        }
    }
}

/// The window's non-NaN values split into a lower max-heap and an upper min-heap with
/// every lower value ≤ every upper value. Holding the `k + 1` smallest values in the lower
/// heap makes the k-th and (k+1)-th order statistics the two tops. Insert, remove and
/// one rebalancing move are O(log w); memory is O(w), allocated once.
struct OrderWindow {
    lower: IndexedHeap,
    upper: IndexedHeap,
    loc: Vec<usize>,
}

impl OrderWindow {
    fn new(slots: usize) -> Self {
        Self {
            lower: IndexedHeap::new(true, slots),
            upper: IndexedHeap::new(false, slots),
            loc: vec![ABSENT; slots],
        }
    }

    fn len(&self) -> usize {
        self.lower.len() + self.upper.len()
    }

    fn insert(&mut self, slot: usize, value: f64) {
        let e = Entry { value, slot };
        if self.lower.top().is_some_and(|t| value <= t) {
            self.lower.push(e, &mut self.loc);
        } else {
            self.upper.push(e, &mut self.loc);
        }
    }

    fn remove(&mut self, slot: usize) {
        let at = self.loc[slot];
        if at == ABSENT {
            return;
        }
        if at & UPPER != 0 {
            self.upper.remove_at(at & !UPPER, &mut self.loc);
        } else {
            self.lower.remove_at(at, &mut self.loc);
        }
        self.loc[slot] = ABSENT;
    }

    /// Moves tops across until the lower heap holds `lower_len` values (or all of them).
    /// Targets change by at most one per step, so this is O(1) moves per window.
    fn balance(&mut self, lower_len: usize) {
        while self.lower.len() > lower_len {
            match self.lower.pop_top(&mut self.loc) {
                Some(e) => self.upper.push(e, &mut self.loc),
                None => break,
            }
        }
        while self.lower.len() < lower_len {
            match self.upper.pop_top(&mut self.loc) {
                Some(e) => self.lower.push(e, &mut self.loc),
                None => break,
            }
        }
    }

    /// The `k`-th smallest value (0-based) and the next one, after `balance(k + 1)`.
    fn pair(&mut self, k: usize) -> (f64, f64) {
        self.balance(k + 1);
        (
            self.lower.top().unwrap_or(f64::NAN),
            self.upper.top().unwrap_or(f64::NAN),
        )
    }
}

/// Drives an [`OrderWindow`] over the series; `pick` turns the window (with its count of
/// non-NaN values, ≥ 1) into the output.
fn slide_order(
    values: &[f64],
    window: usize,
    min_periods: usize,
    pick: impl Fn(&mut OrderWindow, usize) -> f64,
) -> Vec<f64> {
    if window == 0 {
        return empty_windows(values.len(), f64::NAN);
    }
    // Live values come from `window` consecutive indices below `len`, so indices modulo
    // `min(window, len)` identify them without collisions.
    let slots = window.min(values.len()).max(1);
    let mut w = OrderWindow::new(slots);
    let mut out = Vec::with_capacity(values.len());
    for (i, &x) in values.iter().enumerate() {
        if i >= window {
            w.remove((i - window) % slots);
        }
        if !x.is_nan() {
            w.insert(i % slots, x);
        }
        let nobs = w.len();
        out.push(if nobs >= min_periods && nobs > 0 {
            pick(&mut w, nobs)
        } else {
            f64::NAN
        });
    }
    out
}

/// Rolling median of the non-NaN values (pandas `rolling(window, min_periods).median()`):
/// the middle value, or the mean of the two middle values for an even count.
///
/// NaN for fewer than `min_periods` values or none. Two indexed heaps: O(n log w) time,
/// O(min(window, n)) extra space; no sort per window.
pub fn rolling_median(values: &[f64], window: usize, min_periods: usize) -> Vec<f64> {
    slide_order(values, window, min_periods, |w, nobs| {
        let mid = nobs / 2;
        if nobs % 2 == 1 {
            w.pair(mid).0
        } else {
            let (lo, hi) = w.pair(mid - 1);
            (hi + lo) / 2.0
        }
    })
}

/// Rolling `q`-quantile (`q` in [0, 1]) of the non-NaN values with linear interpolation
/// (pandas `rolling(window, min_periods).quantile(q)`): with `h = q·(count − 1)`, the value
/// at rank ⌊h⌋ plus (h − ⌊h⌋) times the gap to the next one.
///
/// NaN for fewer than `min_periods` values or none; a `q` outside [0, 1] is clamped.
/// O(n log w) time (two indexed heaps), O(min(window, n)) extra space.
pub fn rolling_quantile(values: &[f64], window: usize, min_periods: usize, q: f64) -> Vec<f64> {
    let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
    slide_order(values, window, min_periods, |w, nobs| {
        if nobs == 1 {
            return w.pair(0).0;
        }
        let h = q * (nobs - 1) as f64;
        let k = (h as usize).min(nobs - 1);
        let (lo, hi) = w.pair(k);
        if h == k as f64 {
            lo
        } else {
            lo + (hi - lo) * (h - k as f64)
        }
    })
}

/// Exponentially weighted moving average with smoothing factor `alpha` in (0, 1], as
/// pandas `ewm(alpha=…, adjust=…, ignore_na=False).mean()` (min_periods 0).
///
/// - `adjust = false`: y₀ = x₀, yₜ = (1−α)·yₜ₋₁ + α·xₜ.
/// - `adjust = true`: yₜ = Σ (1−α)ⁱ xₜ₋ᵢ / Σ (1−α)ⁱ over the values so far.
///
/// NaN before the first value. A NaN input repeats the previous average, and the weights
/// keep decaying across it (absolute positions, pandas `ignore_na=False`), so the first
/// value after a gap counts more. O(n) time, O(1) extra space.
pub fn ewm_mean(values: &[f64], alpha: f64, adjust: bool) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `ewm_mean_fma` requires.
        return unsafe { ewm_mean_fma(values, alpha, adjust) };
    }
    ewm_mean_body::<false>(values, alpha, adjust)
}

/// [`ewm_mean_body`] compiled with hardware FMA (the same results, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn ewm_mean_fma(values: &[f64], alpha: f64, adjust: bool) -> Vec<f64> {
    ewm_mean_body::<true>(values, alpha, adjust)
}

/// Values per NaN-free run of the steady `adjust = false` loop.
const EWM_CHUNK: usize = 256;

/// The EWM loop; `FMA` says the CPU has FMA (the caller checked).
#[inline(always)]
fn ewm_mean_body<const FMA: bool>(values: &[f64], alpha: f64, adjust: bool) -> Vec<f64> {
    let decay = 1.0 - alpha;
    let new_weight = if adjust { 1.0 } else { alpha };
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    let mut avg = f64::NAN;
    let mut old_weight = 1.0;
    let mut i = 0;
    while i < n {
        // A step after a value (not a gap) is steady when it leaves the weight as it found
        // it: always without `adjust` (the weight is back at 1), and with `adjust` once
        // the weight w has converged (w·(1−α) + 1 == w in floating point, a few hundred
        // values in). Its two factors are then the same at every step: computed once per
        // chunk, bit for bit what the general step below computes.
        let decayed = old_weight * decay;
        let steady = if adjust {
            decayed + new_weight == old_weight
        } else {
            old_weight == 1.0
        };
        if steady && !avg.is_nan() {
            // Whole NaN-free chunks as one linear recurrence, four values per step of the
            // carried chain (`recurrence::affine_scan`).
            let chunk = &values[i..(i + EWM_CHUNK).min(n)];
            if !chunk.iter().fold(false, |seen, x| seen | x.is_nan()) {
                let r = 1.0 / (decayed + new_weight);
                let (d, c) = (decayed * r, new_weight * r);
                #[cfg(target_arch = "x86_64")]
                if FMA {
                    // Called through a pointer: inlined here (LLVM ignores `inline(never)`
                    // on it), the running value went through the stack at every group of
                    // four, three times slower.
                    let scan: unsafe fn(&[f64], f64, f64, f64, &mut Vec<f64>) -> f64 =
                        super::recurrence::affine_scan_fma;
                    // SAFETY: `FMA` is true only when the caller checked the CPU has it.
                    avg = unsafe { std::hint::black_box(scan)(chunk, d, c, avg, &mut out) };
                    i += chunk.len();
                    continue;
                }
                avg = super::recurrence::affine_scan(chunk, d, c, avg, &mut out);
                i += chunk.len();
                continue;
            }
        }
        let x = values[i];
        if avg.is_nan() {
            // Before the first value (or while the average is undefined) a value starts it.
            // Like pandas, the weight is not reset: it only ever starts at 1 and matters
            // only if an infinite input made the average undefined mid-series.
            if !x.is_nan() {
                avg = x;
            }
        } else {
            old_weight *= decay;
            if !x.is_nan() {
                // Skipping the update for an equal value keeps a constant series exact.
                if avg != x {
                    // pandas' (w·avg + v·x) / (w + v), with the division taken off the
                    // chain from one average to the next (the weights do not depend on
                    // it) and the old term fused into the sum: a few ulps apart, and the
                    // average forgets its old rounding.
                    let r = 1.0 / (old_weight + new_weight);
                    avg = (old_weight * r).mul_add(avg, (new_weight * r) * x);
                }
                old_weight = if adjust { old_weight + new_weight } else { 1.0 };
            }
        }
        out.push(avg);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    /// A deterministic xorshift64 stream for the randomised kernel tests.
    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    /// The monotonic-deque rolling extreme the block kernel must reproduce exactly.
    fn deque_extreme(values: &[f64], window: usize, min_periods: usize, min: bool) -> Vec<f64> {
        let dominates = |new: f64, old: f64| if min { new <= old } else { new >= old };
        let mut out = Vec::new();
        let mut deque: VecDeque<usize> = VecDeque::new();
        let mut nobs = 0usize;
        for (i, &x) in values.iter().enumerate() {
            if i >= window {
                let gone = i - window;
                if !values[gone].is_nan() {
                    nobs -= 1;
                }
                if deque.front() == Some(&gone) {
                    deque.pop_front();
                }
            }
            if !x.is_nan() {
                nobs += 1;
                while deque.back().is_some_and(|&b| dominates(x, values[b])) {
                    deque.pop_back();
                }
                deque.push_back(i);
            }
            out.push(match deque.front() {
                Some(&f) if nobs >= min_periods => values[f],
                _ => f64::NAN,
            });
        }
        out
    }

    #[test]
    fn ewm_mean_stays_within_ulps_of_the_pandas_division() {
        // Gaps every 97 values keep `adjust`'s weight from converging; every 1,500 let it
        // converge (the steady, four-at-a-time path) and leave it again at each gap.
        for gap_every in [97, 1500] {
            ewm_mean_matches_the_division_with_gaps(gap_every);
        }
        assert_eq!(ewm_mean(&[3.0; 50], 0.1, true), vec![3.0; 50]);
    }

    fn ewm_mean_matches_the_division_with_gaps(gap_every: usize) {
        let values: Vec<f64> = (0..5000)
            .map(|i| {
                if i % gap_every == 3 {
                    f64::NAN
                } else {
                    100.0 + (i as f64 * 0.7).sin() * 5.0
                }
            })
            .collect();
        for adjust in [true, false] {
            for alpha in [2.0 / 21.0, 0.5, 0.01] {
                let got = ewm_mean(&values, alpha, adjust);
                let (decay, nw) = (1.0 - alpha, if adjust { 1.0 } else { alpha });
                let (mut avg, mut ow) = (f64::NAN, 1.0f64);
                for (i, &x) in values.iter().enumerate() {
                    if avg.is_nan() {
                        if !x.is_nan() {
                            avg = x;
                        }
                    } else {
                        ow *= decay;
                        if !x.is_nan() {
                            if avg != x {
                                avg = (ow * avg + nw * x) / (ow + nw);
                            }
                            ow = if adjust { ow + nw } else { 1.0 };
                        }
                    }
                    assert!(
                        (got[i] - avg).abs() <= 1e-14 * avg.abs(),
                        "{i}: {} vs {avg}",
                        got[i]
                    );
                }
            }
        }
    }

    #[test]
    fn block_sums_agree_with_the_compensated_slide() {
        let mut next = xorshift(0x1234_5678_9ABC_DEF1);
        let values: Vec<f64> = (0..1999)
            .map(|i| {
                let s = next();
                match (s >> 60, i % 31) {
                    (_, 0) => f64::NAN,
                    (0, _) => 0.0,
                    (1, _) => -0.0,
                    (2 | 3, _) => 7.25,
                    (4, _) => 1e9 + (s & 0xff) as f64,
                    (k, _) => (k as f64 - 10.0) * 0.37 + (s & 0xfff) as f64 * 1e-4,
                }
            })
            .collect();
        // Runs of equal values, to exercise the constant-window rule.
        let runs: Vec<f64> = (0..500)
            .map(|i| if (i / 40) % 2 == 0 { 0.1 } else { -3.3 })
            .collect();
        for data in [&values, &runs] {
            for window in [2, 3, 7, 20, 64, 1000, 3000] {
                for min_periods in [0, 1, window / 2, window] {
                    let got = [
                        rolling_sum(data, window, min_periods),
                        rolling_mean(data, window, min_periods),
                    ];
                    let want = [
                        slide(data, window, SumState::default(), |s| {
                            if s.nobs == 0 && min_periods == 0 {
                                0.0
                            } else if s.nobs >= min_periods {
                                if s.run >= s.nobs {
                                    s.prev * s.nobs as f64
                                } else {
                                    s.sum
                                }
                            } else {
                                f64::NAN
                            }
                        }),
                        slide(data, window, SumState::default(), |s| {
                            if s.nobs >= min_periods && s.nobs > 0 {
                                let mean = s.sum / s.nobs as f64;
                                if s.run >= s.nobs {
                                    s.prev
                                } else if (s.negatives == 0 && mean < 0.0)
                                    || (s.negatives == s.nobs && mean > 0.0)
                                {
                                    0.0
                                } else {
                                    mean
                                }
                            } else {
                                f64::NAN
                            }
                        }),
                    ];
                    for (g, w) in got.iter().zip(&want) {
                        assert_eq!(g.len(), data.len());
                        let mut seen = 0.0f64;
                        for i in 0..data.len() {
                            // Within a few ulps of the window's absolute sum, plus the
                            // drift the slide's add/remove keeps from values that left
                            // (the block sums have none).
                            let lo = (i + 1).saturating_sub(window);
                            let abs: f64 = data[lo..=i]
                                .iter()
                                .filter(|x| !x.is_nan())
                                .map(|x| x.abs())
                                .sum();
                            if !data[i].is_nan() {
                                seen = seen.max(data[i].abs());
                            }
                            let tol = 1e-14 * abs + 1e-15 * seen;
                            assert!(
                                (g[i].is_nan() && w[i].is_nan()) || (g[i] - w[i]).abs() <= tol,
                                "window {window} min_periods {min_periods} at {i}: {} vs {}",
                                g[i],
                                w[i]
                            );
                        }
                    }
                }
            }
        }
        // Infinities leave the block kernel to the slide.
        let inf = [1.0, f64::INFINITY, 2.0, 3.0, 4.0];
        let got = rolling_sum(&inf, 2, 2);
        assert!(got[0].is_nan() && got[1] == f64::INFINITY);
    }

    /// The block-sum emit rules of [`rolling_sum`] / [`rolling_mean`], for the reference.
    fn block_reference(v: &[f64], window: usize, min_periods: usize, mean: bool) -> Vec<f64> {
        block_sums(v, window, |s| {
            if s.nobs == 0 && min_periods == 0 && !mean {
                0.0
            } else if s.nobs >= min_periods && s.nobs > 0 {
                let m = if mean { s.sum / s.nobs as f64 } else { s.sum };
                if s.run >= s.nobs {
                    if mean {
                        s.prev
                    } else {
                        s.prev * s.nobs as f64
                    }
                } else if mean
                    && ((s.negatives == 0 && m < 0.0) || (s.negatives == s.nobs && m > 0.0))
                {
                    0.0
                } else {
                    m
                }
            } else {
                f64::NAN
            }
        })
        .unwrap_or_else(|| panic!("reference refused finite data"))
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn finite_fast_path_is_bit_identical_to_the_block_sums() {
        let mut next = xorshift(0x05EE_D0FB_10C5);
        // Mixed signs and scales, signed zeros, and runs of equal values (including runs
        // mixing 0.0 and -0.0, which compare equal).
        let mixed: Vec<f64> = (0..3001)
            .map(|_| {
                let r = next();
                match r >> 60 {
                    0 => 0.0,
                    1 => -0.0,
                    2 | 3 => 7.25,
                    4 => 1e9 + (r & 0xff) as f64,
                    k => (k as f64 - 10.0) * 0.37 + (r & 0xfff) as f64 * 1e-4,
                }
            })
            .collect();
        let runs: Vec<f64> = (0..777)
            .map(|i| match (i / 23) % 4 {
                0 => 0.1,
                1 => -3.3,
                2 => {
                    if i % 2 == 0 {
                        0.0
                    } else {
                        -0.0
                    }
                }
                _ => i as f64 * 0.01,
            })
            .collect();
        let zeros = vec![-0.0f64; 300];
        for data in [&mixed, &runs, &zeros] {
            for window in [2, 3, 4, 5, 7, 20, 64, 299, 300] {
                if window > data.len() {
                    continue;
                }
                for min_periods in [0, 1, window / 2, window] {
                    for mean in [false, true] {
                        let want = block_reference(data, window, min_periods, mean);
                        let got = if mean {
                            rolling_mean(data, window, min_periods)
                        } else {
                            rolling_sum(data, window, min_periods)
                        };
                        assert_eq!(
                            bits(&got),
                            bits(&want),
                            "window {window} min_periods {min_periods} mean {mean}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn finite_fast_path_after_leading_nans_and_its_fallbacks() {
        let vals: Vec<f64> = (0..1000)
            .map(|i| 50.0 + (i as f64 * 0.37).sin() * 3.0)
            .collect();
        for lead in [1, 5, 19, 20, 21, 400] {
            let mut v = vec![f64::NAN; lead];
            v.extend_from_slice(&vals);
            for window in [2, 5, 20, 100] {
                for mean in [false, true] {
                    let got = if mean {
                        rolling_mean(&v, window, 3.min(window))
                    } else {
                        rolling_sum(&v, window, 3.min(window))
                    };
                    // The head (windows reaching into the NaNs) as the block kernel over
                    // the whole series gives it; the rest as the block kernel over the data
                    // after the NaNs (blocks counted from there).
                    let whole = block_reference(&v, window, 3.min(window), mean);
                    let tail = block_reference(&v[lead..], window, 3.min(window), mean);
                    let head = lead + window - 1;
                    assert_eq!(
                        bits(&got[..head]),
                        bits(&whole[..head]),
                        "lead {lead} window {window}"
                    );
                    assert_eq!(
                        bits(&got[head..]),
                        bits(&tail[window - 1..]),
                        "lead {lead} window {window}"
                    );
                }
            }
        }
        // A NaN or an infinity after the start leaves everything to the general kernels.
        let mut gap = vals.clone();
        gap[777] = f64::NAN;
        let mut inf = vals.clone();
        inf[500] = f64::INFINITY;
        for window in [2, 20] {
            assert_eq!(
                bits(&rolling_mean(&gap, window, 1)),
                bits(&block_reference(&gap, window, 1, true))
            );
            assert_eq!(
                bits(&rolling_sum(&gap, window, 1)),
                bits(&block_reference(&gap, window, 1, false))
            );
            let got = rolling_sum(&inf, window, window);
            let want = slide(&inf, window, SumState::default(), |s| {
                if s.nobs >= window {
                    if s.run >= s.nobs {
                        s.prev * s.nobs as f64
                    } else {
                        s.sum
                    }
                } else {
                    f64::NAN
                }
            });
            assert_eq!(bits(&got), bits(&want));
            assert_eq!(got[500], f64::INFINITY);
        }
        // Too short after the NaNs, or a minimum above the window: the general kernels.
        let short = [f64::NAN, f64::NAN, 1.0, 2.0];
        assert_eq!(
            bits(&rolling_sum(&short, 3, 1)),
            bits(&block_reference(&short, 3, 1, false))
        );
        assert!(rolling_mean(&vals, 5, 6).iter().all(|x| x.is_nan()));
    }

    /// The AVX2 group kernel against the scalar chains: same bits and the same verdict on
    /// NaN/inf, for windows below, at and above the 4-offset step, lengths that leave
    /// 0–3 single blocks and a partial block after the groups, signed zeros and runs of
    /// equal values (the constant-window rule), and a NaN or infinity in each position of
    /// a group.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_window_sums_are_bit_identical_to_the_scalar_chains() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let mut next = xorshift(0xA5A5_0F0F_1234_9876);
        let data: Vec<f64> = (0..4000)
            .map(|i| {
                let r = next();
                match (r >> 59, (i / 13) % 5) {
                    (_, 0) => 2.5,
                    (0, _) => 0.0,
                    (1, _) => -0.0,
                    (2, _) => 1e12 + (r & 0xffff) as f64,
                    (3, _) => -7.0,
                    (k, _) => (k as f64 - 16.0) * 0.731 + (r & 0xfffff) as f64 * 1e-6,
                }
            })
            .collect();
        let run = |x: &[f64], w: usize, mean: bool, wide: bool| {
            let mut out = Vec::new();
            // SAFETY: AVX2 was detected at the start of the test.
            let ok = match (mean, wide) {
                (false, false) => full_window_sums_scalar::<false>(x, w, &mut out),
                (true, false) => full_window_sums_scalar::<true>(x, w, &mut out),
                (false, true) => unsafe { full_window_sums_avx2::<false>(x, w, &mut out) },
                (true, true) => unsafe { full_window_sums_avx2::<true>(x, w, &mut out) },
            };
            (ok, bits(&out))
        };
        for w in [2, 3, 4, 5, 6, 7, 8, 9, 13, 20, 64, 129] {
            let mut lengths = vec![w, w + 1, 2 * w - 1, 5 * w - 1, 5 * w, 5 * w + 1];
            lengths.extend((6..=10).map(|k| k * w + k % 3));
            lengths.extend([4000 / w * w, 4000]);
            for n in lengths.into_iter().filter(|&n| n <= data.len()) {
                for start in [0, 1, 17] {
                    let x = &data[start..(start + n).min(data.len())];
                    if x.len() < w {
                        continue;
                    }
                    for mean in [false, true] {
                        let (ok, wide) = run(x, w, mean, true);
                        let (ok_scalar, scalar) = run(x, w, mean, false);
                        assert!(ok && ok_scalar, "w {w} n {n} start {start}");
                        assert_eq!(wide, scalar, "w {w} n {n} start {start} mean {mean}");
                        assert_eq!(wide.len(), x.len() + 1 - w);
                    }
                }
            }
            // A NaN or an infinity anywhere stops both paths.
            let n = (10 * w + 3).min(data.len());
            for at in (0..n).step_by(1 + w / 3) {
                for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let mut x = data[..n].to_vec();
                    x[at] = bad;
                    for mean in [false, true] {
                        assert!(!run(&x, w, mean, true).0, "w {w} at {at}");
                        assert!(!run(&x, w, mean, false).0, "w {w} at {at}");
                    }
                }
            }
        }
        // Every value equal, and equal values across the four lanes of a group only.
        for w in [2, 4, 5, 20] {
            let same = vec![0.1f64; 12 * w + 1];
            let mut lanes = data[..12 * w + 1].to_vec();
            for v in lanes.iter_mut().skip(w).step_by(3) {
                *v = 3.75;
            }
            for x in [&same, &lanes] {
                for mean in [false, true] {
                    assert_eq!(run(x, w, mean, true), run(x, w, mean, false), "w {w}");
                }
            }
        }
    }

    #[test]
    fn block_variance_agrees_with_a_two_pass_window_and_gives_exact_zeros() {
        let mut bits = xorshift(0x0DDB_1A5E_5BAD_5EED);
        let mut next = move || (bits() >> 11) as f64 / (1u64 << 53) as f64;
        let walk: Vec<f64> = (0..1500)
            .map(|i| 100.0 + (i as f64 * 0.1).sin() + next())
            .collect();
        let offset: Vec<f64> = (0..1500).map(|_| 1e9 + next() * 1e-3).collect();
        let mut spiky: Vec<f64> = (0..1500)
            .map(|i| if (i / 50) % 3 == 0 { 2.5 } else { next() - 0.5 })
            .collect();
        spiky[700] = 1e12;
        for data in [&walk, &offset, &spiky] {
            for window in [2, 3, 20, 64, 1000, 2000] {
                for (min_periods, ddof) in [(1, 1), (window, 1), (window / 2, 0), (1, 5)] {
                    let got = rolling_var(data, window, min_periods, ddof);
                    for i in 0..data.len() {
                        let w = &data[(i + 1).saturating_sub(window)..=i];
                        let n = w.len();
                        let want = if n >= min_periods.max(1) && n > ddof {
                            let mean = w.iter().sum::<f64>() / n as f64;
                            w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()
                                / (n - ddof) as f64
                        } else {
                            f64::NAN
                        };
                        if w.iter().all(|&x| x == w[0]) && !want.is_nan() {
                            assert_eq!(got[i], 0.0, "constant window {window} at {i}");
                        }
                        let scale = w.iter().map(|x| x.abs()).fold(0.0, f64::max);
                        assert!(
                            (got[i].is_nan() && want.is_nan())
                                || (got[i] - want).abs() <= 1e-9 * want.abs() + 1e-24 * scale * scale,
                            "window {window} min_periods {min_periods} ddof {ddof} at {i}: {} vs {want}",
                            got[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn block_extremes_equal_the_monotonic_deque() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let values: Vec<f64> = (0..997)
            .map(|i| {
                let s = next();
                match (s >> 59, i % 23) {
                    (_, 0) => f64::NAN,
                    (0, _) => 0.0,
                    (1, _) => -0.0,
                    (2, _) => f64::INFINITY,
                    (k, _) => (k as f64 - 16.0) + (s & 3) as f64,
                }
            })
            .collect();
        // The same data without NaN takes the NaN-free fast path (signed zeros, ties and
        // infinities included).
        let dense: Vec<f64> = values
            .iter()
            .map(|&x| if x.is_nan() { -1.5 } else { x })
            .collect();
        for values in [&values, &dense] {
            for window in [1, 2, 3, 5, 20, 64, 996, 997, 2000] {
                for min_periods in [0, 1, window / 2, window] {
                    for min in [true, false] {
                        let got = if min {
                            rolling_min(values, window, min_periods)
                        } else {
                            rolling_max(values, window, min_periods)
                        };
                        let want = deque_extreme(values, window, min_periods, min);
                        assert_eq!(got.len(), want.len());
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            assert!(
                            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                            "window {window} min_periods {min_periods} min {min} at {i}: {g} vs {w}"
                        );
                        }
                    }
                }
            }
        }
    }

    use super::*;

    /// Deterministic xorshift generator, so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Random data with isolated NaNs, a NaN run longer than most windows, repeated values
    /// and a constant stretch.
    fn data(seed: u64, n: usize) -> Vec<f64> {
        let mut r = Rng(seed);
        let mut v: Vec<f64> = (0..n).map(|_| (r.next() - 0.4) * 100.0).collect();
        for i in 0..n {
            if r.next() < 0.08 {
                v[i] = f64::NAN;
            }
            if r.next() < 0.05 && i > 0 {
                v[i] = v[i - 1];
            }
        }
        for x in v.iter_mut().skip(n / 3).take(25) {
            *x = f64::NAN;
        }
        for x in v.iter_mut().skip(n / 2).take(30) {
            *x = 7.25;
        }
        v
    }

    /// The non-NaN values of window `i`.
    fn window_of(v: &[f64], i: usize, w: usize) -> Vec<f64> {
        v[(i + 1).saturating_sub(w)..=i]
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .collect()
    }

    /// O(n·w) reference: recomputes every window from scratch.
    fn naive(v: &[f64], w: usize, minp: usize, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        (0..v.len())
            .map(|i| {
                let win = window_of(v, i, w);
                if win.len() >= minp.max(1) {
                    f(&win)
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    fn two_pass_var(x: &[f64], ddof: usize) -> f64 {
        if x.len() <= ddof {
            return f64::NAN;
        }
        let m = x.iter().sum::<f64>() / x.len() as f64;
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - ddof) as f64
    }

    fn sorted(x: &[f64]) -> Vec<f64> {
        let mut s = x.to_vec();
        s.sort_by(f64::total_cmp);
        s
    }

    fn quantile_sorted(x: &[f64], q: f64) -> f64 {
        let s = sorted(x);
        let h = q * (s.len() - 1) as f64;
        let k = h.floor() as usize;
        if k + 1 >= s.len() {
            s[k]
        } else {
            s[k] + (s[k + 1] - s[k]) * (h - k as f64)
        }
    }

    fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let ok = if w.is_nan() {
                g.is_nan()
            } else {
                (g - w).abs() <= rtol * w.abs() + atol
            };
            assert!(ok, "{what}[{i}]: got {g}, expected {w}");
        }
    }

    const WINDOWS: [usize; 7] = [1, 2, 3, 7, 20, 64, 500];

    #[test]
    fn kernels_match_naive_windows_on_random_data_with_nan_runs() {
        for seed in [1u64, 7, 42] {
            let v = data(seed, 400);
            for w in WINDOWS {
                for minp in [0, 1, w / 2, w] {
                    let tag = format!("seed {seed} window {w} min_periods {minp}");
                    let sum = naive(&v, w, minp, |x| x.iter().sum());
                    let mut want_sum = sum.clone();
                    if minp == 0 {
                        // An empty window sums to 0 when no minimum is asked for.
                        for (i, s) in want_sum.iter_mut().enumerate() {
                            if window_of(&v, i, w).is_empty() {
                                *s = 0.0;
                            }
                        }
                    }
                    assert_close(
                        &format!("sum {tag}"),
                        &rolling_sum(&v, w, minp),
                        &want_sum,
                        1e-9,
                        1e-9,
                    );
                    let mean = naive(&v, w, minp, |x| x.iter().sum::<f64>() / x.len() as f64);
                    assert_close(
                        &format!("mean {tag}"),
                        &rolling_mean(&v, w, minp),
                        &mean,
                        1e-9,
                        1e-9,
                    );
                    for ddof in [0, 1, 2] {
                        let var = naive(&v, w, minp, |x| two_pass_var(x, ddof));
                        let got = rolling_var(&v, w, minp, ddof);
                        assert_close(&format!("var ddof {ddof} {tag}"), &got, &var, 1e-8, 1e-9);
                        // A window left with one value may keep a rounding residue of
                        // order eps·x² in the variance (as pandas does); its square root
                        // is not small, so the standard deviation is compared squared.
                        let got: Vec<f64> = rolling_std(&v, w, minp, ddof)
                            .iter()
                            .map(|x| x * x)
                            .collect();
                        assert_close(&format!("std² ddof {ddof} {tag}"), &got, &var, 1e-8, 1e-9);
                    }
                    let min = naive(&v, w, minp, |x| {
                        x.iter().copied().fold(f64::INFINITY, f64::min)
                    });
                    assert_eq!(
                        rolling_min(&v, w, minp)
                            .iter()
                            .map(|x| x.to_bits())
                            .collect::<Vec<_>>(),
                        min.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        "min {tag}"
                    );
                    let max = naive(&v, w, minp, |x| {
                        x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    });
                    assert_eq!(
                        rolling_max(&v, w, minp)
                            .iter()
                            .map(|x| x.to_bits())
                            .collect::<Vec<_>>(),
                        max.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        "max {tag}"
                    );
                    let median = naive(&v, w, minp, |x| {
                        let s = sorted(x);
                        let m = s.len() / 2;
                        if s.len() % 2 == 1 {
                            s[m]
                        } else {
                            (s[m] + s[m - 1]) / 2.0
                        }
                    });
                    assert_close(
                        &format!("median {tag}"),
                        &rolling_median(&v, w, minp),
                        &median,
                        0.0,
                        0.0,
                    );
                    for q in [0.0, 0.1, 0.25, 0.5, 0.9, 1.0] {
                        let want = naive(&v, w, minp, |x| quantile_sorted(x, q));
                        let got = rolling_quantile(&v, w, minp, q);
                        assert_close(&format!("quantile {q} {tag}"), &got, &want, 1e-12, 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn constant_windows_are_exact() {
        let v = vec![0.1; 200];
        for w in [2, 3, 10, 50] {
            assert!(rolling_var(&v, w, 1, 1).iter().skip(1).all(|&x| x == 0.0));
            assert!(rolling_std(&v, w, 1, 1).iter().skip(1).all(|&x| x == 0.0));
            assert!(rolling_mean(&v, w, 1).iter().all(|&x| x == 0.1));
            assert_eq!(rolling_sum(&v, w, w)[w + 5], 0.1 * w as f64);
        }
    }

    #[test]
    fn variance_survives_catastrophic_cancellation() {
        // 1e9 + uniform noise of width 1: the variance (~0.08) is 20 orders of magnitude
        // below the squares of the values, so a running sum of squares keeps no correct
        // digit. Subtracting 1e9 is exact for these values (same binade), which gives an
        // exact reference.
        let mut r = Rng(99);
        let mut v: Vec<f64> = (0..5000).map(|_| 1e9 + (r.next() - 0.5)).collect();
        for x in v.iter_mut().skip(1000).take(40) {
            *x = f64::NAN;
        }
        let shifted: Vec<f64> = v.iter().map(|x| x - 1e9).collect();
        let w = 30;
        let want = naive(&shifted, w, w, |x| two_pass_var(x, 1));
        let got = rolling_var(&v, w, w, 1);
        // The values carry 1e9 to ulp 1.2e-7, so each compensated mean update rounds at
        // about 1e-7/0.3 of a deviation: pandas itself lands within ~3e-5 here.
        assert_close("welford var", &got, &want, 1e-4, 0.0);

        // The textbook running Σx and Σx² on the same data is far off: the test data is
        // genuinely hard.
        let (mut s, mut ss) = (0.0f64, 0.0f64);
        for x in &v[..w] {
            s += x;
            ss += x * x;
        }
        let naive_var = (ss - s * s / w as f64) / (w - 1) as f64;
        assert!(
            (naive_var - want[w - 1]).abs() > want[w - 1].abs(),
            "sum of squares unexpectedly accurate: {naive_var} vs {}",
            want[w - 1]
        );
    }

    #[test]
    fn an_outlier_leaving_the_window_does_not_poison_later_windows() {
        // Without rebuilding, removing 1e12 leaves a residue of order eps·1e24 = 1e8 in
        // Σ(x − mean)², swamping every later window's true value (~1e-2).
        let mut r = Rng(5);
        let mut v: Vec<f64> = (0..300).map(|_| r.next() * 0.3).collect();
        v[50] = 1e12;
        v[200] = -3e11;
        let w = 10;
        let want = naive(&v, w, w, |x| two_pass_var(x, 1));
        assert_close("outlier var", &rolling_var(&v, w, w, 1), &want, 1e-9, 0.0);
        // A window turning constant gives exactly 0.
        let mut c = vec![5.0, 1e9, -7.0];
        c.extend(std::iter::repeat_n(2.5, 20));
        let got = rolling_var(&c, 4, 4, 1);
        assert!(got[8..].iter().all(|&x| x == 0.0), "{got:?}");
    }

    #[test]
    fn degenerate_windows_do_not_panic() {
        let v = [1.0, f64::NAN, 3.0];
        assert!(rolling_mean(&v, 0, 0).iter().all(|x| x.is_nan()));
        assert_eq!(rolling_sum(&v, 0, 0), vec![0.0; 3]);
        assert!(rolling_median(&v, 0, 0).iter().all(|x| x.is_nan()));
        assert!(rolling_max(&v, 5, 9).iter().all(|x| x.is_nan()));
        assert!(rolling_quantile(&[], 3, 1, 0.5).is_empty());
        assert_eq!(
            rolling_quantile(&v, usize::MAX, 1, 0.5),
            vec![1.0, 1.0, 2.0]
        );
        assert_eq!(rolling_min(&v, usize::MAX, 0), vec![1.0, 1.0, 1.0]);
        let nan_only = [f64::NAN; 4];
        assert_eq!(rolling_sum(&nan_only, 2, 0), vec![0.0; 4]);
        assert!(rolling_var(&nan_only, 2, 0, 0).iter().all(|x| x.is_nan()));
    }

    #[test]
    fn ewm_matches_its_recurrence() {
        let v = [1.0, 2.0, f64::NAN, 4.0, 4.0];
        let a = 0.5;
        let got = ewm_mean(&v, a, false);
        // adjust=false with a gap: the weight of the old average decays twice.
        let y1 = 0.5 * 1.0 + 0.5 * 2.0;
        let ow = 0.25;
        let y3 = (ow * y1 + a * 4.0) / (ow + a);
        let y4 = 0.5 * y3 + 0.5 * 4.0;
        assert_close("ewm", &got, &[1.0, y1, y1, y3, y4], 1e-15, 0.0);
        let adj = ewm_mean(&[1.0, 2.0, 3.0], a, true);
        let want = [1.0, (0.5 + 2.0) / 1.5, (0.25 + 1.0 + 3.0) / 1.75];
        assert_close("ewm adjust", &adj, &want, 1e-15, 0.0);
        assert!(ewm_mean(&[f64::NAN, 1.0], a, false)[0].is_nan());
    }
}
