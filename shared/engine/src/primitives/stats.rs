//! Statistics (dsl.md §5 "stats"): reductions of a series to a scalar, rolling windows,
//! cumulative statistics, exponential smoothing, standardisation, ranks and `describe`.
//!
//! Every primitive matches a named pandas/numpy expression (its `reference`), including
//! pandas' NaN rules: reductions skip NaN; rolling windows count only non-NaN values
//! against `min_periods`; cumulative statistics skip NaN and leave it in place. The
//! rolling kernels live in [`crate::kernels::rolling`] (O(n) or O(n log w)).

use crate::kernels::{reduce, rolling, scan};
use crate::primitives::common::{series, valid};
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{ColumnData, Kind, KindSet, Series, Table, Value};

/// The stats family.
pub static PRIMITIVES: &[&Primitive] = &[
    &MEAN,
    &MEDIAN,
    &STD,
    &VAR,
    &MIN,
    &MAX,
    &SUM,
    &COUNT,
    &PERCENTILE,
    &SKEW,
    &KURTOSIS,
    &ROLLING_MEAN,
    &ROLLING_STD,
    &ROLLING_VAR,
    &ROLLING_MIN,
    &ROLLING_MAX,
    &ROLLING_SUM,
    &ROLLING_MEDIAN,
    &ROLLING_QUANTILE,
    &CUMSUM,
    &CUMPROD,
    &CUMMAX,
    &CUMMIN,
    &EMA,
    &ZSCORE,
    &ROLLING_ZSCORE,
    &RANK,
    &DESCRIBE,
];

const SERIES_IN: &[Operand] = &[Operand::new("x", KindSet::SERIES, "input series")];

// ------------------------------------------------------------------ numeric helpers

/// Sum of the non-NaN values and their count: the fast pairwise sum of
/// [`reduce::nan_sum`] when it is accurate to 1e-11, else [`exact_sum`].
fn nan_sum(values: &[f64]) -> (f64, usize) {
    reduce::nan_sum(values).unwrap_or_else(|| exact_sum(values))
}

/// Sum of the non-NaN values with Neumaier compensation (at least as accurate as numpy's
/// pairwise sum, so results agree with pandas far below 1e-9), and their count.
fn exact_sum(values: &[f64]) -> (f64, usize) {
    let (mut sum, mut comp, mut plain, mut n) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    for x in valid(values) {
        n += 1;
        plain += x;
        let t = sum + x;
        comp += if sum.abs() >= x.abs() {
            (sum - t) + x
        } else {
            (x - t) + sum
        };
        sum = t;
    }
    // With infinities the compensation turns NaN; the plain sum is then the answer.
    if plain.is_finite() {
        (sum + comp, n)
    } else {
        (plain, n)
    }
}

