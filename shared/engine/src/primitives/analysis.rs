//! Analysis: correlation, covariance, beta, regression and related measures of how
//! series move together (dsl.md §5 "analysis").
//!
//! Two-series operations align their inputs on the union of their dates, like pandas;
//! a date missing on either side (or a NaN value) takes no part in a statistic: every
//! measure here is "pairwise complete". The numerics live in `kernels::pairwise`.

use std::sync::Arc;

use crate::date::Day;
use crate::kernels::align;
use crate::kernels::pairwise::{self, OlsError, PairStat};
use crate::primitives::common::series;
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{Kind, KindSet, Record, Series, Value};

/// The analysis family.
pub static PRIMITIVES: &[&Primitive] = &[
    &CORRELATION,
    &COVARIANCE,
    &ROLLING_CORRELATION,
    &BETA,
    &ROLLING_BETA,
    &REGRESSION,
    &AUTOCORRELATION,
    &LINEAR_TREND,
];

const PAIR: &[Operand] = &[
    Operand::new("a", KindSet::SERIES, "first series"),
    Operand::new("b", KindSet::SERIES, "second series"),
];
const RETURNS_PAIR: &[Operand] = &[
    Operand::new(
        "returns",
        KindSet::SERIES,
        "returns of the asset (simple returns per period)",
    ),
    Operand::new(
        "benchmark",
        KindSet::SERIES,
        "returns of the benchmark or market, same periodicity",
    ),
];
const WINDOW: Param = Param::int(
    "window",
    "number of rows in each window (on the union of dates)",
)
.required()
.min(1.0);
const MIN_PERIODS: Param = Param::int(
    "min_periods",
    "fewest complete pairs a window needs (default: `window`); at most `window`",
)
.min(0.0);

/// The two series of a pairwise call, aligned on the union of their dates.
fn aligned_pair(call: &Call<'_>) -> Result<(Series, Series), EvalError> {
    Ok(align::align_pair(series(call, 0)?, series(call, 1)?))
}

/// `f` of the two input series' values aligned on the union of their dates; series that
/// already share an index are read in place instead of being copied.
fn on_aligned_pair(call: &Call<'_>, f: impl Fn(&[f64], &[f64]) -> f64) -> Result<Value, EvalError> {
    let (a, b) = (series(call, 0)?, series(call, 1)?);
    if align::same_index(a, b) {
        return Ok(Value::Scalar(f(&a.values, &b.values)));
    }
    let (a, b) = align::align_pair(a, b);
    Ok(Value::Scalar(f(&a.values, &b.values)))
}

/// `window` and `min_periods` (defaulting to `window`), checked against each other.
fn window_params(call: &Call<'_>) -> Result<(usize, usize), EvalError> {
    let window = call.params.usize("window")?;
    if window == 0 {
        return Err(EvalError::new("param `window` must be at least 1, got 0."));
    }
    let min_periods = match call.params.opt_int("min_periods")? {
        None => window,
        Some(m) if m < 0 => {
            return Err(EvalError::new(format!(
                "param `min_periods` must be between 0 and `window` ({window}), got {m}."
            )))
        }
        Some(m) => m as usize,
    };
    if min_periods > window {
        return Err(EvalError::new(format!(
            "param `min_periods` ({min_periods}) must not exceed `window` ({window})."
        )));
    }
    Ok((window, min_periods))
}

fn rolling_pair(call: &Call<'_>, stat: PairStat) -> Result<Value, EvalError> {
    let (window, min_periods) = window_params(call)?;
    let (a, b) = aligned_pair(call)?;
    let values = pairwise::rolling(&a.values, &b.values, window, min_periods, stat);
    Ok(Value::Series(a.with_values(values)))
}

static CORRELATION: Primitive = Primitive {
    name: "correlation",
    family: Family::Analysis,
    summary: "Pearson correlation of two series (pairwise complete)",
    doc: "Pearson correlation r = Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²) over the dates where both series have a value (union alignment, then pairs with a NaN dropped). NaN with fewer than two pairs or when either side has zero variance (all values equal). Clipped to [−1, 1].",
    reference: "pandas: a.corr(b)",
    inputs: PAIR,
    params: &[],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        on_aligned_pair(c, pairwise::pearson)
    },
};