/// Mean of the non-NaN values (NaN when there are none).
fn nan_mean(values: &[f64]) -> f64 {
    let (s, n) = nan_sum(values);
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

/// Variance of the non-NaN values with `ddof`, two-pass like pandas `nanvar`
/// (NaN when count ≤ ddof): the fast moments of [`reduce::central_moments`] when they are
/// accurate, else [`exact_var`].
fn nan_var(values: &[f64], ddof: usize) -> f64 {
    match reduce::central_moments(values, false) {
        Some((n, _, [m2, ..])) if n > ddof => m2 / (n - ddof) as f64,
        Some(_) => f64::NAN,
        None => exact_var(values, ddof),
    }
}

/// [`nan_var`] with compensated sums: exact 0 for a constant series.
fn exact_var(values: &[f64], ddof: usize) -> f64 {
    let (s, n) = exact_sum(values);
    if n <= ddof {
        return f64::NAN;
    }
    let mean = s / n as f64;
    let mut dev = values.iter().filter(|x| !x.is_nan()).map(|&x| {
        let d = x - mean;
        d * d
    });
    // Compensated again: a constant series must give exactly 0, others agree to the ulp.
    let first = dev.next().unwrap_or(0.0);
    let (mut sum, mut comp) = (first, 0.0f64);
    for x in dev {
        let t = sum + x;
        comp += (sum - t) + x;
        sum = t;
    }
    (sum + comp) / (n - ddof) as f64
}

/// The non-NaN values, sorted ascending (the reference the selections are tested against).
#[cfg(test)]
fn sorted_valid(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = valid(values).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// numpy's linear interpolation between `a` and `b` (its `_lerp`: computed from the nearer
/// end, so t = 1 gives exactly `b`).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The `q`-percentile (`q` in [0, 100]) of sorted values, numpy's default "linear" method
/// (the reference [`percentiles`] is tested against).
#[cfg(test)]
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let (lo, hi, h) = percentile_ranks(n, q);
    lerp(sorted[lo], sorted[hi], h - lo as f64)
}

/// The ranks `percentile_sorted` reads for `q` among `n` sorted values: (⌊h⌋, ⌊h⌋ + 1
/// capped, h).
fn percentile_ranks(n: usize, q: f64) -> (usize, usize, f64) {
    let h = (n - 1) as f64 * (q / 100.0);
    let lo = (h.floor() as usize).min(n - 1);
    (lo, (lo + 1).min(n - 1), h)
}

/// `percentile_sorted` of the non-NaN values for several `qs`, by selection instead of a
/// full sort (same values).
fn percentiles(values: &[f64], qs: &[f64]) -> Vec<f64> {
    let n = reduce::count(values);
    if n == 0 {
        return vec![f64::NAN; qs.len()];
    }
    let picks: Vec<(usize, usize, f64)> = qs.iter().map(|&q| percentile_ranks(n, q)).collect();
    let mut ranks: Vec<usize> = picks.iter().flat_map(|p| [p.0, p.1]).collect();
    ranks.sort_unstable();
    let vals = order_stats(values, n, &ranks);
    let at = |r: usize| vals[ranks.partition_point(|&x| x < r)];
    picks
        .iter()
        .map(|&(lo, hi, h)| lerp(at(lo), at(hi), h - lo as f64))
        .collect()
}

/// Median of the non-NaN values by selection (same value as [`median_sorted`]).
fn nan_median(values: &[f64]) -> f64 {
    let n = reduce::count(values);
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => order_stats(values, n, &[n / 2])[0],
        _ => {
            let m = order_stats(values, n, &[n / 2 - 1, n / 2]);
            (m[0] + m[1]) / 2.0
        }
    }
}

/// The order statistics `ranks` (ascending) of the `n` non-NaN values of `values`: from a
/// sample and one pass when the ranks are close together, else by selection over a copy.
fn order_stats(values: &[f64], n: usize, ranks: &[usize]) -> Vec<f64> {
    reduce::order_stats_sampled(values, n, ranks).unwrap_or_else(|| {
        let mut v: Vec<f64> = valid(values).collect();
        reduce::order_stats(&mut v, ranks)
    })
}

/// Median of sorted values: the middle one, or the mean of the two middle ones.
#[cfg(test)]
fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Central moments of the non-NaN values by the one-pass update pandas uses for `skew()`
/// and `kurt()`: (count, m2, m3, m4) with mₖ = Σ (x − mean)ᵏ.
fn moments(values: &[f64]) -> (usize, f64, f64, f64) {
    let (mut n, mut mean, mut m2, mut m3, mut m4) = (0usize, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for x in valid(values) {
        n += 1;
        let nf = n as f64;
        let delta = x - mean;
        let delta_n = delta / nf;
        let term1 = delta * delta_n * (nf - 1.0);
        m4 += delta_n * (-4.0 * m3 + delta_n * (6.0 * m2 + term1 * (nf * nf - 3.0 * nf + 3.0)));
        m3 += delta_n * (term1 * (nf - 2.0) - 3.0 * m2);
        m2 += term1;
        mean += delta_n;
    }
    (n, m2, m3, m4)
}

/// (count, m2, m3, m4) of the non-NaN values: two-pass from [`reduce::central_moments`]
/// (as pandas' `nanskew`/`nankurt`) when accurate, else the one-pass updates of
/// [`moments`] (exact zeros for a constant series).
fn fast_moments(values: &[f64]) -> (usize, f64, f64, f64) {
    match reduce::central_moments(values, true) {
        Some((n, _, [m2, m3, m4])) => (n, m2, m3, m4),
        None => moments(values),
    }
}

/// Bias-corrected sample skewness G1 (NaN below 3 values or when every value is equal).
fn nan_skew(values: &[f64]) -> f64 {
    let (n, m2, m3, _) = fast_moments(values);
    if n < 3 {
        return f64::NAN;
    }
    let nf = n as f64;
    let ratio = m3 / (m2 * m2.sqrt());
    ratio * ((nf * (nf - 1.0).sqrt()) / (nf - 2.0))
}

/// Bias-corrected sample excess kurtosis G2 (NaN below 4 values or when every value is
/// equal).
fn nan_kurt(values: &[f64]) -> f64 {
    let (n, m2, _, m4) = fast_moments(values);
    if n < 4 {
        return f64::NAN;
    }
    let nf = n as f64;
    let inner = nf * (nf + 1.0) * (m4 / (m2 * m2)) - 3.0 * (nf - 1.0);
    (nf - 1.0) / ((nf - 2.0) * (nf - 3.0)) * inner
}

// ------------------------------------------------------------------ reductions

fn reduce(call: &Call<'_>, f: impl Fn(&[f64]) -> f64) -> Result<Value, EvalError> {
    Ok(Value::Scalar(f(&series(call, 0)?.values)))
}

const DDOF: Param = Param::int(
    "ddof",
    "delta degrees of freedom: the divisor is count − ddof (1 = sample, 0 = population)",
)
.default_int(1)
.min(0.0)
.max(1_000_000_000.0);

macro_rules! reduction {
    ($ident:ident, $name:literal, $summary:literal, $doc:literal, $reference:literal,
     $params:expr, $eval:expr) => {
        static $ident: Primitive = Primitive {
            name: $name,
            family: Family::Stats,
            summary: $summary,
            doc: $doc,
            reference: $reference,
            inputs: SERIES_IN,
            params: $params,
            returns: Returns::Fixed(Kind::Scalar),
            request: None,
            eval: $eval,
        };
    };
}

reduction!(
    MEAN,
    "mean",
    "Mean of the non-NaN values",
    "Arithmetic mean, skipping NaN. NaN when the series has no non-NaN value.",
    "pandas: s.mean()",
    &[],
    |c| reduce(c, nan_mean)
);
reduction!(
    MEDIAN,
    "median",
    "Median of the non-NaN values",
    "Middle value of the sorted non-NaN values; the mean of the two middle values for an even count. NaN when there is no value.",
    "pandas: s.median()",
    &[],
    |c| reduce(c, nan_median)
);
reduction!(
    STD,
    "std",
    "Standard deviation of the non-NaN values (ddof 1)",
    "Square root of `var`: sqrt(Σ(x − mean)² / (count − ddof)) over the non-NaN values, computed in two passes. NaN when count ≤ ddof; 0 for a constant series.",
    "pandas: s.std(ddof=ddof)",
    &[DDOF],
    |c| {
        let ddof = c.params.usize("ddof")?;
        reduce(c, |v| nan_var(v, ddof).sqrt())
    }
);
reduction!(
    VAR,
    "var",
    "Variance of the non-NaN values (ddof 1)",
    "Σ(x − mean)² / (count − ddof) over the non-NaN values, computed in two passes (no cancellation). NaN when count ≤ ddof; 0 for a constant series.",
    "pandas: s.var(ddof=ddof)",
    &[DDOF],
    |c| {
        let ddof = c.params.usize("ddof")?;
        reduce(c, |v| nan_var(v, ddof))
    }
);
reduction!(
    MIN,
    "min",
    "Smallest non-NaN value",
    "Minimum, skipping NaN. NaN when the series has no non-NaN value.",
    "pandas: s.min()",
    &[],
    |c| reduce(c, |v| reduce::min_max(v).map_or_else(
        || valid(v).reduce(f64::min).unwrap_or(f64::NAN),
        |m| m.0
    ))
);
reduction!(
    MAX,
    "max",
    "Largest non-NaN value",
    "Maximum, skipping NaN. NaN when the series has no non-NaN value.",
    "pandas: s.max()",
    &[],
    |c| reduce(c, |v| reduce::min_max(v).map_or_else(
        || valid(v).reduce(f64::max).unwrap_or(f64::NAN),
        |m| m.1
    ))
);
reduction!(
    SUM,
    "sum",
    "Sum of the non-NaN values",
    "Sum, skipping NaN (compensated summation). 0 for an empty or all-NaN series, as pandas (min_count 0).",
    "pandas: s.sum()",
    &[],
    |c| reduce(c, |v| nan_sum(v).0)
);
reduction!(
    COUNT,
    "count",
    "Number of non-NaN values",
    "How many values are not NaN (0 for an empty series).",
    "pandas: s.count()",
    &[],
    |c| {
        // The series may already know how many of its values are missing.
        let s = series(c, 0)?;
        Ok(Value::Scalar((s.len() - s.missing()) as f64))
    }
);
reduction!(
    PERCENTILE,
    "percentile",
    "q-th percentile of the non-NaN values (linear interpolation)",
    "With the n non-NaN values sorted, h = (n − 1)·q/100; the result interpolates linearly between the values at ranks ⌊h⌋ and ⌊h⌋ + 1 (numpy's default \"linear\" method). q = 0 is the minimum, 100 the maximum, 50 the median. NaN when there is no value.",
    "numpy: np.nanpercentile(s, q)",
    &[Param::number("q", "percentile, from 0 (minimum) to 100 (maximum)")
        .required()
        .min(0.0)
        .max(100.0)],
    |c| {
        let q = c.params.num("q")?;
        reduce(c, |v| percentiles(v, &[q])[0])
    }
);
reduction!(
    SKEW,
    "skew",
    "Sample skewness (bias-corrected)",
    "Adjusted Fisher–Pearson coefficient G1 = n·√(n − 1)/(n − 2) · m3/m2^1.5 with mₖ = Σ(x − mean)ᵏ over the non-NaN values (two passes, as pandas). NaN with fewer than 3 values and for a constant series (m2 = 0).",
    "pandas: s.skew()",
    &[],
    |c| reduce(c, nan_skew)
);
reduction!(
    KURTOSIS,
    "kurtosis",
    "Sample excess kurtosis (bias-corrected)",
    "Adjusted excess kurtosis G2 = (n − 1)/((n − 2)(n − 3)) · (n(n + 1)·m4/m2² − 3(n − 1)) with mₖ = Σ(x − mean)ᵏ over the non-NaN values. 0 for a normal sample on average. NaN with fewer than 4 values and for a constant series.",
    "pandas: s.kurt()",
    &[],
    |c| reduce(c, nan_kurt)
);

// ------------------------------------------------------------------ rolling windows

const WINDOW: Param = Param::int("window", "number of points in each trailing window")
    .required()
    .min(1.0)
    .max(1_000_000_000.0);
const MIN_PERIODS: Param = Param::int(
    "min_periods",
    "fewest non-NaN values a window needs to give a result (default: window; at most window)",
)
.min(0.0)
.max(1_000_000_000.0);
const ROLLING_PARAMS: &[Param] = &[WINDOW, MIN_PERIODS];
const ROLLING_DDOF_PARAMS: &[Param] = &[WINDOW, MIN_PERIODS, DDOF];

/// `window` and `min_periods` (default = window), checked against each other.
fn window_params(call: &Call<'_>) -> Result<(usize, usize), EvalError> {
    let window = call.params.usize("window")?;
    if window == 0 {
        return Err(EvalError::new("`window` must be at least 1, got 0."));
    }
    let min_periods = match call.params.opt_int("min_periods")? {
        None => window,
        Some(m) => usize::try_from(m)
            .map_err(|_| EvalError::new(format!("`min_periods` must be at least 0, got {m}.")))?,
    };
    if min_periods > window {
        return Err(EvalError::new(format!(
            "`min_periods` ({min_periods}) must not exceed `window` ({window})."
        )));
    }
    Ok((window, min_periods))
}

/// Runs a window kernel over the input series, keeping its dates.
fn rolling_series(
    call: &Call<'_>,
    kernel: impl Fn(&[f64], usize, usize) -> Vec<f64>,
) -> Result<Value, EvalError> {
    let s = series(call, 0)?;
    let (window, min_periods) = window_params(call)?;
    Ok(Value::Series(s.with_values(kernel(
        &s.values,
        window,
        min_periods,
    ))))
}

macro_rules! rolling_primitive {
    ($ident:ident, $name:literal, $summary:literal, $doc:literal, $reference:literal,
     $params:expr, $eval:expr) => {
        static $ident: Primitive = Primitive {
            name: $name,
            family: Family::Stats,
            summary: $summary,
            doc: $doc,
            reference: $reference,
            inputs: SERIES_IN,
            params: $params,
            returns: Returns::Fixed(Kind::Series),
            request: None,
            eval: $eval,
        };
    };
}

rolling_primitive!(
    ROLLING_MEAN,
    "rolling_mean",
    "Mean over a trailing window",
    "Each point is the mean of the non-NaN values among it and the `window − 1` points before it. NaN when that window holds fewer than `min_periods` (default `window`) non-NaN values, so the first `window − 1` points are NaN by default. Compensated add/remove: O(n) for any window.",
    "pandas: s.rolling(window, min_periods=min_periods).mean()",
    ROLLING_PARAMS,
    |c| rolling_series(c, rolling::rolling_mean)
);
rolling_primitive!(
    ROLLING_SUM,
    "rolling_sum",
    "Sum over a trailing window",
    "Each point is the sum of the non-NaN values in the trailing `window`. NaN when the window holds fewer than `min_periods` (default `window`) non-NaN values; 0 for a window without values when `min_periods` is 0. O(n) for any window.",
    "pandas: s.rolling(window, min_periods=min_periods).sum()",
    ROLLING_PARAMS,
    |c| rolling_series(c, rolling::rolling_sum)
);
rolling_primitive!(
    ROLLING_VAR,
    "rolling_var",
    "Variance over a trailing window (ddof 1)",
    "Variance Σ(x − mean)²/(count − ddof) of the non-NaN values in each trailing `window`. NaN when the window holds fewer than `min_periods` (default `window`, at least 1) values or no more than `ddof`. Welford add/remove with a compensated mean; a window is rebuilt from its values when an update cancels all but three digits of Σ(x − mean)² (an outlier leaving, a window turning constant), so a constant window gives 0 rather than rounding noise. Numerically stable and O(n) for any window.",
    "pandas: s.rolling(window, min_periods=min_periods).var(ddof=ddof)",
    ROLLING_DDOF_PARAMS,
    |c| {
        let ddof = c.params.usize("ddof")?;
        rolling_series(c, |v, w, m| rolling::rolling_var(v, w, m, ddof))
    }
);
rolling_primitive!(
    ROLLING_STD,
    "rolling_std",
    "Standard deviation over a trailing window (ddof 1)",
    "Square root of `rolling_var` with the same window rules (NaN below `min_periods` values or with count ≤ `ddof`). O(n) for any window.",
    "pandas: s.rolling(window, min_periods=min_periods).std(ddof=ddof)",
    ROLLING_DDOF_PARAMS,
    |c| {
        let ddof = c.params.usize("ddof")?;
        rolling_series(c, |v, w, m| rolling::rolling_std(v, w, m, ddof))
    }
);
rolling_primitive!(
    ROLLING_MIN,
    "rolling_min",
    "Minimum over a trailing window",
    "Smallest non-NaN value in each trailing `window`; NaN when the window holds fewer than `min_periods` (default `window`) non-NaN values or none. Monotonic deque: O(n) for any window.",
    "pandas: s.rolling(window, min_periods=min_periods).min()",
    ROLLING_PARAMS,
    |c| rolling_series(c, rolling::rolling_min)
);
rolling_primitive!(
    ROLLING_MAX,
    "rolling_max",
    "Maximum over a trailing window",
    "Largest non-NaN value in each trailing `window`; NaN when the window holds fewer than `min_periods` (default `window`) non-NaN values or none. Monotonic deque: O(n) for any window.",
    "pandas: s.rolling(window, min_periods=min_periods).max()",
    ROLLING_PARAMS,
    |c| rolling_series(c, rolling::rolling_max)
);
rolling_primitive!(
    ROLLING_MEDIAN,
    "rolling_median",
    "Median over a trailing window",
    "Median of the non-NaN values in each trailing `window` (mean of the two middle values for an even count); NaN when the window holds fewer than `min_periods` (default `window`) non-NaN values or none. Two indexed heaps: O(n log window).",
    "pandas: s.rolling(window, min_periods=min_periods).median()",
    ROLLING_PARAMS,
    |c| rolling_series(c, rolling::rolling_median)
);
rolling_primitive!(
    ROLLING_QUANTILE,
    "rolling_quantile",
    "q-quantile over a trailing window (linear interpolation)",
    "For the n non-NaN values of each trailing `window`, sorted, h = q·(n − 1): the value at rank ⌊h⌋ plus (h − ⌊h⌋) times the gap to the next. q = 0 is the rolling minimum, 0.5 the median, 1 the maximum. NaN when the window holds fewer than `min_periods` (default `window`) non-NaN values or none. O(n log window).",
    "pandas: s.rolling(window, min_periods=min_periods).quantile(q)",
    &[
        WINDOW,
        MIN_PERIODS,
        Param::number("q", "quantile, from 0 (minimum) to 1 (maximum)")
            .required()
            .min(0.0)
            .max(1.0),
    ],
    |c| {
        let q = c.params.num("q")?;
        rolling_series(c, |v, w, m| rolling::rolling_quantile(v, w, m, q))
    }
);

// ------------------------------------------------------------------ cumulative

/// Accumulates `f` over the non-NaN values; NaN inputs stay NaN and are skipped.
fn accumulate(call: &Call<'_>, start: f64, f: fn(f64, f64) -> f64) -> Result<Value, EvalError> {
    let s = series(call, 0)?;
    let mut acc = start;
    let out = s
        .values
        .iter()
        .map(|&x| {
            if x.is_nan() {
                x
            } else {
                acc = f(acc, x);
                acc
            }
        })
        .collect();
    Ok(Value::Series(s.with_values(out)))
}

/// `cummax` (`MAX`) or `cummin` of the series input.
fn running_extreme<const MAX: bool>(call: &Call<'_>) -> Result<Value, EvalError> {
    let s = series(call, 0)?;
    Ok(Value::Series(
        s.with_values(scan::running_extreme::<MAX>(&s.values)),
    ))
}

macro_rules! cumulative {
    ($ident:ident, $name:literal, $summary:literal, $doc:literal, $reference:literal,
     $start:expr, $f:expr) => {
        cumulative!(
            $ident,
            $name,
            $summary,
            $doc,
            $reference,
            eval = |c| accumulate(c, $start, $f)
        );
    };
    ($ident:ident, $name:literal, $summary:literal, $doc:literal, $reference:literal,
     eval = $eval:expr) => {
        static $ident: Primitive = Primitive {
            name: $name,
            family: Family::Stats,
            summary: $summary,
            doc: $doc,
            reference: $reference,
            inputs: SERIES_IN,
            params: &[],
            returns: Returns::Fixed(Kind::Series),
            request: None,
            eval: $eval,
        };
    };
}

cumulative!(
    CUMSUM,
    "cumsum",
    "Running sum",
    "Running total of the non-NaN values, summed in order. A NaN input gives NaN at that date and is skipped: the total carries on after it.",
    "pandas: s.cumsum()",
    0.0,
    |a, x| a + x
);
cumulative!(
    CUMPROD,
    "cumprod",
    "Running product",
    "Running product of the non-NaN values, in order. A NaN input gives NaN at that date and is skipped (the product carries on after it).",
    "pandas: s.cumprod()",
    1.0,
    |a, x| a * x
);
cumulative!(
    CUMMAX,
    "cummax",
    "Running maximum",
    "Largest non-NaN value so far. A NaN input gives NaN at that date and is skipped.",
    "pandas: s.cummax()",
    eval = |c| running_extreme::<true>(c)
);
cumulative!(
    CUMMIN,
    "cummin",
    "Running minimum",
    "Smallest non-NaN value so far. A NaN input gives NaN at that date and is skipped.",
    "pandas: s.cummin()",
    eval = |c| running_extreme::<false>(c)
);

// ------------------------------------------------------------------ ema, zscore, rank

static EMA: Primitive = Primitive {
    name: "ema",
    family: Family::Stats,
    summary: "Exponential moving average (span or alpha)",
    doc: "Exponentially weighted mean with smoothing α = 2/(span + 1) or the given `alpha` (exactly one of the two). With `adjust: false` (default) y₀ = x₀ and yₜ = (1 − α)·yₜ₋₁ + α·xₜ; with `adjust: true` yₜ = Σ(1 − α)ⁱxₜ₋ᵢ / Σ(1 − α)ⁱ. NaN before the first value; a NaN input repeats the previous average and the old weight keeps decaying across the gap (pandas ignore_na=False), so the value after a gap weighs more. Defined from the first value on (min_periods 0). Note: pandas 3.0–3.1 special-case span 3 / alpha 0.5 with adjust=false so that the value after a NaN gap gets weight 1 − (1 − α)^(gap+1) (pandas GH#31178, a regression); the engine keeps the documented recursion there too.",
    reference: "pandas: s.ewm(span=span | alpha=alpha, adjust=adjust).mean()",
    inputs: SERIES_IN,
    params: &[
        Param::number("span", "span in points; α = 2/(span + 1)").min(1.0),
        Param::number("alpha", "smoothing factor α").above(0.0).max(1.0),
        Param::boolean("adjust", "use the finite-history weighting of pandas adjust=True").default_bool(false),
    ],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        // pandas derives α through the centre of mass; doing the same keeps the last bits.
        let com = match (c.params.opt_num("span")?, c.params.opt_num("alpha")?) {
            (Some(span), None) => (span - 1.0) / 2.0,
            (None, Some(alpha)) => (1.0 - alpha) / alpha,
            (Some(_), Some(_)) => {
                return Err(EvalError::new(
                    "give either `span` or `alpha`, not both.",
                ))
            }
            (None, None) => {
                return Err(EvalError::new(
                    "needs a smoothing: `span` (at least 1) or `alpha` (greater than 0 and at most 1).",
                ))
            }
        };
        let alpha = 1.0 / (1.0 + com);
        let adjust = c.params.flag("adjust")?;
        Ok(Value::Series(s.with_values(rolling::ewm_mean(&s.values, alpha, adjust))))
    },
};