static COVARIANCE: Primitive = Primitive {
    name: "covariance",
    family: Family::Analysis,
    summary: "Sample covariance of two series (pairwise complete)",
    doc: "Σ(a−ā)(b−b̄) / (n − ddof) over the n dates where both series have a value (union alignment, pairs with a NaN dropped). NaN when n ≤ ddof. A side whose values are all equal gives exactly 0.",
    reference: "pandas: a.cov(b, ddof=ddof)",
    inputs: PAIR,
    params: &[Param::int("ddof", "delta degrees of freedom: the divisor is n − ddof")
        .default_int(1)
        .min(0.0)
        .max(1_000_000.0)],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let ddof = c.params.usize("ddof")?;
        on_aligned_pair(c, |a, b| pairwise::covariance(a, b, ddof))
    },
};

static ROLLING_CORRELATION: Primitive = Primitive {
    name: "rolling_correlation",
    family: Family::Analysis,
    summary: "Pearson correlation over a rolling window of rows",
    doc: "Both series are aligned on the union of their dates; a row counts when both values are present. At each date, the correlation of the complete pairs among the last `window` rows; NaN when there are fewer than `min_periods` (default `window`) pairs, fewer than two, or when either side is constant in the window. O(n) whatever the window (centred running co-moments). The result is on the union index.",
    reference: "pandas: a.rolling(window, min_periods=min_periods).corr(b)",
    inputs: PAIR,
    params: &[WINDOW, MIN_PERIODS],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| rolling_pair(c, PairStat::Correlation),
};

static BETA: Primitive = Primitive {
    name: "beta",
    family: Family::Analysis,
    summary: "Beta of returns against a benchmark: cov / var",
    doc: "β = cov(returns, benchmark) / var(benchmark), both with ddof 1 and over the same complete pairs: the dates where both return series have a value (union alignment, pairs with a NaN dropped). Takes returns, not prices. NaN with fewer than two pairs or when the benchmark has zero variance; 0 when the asset's returns are constant.",
    reference: "pandas: on the complete pairs, a.cov(b) / b.var()",
    inputs: RETURNS_PAIR,
    params: &[],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        on_aligned_pair(c, pairwise::beta)
    },
};

static ROLLING_BETA: Primitive = Primitive {
    name: "rolling_beta",
    family: Family::Analysis,
    summary: "Beta of returns against a benchmark over a rolling window",
    doc: "At each date, cov(returns, benchmark) / var(benchmark) over the complete pairs among the last `window` rows of the union index (a row counts when both values are present, for the covariance and the variance alike). NaN with fewer than `min_periods` (default `window`) pairs, fewer than two, or when the benchmark is constant in the window. Takes returns, not prices. O(n) whatever the window.",
    reference: "pandas: a2 = a + 0*b; b2 = b + 0*a; a2.rolling(window, min_periods).cov(b2) / b2.rolling(window, min_periods).var()",
    inputs: RETURNS_PAIR,
    params: &[WINDOW, MIN_PERIODS],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| rolling_pair(c, PairStat::Beta),
};

/// Aligns any number of series on the union of all their dates.
fn align_all(inputs: &[&Series]) -> (Arc<Vec<Day>>, Vec<Vec<f64>>) {
    let mut dates = Arc::clone(&inputs[0].dates);
    for s in &inputs[1..] {
        if !Arc::ptr_eq(&dates, &s.dates) && dates.as_slice() != s.dates.as_slice() {
            dates = align::union(&dates, &s.dates).dates;
        }
    }
    let values = inputs
        .iter()
        .map(|s| align::reindex(s, &dates).into_values())
        .collect();
    (dates, values)
}