static ZSCORE: Primitive = Primitive {
    name: "zscore",
    family: Family::Stats,
    summary: "Standard score against the full-sample mean and std",
    doc: "(x − mean)/std with the mean and the sample standard deviation (ddof 1) of all non-NaN values. NaN stays NaN; a constant series gives NaN everywhere (0/0), as does a series with fewer than 2 values.",
    reference: "pandas: (s - s.mean()) / s.std()",
    inputs: SERIES_IN,
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let mean = nan_mean(&s.values);
        let std = nan_var(&s.values, 1).sqrt();
        Ok(Value::Series(s.with_values(
            s.values.iter().map(|&x| (x - mean) / std).collect(),
        )))
    },
};

static ROLLING_ZSCORE: Primitive = Primitive {
    name: "rolling_zscore",
    family: Family::Stats,
    summary: "Standard score against a trailing window's mean and std",
    doc: "(x − rolling_mean)/rolling_std over the trailing `window` (std with ddof 1), both with the same `min_periods` (default `window`). NaN where either is NaN, where x is NaN, and where the window is constant (0/0).",
    reference: "pandas: (s - s.rolling(window, min_periods).mean()) / s.rolling(window, min_periods).std()",
    inputs: SERIES_IN,
    params: ROLLING_PARAMS,
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let (window, min_periods) = window_params(c)?;
        let mean = rolling::rolling_mean(&s.values, window, min_periods);
        let std = rolling::rolling_std(&s.values, window, min_periods, 1);
        let out = s
            .values
            .iter()
            .zip(mean.iter().zip(&std))
            .map(|(&x, (&m, &sd))| (x - m) / sd)
            .collect();
        Ok(Value::Series(s.with_values(out)))
    },
};

/// Average ranks (1-based; ties share the mean of their ranks) of the non-NaN values;
/// NaN stays NaN. With `pct`, ranks are divided by the count of non-NaN values.
fn average_ranks(values: &[f64], pct: bool) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    // Stable by value; -0.0 and 0.0 compare equal, as in pandas.
    order.sort_by(|&a, &b| {
        values[a]
            .partial_cmp(&values[b])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let n = order.len();
    let mut out = vec![f64::NAN; values.len()];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        let r = if pct { rank / n as f64 } else { rank };
        for &i in &order[start..end] {
            out[i] = r;
        }
        start = end;
    }
    out
}

static RANK: Primitive = Primitive {
    name: "rank",
    family: Family::Stats,
    summary: "Rank of each value (ties averaged), optionally as a fraction",
    doc: "1-based rank of each non-NaN value in the whole series, smallest first; tied values share the mean of their ranks. With `pct: true` the rank is divided by the number of non-NaN values (the largest gets 1). NaN stays NaN and is not counted.",
    reference: "pandas: s.rank(method='average', pct=pct)",
    inputs: SERIES_IN,
    params: &[Param::boolean("pct", "give ranks as fractions of the non-NaN count").default_bool(false)],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let pct = c.params.flag("pct")?;
        Ok(Value::Series(s.with_values(average_ranks(&s.values, pct))))
    },
};