fn regression(call: &Call<'_>) -> Result<Value, EvalError> {
    let all: Vec<&Series> = (0..call.inputs.len())
        .map(|i| series(call, i))
        .collect::<Result<_, _>>()?;
    if all.len() < 2 {
        return Err(EvalError::new(
            "regression needs a y input followed by at least one x input.",
        ));
    }
    let (_, columns) = align_all(&all);
    let y = &columns[0];
    let xs: Vec<&[f64]> = columns[1..].iter().map(Vec::as_slice).collect();
    let k = xs.len();
    let fit = pairwise::ols(y, &xs).map_err(|e| match e {
        OlsError::TooFewRows { n, need } => EvalError::new(format!(
            "regression needs at least {need} dates where y and every x have a value ({k} slope{} + intercept + 1 residual degree of freedom), got {n}.",
            if k == 1 { "" } else { "s" }
        )),
        OlsError::Collinear { index } => EvalError::new(format!(
            "regression: x input {} (operand {}) is constant or a linear combination of the earlier x inputs on the dates used, so its coefficient is not identifiable.",
            index + 1,
            index + 2
        )),
    })?;
    let mut fields: Vec<(String, f64)> = Vec::with_capacity(4 * k + 6);
    if k == 1 {
        fields.push(("slope".into(), fit.coef[0]));
    } else {
        fields.extend(
            fit.coef
                .iter()
                .enumerate()
                .map(|(j, v)| (format!("coef_{}", j + 1), *v)),
        );
    }
    fields.push(("intercept".into(), fit.intercept));
    fields.push(("r2".into(), fit.r2));
    fields.push(("adj_r2".into(), fit.adj_r2));
    let named = |base: &str, values: &[f64]| -> Vec<(String, f64)> {
        if k == 1 {
            vec![(base.to_string(), values[0])]
        } else {
            values
                .iter()
                .enumerate()
                .map(|(j, v)| (format!("{base}_{}", j + 1), *v))
                .collect()
        }
    };
    fields.extend(named("stderr", &fit.stderr));
    fields.extend(named("tstat", &fit.tstat));
    fields.push(("intercept_stderr".into(), fit.intercept_stderr));
    fields.push(("intercept_tstat".into(), fit.intercept_tstat));
    fields.push(("n".into(), fit.n as f64));
    Ok(Value::Record(Record { fields }))
}

static REGRESSION: Primitive = Primitive {
    name: "regression",
    family: Family::Analysis,
    summary: "OLS regression of y on one or more x with an intercept",
    doc: "Ordinary least squares y = intercept + Σ coef_j·x_j + ε. All inputs are aligned on the union of their dates and every date where y or any x is missing is dropped. With one x the record is {slope, intercept, r2, adj_r2, stderr, tstat, intercept_stderr, intercept_tstat, n}, where stderr and tstat are the slope's; with k ≥ 2 x inputs it is {coef_1..coef_k, intercept, r2, adj_r2, stderr_1..stderr_k, tstat_1..tstat_k, intercept_stderr, intercept_tstat, n}. r2 = 1 − SSR/TSS (TSS about the mean of y), adj_r2 = 1 − (n−1)/(n−k−1)·(1−r2), stderr from σ̂² = SSR/(n−k−1), tstat = coefficient / stderr. Refused when fewer than k + 2 dates are complete, or when an x is constant or collinear with earlier x inputs. When y is constant every slope is 0, stderr 0, and r2, adj_r2 and tstat are NaN. Solved by Householder QR on centred columns.",
    reference: "statsmodels: sm.OLS(y, sm.add_constant(X), missing='drop').fit() — params, rsquared, rsquared_adj, bse, tvalues, nobs",
    inputs: &[
        Operand::new("y", KindSet::SERIES, "dependent series"),
        Operand::new("x", KindSet::SERIES, "one or more explanatory series").variadic(),
    ],
    params: &[],
    returns: Returns::Fixed(Kind::Record),
    request: None,
    eval: regression,
};