/// The `describe` table of a series.
fn describe(s: &Series) -> Table {
    let q = percentiles(&s.values, &[0.0, 25.0, 50.0, 75.0, 100.0]);
    let rows = [
        ("count", (s.len() - s.missing()) as f64),
        ("mean", nan_mean(&s.values)),
        ("std", nan_var(&s.values, 1).sqrt()),
        ("min", q[0]),
        ("25%", q[1]),
        ("50%", q[2]),
        ("75%", q[3]),
        ("max", q[4]),
    ];
    Table {
        columns: vec![
            (
                "statistic".into(),
                ColumnData::Text(rows.iter().map(|r| r.0.to_string()).collect()),
            ),
            (
                "value".into(),
                ColumnData::Num(rows.iter().map(|r| r.1).collect()),
            ),
        ],
    }
}

static DESCRIBE: Primitive = Primitive {
    name: "describe",
    family: Family::Stats,
    summary: "Summary table: count, mean, std, min, quartiles, max",
    doc: "A table with columns `statistic` and `value` and the rows count, mean, std (ddof 1), min, 25%, 50%, 75%, max of the non-NaN values; quartiles interpolate linearly like `percentile`. With no value, count is 0 and the rest NaN; std is NaN with fewer than 2 values.",
    reference: "pandas: s.describe()",
    inputs: SERIES_IN,
    params: &[],
    returns: Returns::Fixed(Kind::Table),
    request: None,
    eval: |c| Ok(Value::Table(describe(series(c, 0)?))),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_and_kurtosis_follow_their_formulas() {
        // Hand-computed: x = 1, 2, 3, 10 → mean 4, deviations −3 −2 −1 6.
        let x = [1.0, 2.0, f64::NAN, 3.0, 10.0];
        let (m2, m3, m4): (f64, f64, f64) =
            (50.0, -27.0 - 8.0 - 1.0 + 216.0, 81.0 + 16.0 + 1.0 + 1296.0);
        let n = 4.0f64;
        let g1 = n * (n - 1.0).sqrt() / (n - 2.0) * m3 / (m2 * m2.sqrt());
        assert!((nan_skew(&x) - g1).abs() < 1e-12);
        let g2 = (n - 1.0) / ((n - 2.0) * (n - 3.0))
            * (n * (n + 1.0) * m4 / (m2 * m2) - 3.0 * (n - 1.0));
        assert!((nan_kurt(&x) - g2).abs() < 1e-12);
        assert!(nan_skew(&[2.0; 10]).is_nan());
        assert!(nan_kurt(&[1.0, 2.0, 3.0]).is_nan());
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let s = [4.0, 1.0, f64::NAN, 3.0, 2.0];
        let sorted = sorted_valid(&s);
        assert_eq!(percentile_sorted(&sorted, 0.0), 1.0);
        assert_eq!(percentile_sorted(&sorted, 100.0), 4.0);
        assert_eq!(percentile_sorted(&sorted, 50.0), 2.5);
        assert!((percentile_sorted(&sorted, 10.0) - 1.3).abs() < 1e-15);
        assert!(percentile_sorted(&[], 50.0).is_nan());
        // Selection gives exactly the sorted answers.
        let v: Vec<f64> = (0..1001)
            .map(|i| {
                if i % 13 == 0 {
                    f64::NAN
                } else {
                    ((i * 7919) % 1009) as f64 * 0.37 - 50.0
                }
            })
            .collect();
        let sorted = sorted_valid(&v);
        let qs = [0.0, 1.0, 25.0, 33.3, 50.0, 75.0, 99.9, 100.0];
        let want: Vec<f64> = qs.iter().map(|&q| percentile_sorted(&sorted, q)).collect();
        assert_eq!(percentiles(&v, &qs), want);
        assert_eq!(nan_median(&v), median_sorted(&sorted));
        assert_eq!(nan_median(&v[1..]), median_sorted(&sorted_valid(&v[1..])));
        assert!(nan_median(&[f64::NAN]).is_nan());
    }

    #[test]
    fn ranks_average_ties_and_keep_nan() {
        let r = average_ranks(&[3.0, 1.0, f64::NAN, 3.0, -0.0, 0.0], false);
        assert_eq!(&r[..2], &[4.5, 3.0]);
        assert!(r[2].is_nan());
        assert_eq!(&r[3..], &[4.5, 1.5, 1.5]);
        let p = average_ranks(&[2.0, 1.0], true);
        assert_eq!(p, vec![1.0, 0.5]);
    }

    #[test]
    fn sums_are_compensated_and_handle_infinities() {
        let v = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(nan_sum(&v).0, 2.0);
        assert_eq!(nan_sum(&[1.0, f64::INFINITY]).0, f64::INFINITY);
        assert_eq!(nan_var(&[3.0; 7], 1), 0.0);
        assert!(nan_var(&[3.0], 1).is_nan());
    }
}