static AUTOCORRELATION: Primitive = Primitive {
    name: "autocorrelation",
    family: Family::Analysis,
    summary: "Correlation of a series with itself `lag` rows earlier",
    doc: "Pearson correlation between x_t and x_{t−lag}, where the lag counts rows (not calendar days), over the pairs where both values are present. NaN with fewer than two pairs or when either side has zero variance.",
    reference: "pandas: s.autocorr(lag)",
    inputs: &[Operand::new("x", KindSet::SERIES, "series")],
    params: &[Param::int("lag", "number of rows between the paired values")
        .default_int(1)
        .min(1.0)
        .max(1_000_000_000.0)],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let lag = c.params.usize("lag")?;
        if lag == 0 {
            return Err(EvalError::new("param `lag` must be at least 1, got 0."));
        }
        let v = &s.values;
        let r = if lag >= v.len() {
            f64::NAN
        } else {
            pairwise::pearson(&v[lag..], &v[..v.len() - lag])
        };
        Ok(Value::Scalar(r))
    },
};

static LINEAR_TREND: Primitive = Primitive {
    name: "linear_trend",
    family: Family::Analysis,
    summary: "Least-squares straight line through a series over time",
    doc: "Fits value = intercept + slope·t by OLS, where t is the date in calendar days (dates with a missing value are left out of the fit), and returns the fitted line at every date of the input, including dates whose value is missing. Refused when fewer than two values are present.",
    reference: "statsmodels: fit = sm.OLS(y, sm.add_constant(t), missing='drop').fit(); fit.params[0] + fit.params[1]*t, t = days since 1970-01-01",
    inputs: &[Operand::new("x", KindSet::SERIES, "series to fit")],
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let present = s.values.iter().filter(|v| !v.is_nan()).count();
        if present < 2 {
            return Err(EvalError::new(format!(
                "linear_trend needs at least 2 values to fit a line, got {present}."
            )));
        }
        // Time is centred on its mean before fitting: the fitted values are the same, and
        // the slope is not polluted by the ~20,000-day distance from the epoch.
        let t0 = s.dates[0];
        let t: Vec<f64> = s.dates.iter().map(|&d| f64::from(d - t0)).collect();
        let fitted = pairwise::ols(&s.values, &[&t])
            .map(|fit| {
                t.iter()
                    .map(|ti| fit.intercept + fit.coef[0] * ti)
                    .collect::<Vec<_>>()
            })
            .map_err(|_| {
                EvalError::new("linear_trend needs values on at least 2 distinct dates.")
            })?;
        Ok(Value::Series(s.with_values(fitted)))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    fn run(p: &Primitive, inputs: &[Value], params: serde_json::Value) -> Result<Value, String> {
        let params = Params::bind(p, params.as_object().unwrap()).map_err(|e| format!("{e:?}"))?;
        let refs: Vec<&Value> = inputs.iter().collect();
        (p.eval)(&Call {
            inputs: &refs,
            params: &params,
            data: None,
        })
        .map_err(|e| e.message)
    }

    fn s(dates: &[Day], v: &[f64]) -> Value {
        Value::Series(Series::from_vecs(dates.to_vec(), v.to_vec()))
    }

    #[test]
    fn regression_with_two_points_is_refused_with_a_sentence() {
        let y = s(&[1, 2], &[1.0, 2.0]);
        let x = s(&[1, 2], &[3.0, 5.0]);
        let err = run(&REGRESSION, &[y, x], serde_json::json!({})).unwrap_err();
        assert!(err.contains("at least 3 dates"), "{err}");
    }

    #[test]
    fn min_periods_above_window_is_refused() {
        let a = s(&[1, 2, 3], &[1.0, 2.0, 3.0]);
        let err = run(
            &ROLLING_CORRELATION,
            &[a.clone(), a],
            serde_json::json!({"window": 2, "min_periods": 3}),
        )
        .unwrap_err();
        assert!(err.contains("must not exceed `window`"), "{err}");
    }

    #[test]
    fn linear_trend_of_a_line_is_the_line() {
        let x = s(&[10, 11, 13, 20], &[1.0, f64::NAN, 4.0, 11.0]);
        let Value::Series(out) = run(&LINEAR_TREND, &[x], serde_json::json!({})).unwrap() else {
            panic!("series expected")
        };
        let want = [1.0, 2.0, 4.0, 11.0];
        for (g, w) in out.values.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }
}
