//! Returns and performance measures (dsl.md §5 "returns").
//!
//! Each primitive says whether it takes *prices* (a price or equity level) or *returns*
//! (simple per-period returns such as `percent_change` yields), and its operand is named
//! accordingly. Formulas are stated exactly in each `doc`; the golden generator applies
//! the same formulas with pandas. NaN values are skipped by the reductions, as pandas'
//! `mean`/`std`/`min` do, and kept in place by the elementwise ones.

use crate::kernels::pairwise::neumaier_sum;
use crate::kernels::{elementwise, reduce, scan};
use crate::primitives::common::series;
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{Kind, KindSet, Series, Value};

/// The returns family.
pub static PRIMITIVES: &[&Primitive] = &[
    &PERCENT_CHANGE,
    &LOG_RETURN,
    &CUMULATIVE_RETURN,
    &DRAWDOWN,
    &MAX_DRAWDOWN,
    &VOLATILITY,
    &SHARPE_RATIO,
    &SORTINO_RATIO,
    &CAGR,
    &CALMAR_RATIO,
];

const PRICES: &[Operand] = &[Operand::new(
    "prices",
    KindSet::SERIES,
    "price or equity level series (positive values)",
)];
const RETURNS: &[Operand] = &[Operand::new(
    "returns",
    KindSet::SERIES,
    "simple returns per period (e.g. 0.01 for +1 %)",
)];
const PERIODS: Param = Param::int(
    "periods",
    "rows between the two prices compared; negative compares with a later row; not 0",
)
.default_int(1)
.min(-1_000_000.0)
.max(1_000_000.0);
const PPY: Param = Param::number(
    "periods_per_year",
    "return periods in a year (252 trading days, 52 weeks, 12 months)",
)
.default_num(252.0)
.above(0.0)
.max(10_000_000.0);
const RISK_FREE: Param = Param::number(
    "risk_free",
    "annual risk-free rate as a fraction (0.02 = 2 %), spread evenly over the periods",
)
.default_num(0.0)
.min(-1.0)
.max(1.0);
const TARGET: Param = Param::number(
    "target",
    "annual minimum acceptable return as a fraction (0.02 = 2 %), spread evenly over the periods",
)
.default_num(0.0)
.min(-1.0)
.max(1.0);

/// `periods`, refused when 0 (a price compared with itself says nothing).
fn periods(call: &Call<'_>) -> Result<i64, EvalError> {
    let p = call.params.int("periods")?;
    if p == 0 {
        return Err(EvalError::new(
            "param `periods` must not be 0: use a positive number of rows (compare with an earlier price) or a negative one (a later price).",
        ));
    }
    Ok(p)
}

/// f(x_t, x_{t−p}) at every row, NaN where t − p falls outside the series (pandas'
/// positional `shift(p)`).
fn with_lag(s: &Series, p: i64, f: impl Fn(f64, f64) -> f64) -> Series {
    let n = s.len();
    let v = &s.values;
    let lag = usize::try_from(p.unsigned_abs())
        .unwrap_or(usize::MAX)
        .min(n);
    // The rows with both sides present form one block: a vectorised zip of two shifted
    // slices, with the `lag` rows outside it NaN.
    let mut values = Vec::with_capacity(n);
    if p >= 0 {
        values.resize(lag, f64::NAN);
        elementwise::zip_extend(&mut values, &v[lag..], &v[..n - lag], f);
    } else {
        elementwise::zip_extend(&mut values, &v[..n - lag], &v[lag..], f);
        values.resize(n, f64::NAN);
    }
    s.with_values(values)
}

/// [`with_lag`] of ln(x / y), with the vectorised logarithm (within 1 ulp of `ln`) and
/// `ln` itself for the ratios outside its domain.
fn log_lag(s: &Series, p: i64) -> Series {
    let n = s.len();
    let v = &s.values;
    let lag = usize::try_from(p.unsigned_abs())
        .unwrap_or(usize::MAX)
        .min(n);
    let fast = |x: f64, y: f64| elementwise::ln_fast(x / y);
    let exact = |x: f64, y: f64| (x / y).ln();
    let mut values = Vec::with_capacity(n);
    if p >= 0 {
        values.resize(lag, f64::NAN);
        elementwise::zip_extend_fixed(&mut values, &v[lag..], &v[..n - lag], fast, exact);
    } else {
        elementwise::zip_extend_fixed(&mut values, &v[..n - lag], &v[lag..], fast, exact);
        values.resize(n, f64::NAN);
    }
    s.with_values(values)
}

/// Present (non-NaN) values.
fn present(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| !x.is_nan()).collect()
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    neumaier_sum(v.iter().copied()) / v.len() as f64
}

/// Sample standard deviation (ddof 1) by two passes; NaN under two values; exactly 0 when
/// all values are equal (so that a riskless series has no spurious rounding spread).
fn std1(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    if v.windows(2).all(|w| w[0] == w[1]) {
        return 0.0;
    }
    let m = mean(v);
    let n = v.len() as f64;
    let d = neumaier_sum(v.iter().map(|x| x - m));
    let ss = neumaier_sum(v.iter().map(|x| (x - m) * (x - m))) - d * d / n;
    (ss.max(0.0) / (n - 1.0)).sqrt()
}

/// Mean and sample standard deviation (ddof 1) of the non-NaN values of `v`: the fast
/// vectorised two-pass moments of [`reduce::central_moments`] when they are accurate to
/// 1e-11 (which excludes near-constant data), else [`mean`] and [`std1`] of the present
/// values (exactly 0 for equal values).
fn mean_std1(v: &[f64]) -> (f64, f64) {
    if let Some((n, m, [m2, ..])) = reduce::central_moments(v, false) {
        if n >= 2 {
            return (m, (m2 / (n - 1) as f64).sqrt());
        }
    }
    let p = present(v);
    (mean(&p), std1(&p))
}

/// x / running max(x) − 1, NaN kept in place (the running max skips NaN).
fn drawdown_values(v: &[f64]) -> Vec<f64> {
    // The running peak (NaN where x is), then x / peak − 1 in a vectorised pass (a NaN
    // x gives NaN).
    let mut out = scan::running_extreme::<true>(v);
    for (d, &x) in out.iter_mut().zip(v) {
        *d = x / *d - 1.0;
    }
    out
}

fn max_drawdown_of(v: &[f64]) -> f64 {
    // The smallest drawdown in eight lanes (a vector minimum; a NaN is never smaller).
    // Drawdowns are ≤ 0, so +inf left over means no value was present.
    let d = drawdown_values(v);
    let mut lanes = [f64::INFINITY; 8];
    let mut groups = d.chunks_exact(8);
    for g in &mut groups {
        for (m, &x) in lanes.iter_mut().zip(g) {
            *m = if x < *m { x } else { *m };
        }
    }
    let least = groups
        .remainder()
        .iter()
        .chain(&lanes)
        .fold(f64::INFINITY, |m, &x| if x < m { x } else { m });
    if least == f64::INFINITY {
        f64::NAN
    } else {
        least
    }
}

fn cagr_of(s: &Series) -> f64 {
    let first = s.values.iter().position(|x| !x.is_nan());
    let last = s.values.iter().rposition(|x| !x.is_nan());
    let (Some(i), Some(j)) = (first, last) else {
        return f64::NAN;
    };
    let days = s.dates[j] - s.dates[i];
    let (a, b) = (s.values[i], s.values[j]);
    if days <= 0 || a <= 0.0 || b < 0.0 {
        return f64::NAN;
    }
    (b / a).powf(365.25 / f64::from(days)) - 1.0
}

static PERCENT_CHANGE: Primitive = Primitive {
    name: "percent_change",
    family: Family::Returns,
    summary: "Simple return over `periods` rows: x_t / x_{t−p} − 1",
    doc: "Takes prices. r_t = x_t / x_{t−p} − 1 with p = `periods` rows (not calendar days); p < 0 compares with the price |p| rows later. The first p rows (last |p| for negative p) are NaN, and a NaN on either side gives NaN (no forward filling). A zero earlier price gives ±inf or NaN as IEEE division does. As a fraction: 0.01 = +1 %.",
    reference: "pandas: s.pct_change(periods, fill_method=None) = s / s.shift(periods) - 1",
    inputs: PRICES,
    params: &[PERIODS],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = periods(c)?;
        Ok(Value::Series(with_lag(series(c, 0)?, p, |x, y| x / y - 1.0)))
    },
};

static LOG_RETURN: Primitive = Primitive {
    name: "log_return",
    family: Family::Returns,
    summary: "Log return over `periods` rows: ln(x_t / x_{t−p})",
    doc: "Takes prices. r_t = ln(x_t / x_{t−p}) with p = `periods` rows (negative p looks forward). The first p rows are NaN, a NaN on either side gives NaN, a non-positive ratio gives NaN (−inf for a zero current price).",
    reference: "numpy/pandas: np.log(s / s.shift(periods))",
    inputs: PRICES,
    params: &[PERIODS],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = periods(c)?;
        Ok(Value::Series(log_lag(series(c, 0)?, p)))
    },
};

static CUMULATIVE_RETURN: Primitive = Primitive {
    name: "cumulative_return",
    family: Family::Returns,
    summary: "Compounded return to date: ∏(1 + r) − 1",
    doc: "Takes simple returns. c_t = ∏_{s ≤ t}(1 + r_s) − 1 over the present returns up to t. A NaN return stays NaN at its date and is skipped by the product (it counts as no change for the later dates), as pandas' cumprod does.",
    reference: "pandas: (1 + r).cumprod() - 1",
    inputs: RETURNS,
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let mut growth = 1.0;
        let values = s
            .values
            .iter()
            .map(|&r| {
                if r.is_nan() {
                    f64::NAN
                } else {
                    growth *= 1.0 + r;
                    growth - 1.0
                }
            })
            .collect();
        Ok(Value::Series(s.with_values(values)))
    },
};

static DRAWDOWN: Primitive = Primitive {
    name: "drawdown",
    family: Family::Returns,
    summary: "Fall from the running peak: x / cummax(x) − 1",
    doc: "Takes prices (or an equity curve). d_t = x_t / max_{s ≤ t} x_s − 1, the running maximum skipping NaN; 0 at a new peak, −0.25 for 25 % below the peak. NaN prices stay NaN. Meaningful for positive levels.",
    reference: "pandas: s / s.cummax() - 1",
    inputs: PRICES,
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        Ok(Value::Series(s.with_values(drawdown_values(&s.values))))
    },
};

static MAX_DRAWDOWN: Primitive = Primitive {
    name: "max_drawdown",
    family: Family::Returns,
    summary: "Deepest drawdown (a number ≤ 0)",
    doc: "Takes prices (or an equity curve). min_t (x_t / cummax(x)_t − 1): the minimum of `drawdown`, e.g. −0.34 for a 34 % peak-to-trough fall; 0 when the series never falls; NaN when no value is present.",
    reference: "pandas: (s / s.cummax() - 1).min()",
    inputs: PRICES,
    params: &[],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| Ok(Value::Scalar(max_drawdown_of(&series(c, 0)?.values))),
};

static VOLATILITY: Primitive = Primitive {
    name: "volatility",
    family: Family::Returns,
    summary: "Annualised standard deviation of returns",
    doc: "Takes simple returns. σ = std(r, ddof 1) · √periods_per_year over the present returns. NaN with fewer than two returns; exactly 0 when all returns are equal.",
    reference: "pandas: r.std() * np.sqrt(periods_per_year)",
    inputs: RETURNS,
    params: &[PPY],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let ppy = c.params.num("periods_per_year")?;
        let (_, sd) = mean_std1(&series(c, 0)?.values);
        Ok(Value::Scalar(sd * ppy.sqrt()))
    },
};

static SHARPE_RATIO: Primitive = Primitive {
    name: "sharpe_ratio",
    family: Family::Returns,
    summary: "Annualised Sharpe ratio of returns",
    doc: "Takes simple returns. With e_t = r_t − risk_free / periods_per_year over the present returns: Sharpe = mean(e) / std(e, ddof 1) · √periods_per_year. NaN with fewer than two returns or when std(e) is 0 (the ratio is undefined for a riskless series).",
    reference: "pandas: e = r - risk_free/ppy; e.mean() / e.std() * np.sqrt(ppy) (NaN when e.std() == 0)",
    inputs: RETURNS,
    params: &[RISK_FREE, PPY],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let ppy = c.params.num("periods_per_year")?;
        let rf = c.params.num("risk_free")? / ppy;
        let r = &series(c, 0)?.values;
        // e = r − rf, built only when rf ≠ 0 (NaN stays NaN and is skipped).
        let shifted: Vec<f64>;
        let e = if rf == 0.0 {
            r.as_slice()
        } else {
            shifted = r.iter().map(|x| x - rf).collect();
            shifted.as_slice()
        };
        let (m, sd) = mean_std1(e);
        let sharpe = if sd == 0.0 {
            f64::NAN
        } else {
            m / sd * ppy.sqrt()
        };
        Ok(Value::Scalar(sharpe))
    },
};

static SORTINO_RATIO: Primitive = Primitive {
    name: "sortino_ratio",
    family: Family::Returns,
    summary: "Annualised Sortino ratio: mean excess return over downside deviation",
    doc: "Takes simple returns. With e_t = r_t − target / periods_per_year over the n present returns, the downside deviation is DD = √( (1/n) Σ_t min(e_t, 0)² ), averaged over all n periods (those above target count as 0). Sortino = mean(e) / DD · √periods_per_year. NaN when no return is present or when DD is 0 (no period below target).",
    reference: "pandas/numpy: e = (r - target/ppy).dropna(); dd = np.sqrt((np.minimum(e, 0)**2).mean()); e.mean() / dd * np.sqrt(ppy) (NaN when dd == 0)",
    inputs: RETURNS,
    params: &[TARGET, PPY],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let ppy = c.params.num("periods_per_year")?;
        let target = c.params.num("target")? / ppy;
        let e: Vec<f64> = present(&series(c, 0)?.values)
            .into_iter()
            .map(|r| r - target)
            .collect();
        let dd = mean(&e.iter().map(|x| x.min(0.0).powi(2)).collect::<Vec<_>>()).sqrt();
        let sortino = if dd == 0.0 || dd.is_nan() {
            f64::NAN
        } else {
            mean(&e) / dd * ppy.sqrt()
        };
        Ok(Value::Scalar(sortino))
    },
};

static CAGR: Primitive = Primitive {
    name: "cagr",
    family: Family::Returns,
    summary: "Compound annual growth rate of a price or equity series",
    doc: "Takes prices (or an equity curve). With x_a the first and x_b the last present value and D the calendar days between their dates: CAGR = (x_b / x_a)^(365.25 / D) − 1. NaN when fewer than two values are present (D = 0), when x_a ≤ 0 or when x_b < 0.",
    reference: "pandas: v = s.dropna(); days = (v.index[-1] - v.index[0]).days; (v.iloc[-1] / v.iloc[0]) ** (365.25 / days) - 1",
    inputs: PRICES,
    params: &[],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| Ok(Value::Scalar(cagr_of(series(c, 0)?))),
};

static CALMAR_RATIO: Primitive = Primitive {
    name: "calmar_ratio",
    family: Family::Returns,
    summary: "CAGR divided by the depth of the maximum drawdown",
    doc: "Takes prices (or an equity curve). Calmar = cagr(x) / |max_drawdown(x)|, both over the whole series as the `cagr` and `max_drawdown` primitives define them. NaN when either is NaN or when the series never falls (max drawdown 0).",
    reference: "pandas: cagr / abs((s / s.cummax() - 1).min()) (NaN when the drawdown is 0)",
    inputs: PRICES,
    params: &[],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let mdd = max_drawdown_of(&s.values);
        let calmar = if mdd == 0.0 || mdd.is_nan() {
            f64::NAN
        } else {
            cagr_of(s) / mdd.abs()
        };
        Ok(Value::Scalar(calmar))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_pair_each_row_with_the_row_p_before() {
        let s = Series::from_vecs(vec![1, 2, 3, 4, 5], vec![1.0, 2.0, 4.0, f64::NAN, 16.0]);
        let diff = |p| with_lag(&s, p, |x, y| x - y).into_values();
        let same = |a: Vec<f64>, b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
        };
        let nan = f64::NAN;
        assert!(same(diff(1), &[nan, 1.0, 2.0, nan, nan]));
        assert!(same(diff(2), &[nan, nan, 3.0, nan, 12.0]));
        assert!(same(diff(-1), &[-1.0, -2.0, nan, nan, nan]));
        assert!(same(diff(0), &[0.0, 0.0, 0.0, nan, 0.0]));
        assert!(same(diff(7), &[nan; 5]));
        assert!(same(diff(-7), &[nan; 5]));
    }

    #[test]
    fn std_of_equal_values_is_exactly_zero_and_needs_two_values() {
        assert_eq!(std1(&[0.1; 40]), 0.0);
        assert!(std1(&[1.0]).is_nan());
        assert!((std1(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn drawdown_skips_nan_for_the_peak() {
        let d = drawdown_values(&[f64::NAN, 100.0, 120.0, f64::NAN, 90.0, 130.0]);
        assert!(d[0].is_nan() && d[3].is_nan());
        assert_eq!(d[2], 0.0);
        assert!((d[4] + 0.25).abs() < 1e-15);
        assert_eq!(
            max_drawdown_of(&[f64::NAN, 100.0, 120.0, 90.0]),
            90.0 / 120.0 - 1.0
        );
    }

    #[test]
    fn cagr_uses_calendar_days_between_present_values() {
        // Quadrupling over 1461 days (4 × 365.25) is √2 − 1 a year; the NaN is skipped.
        let s = Series::from_vecs(vec![0, 5, 1461], vec![100.0, f64::NAN, 400.0]);
        assert!((cagr_of(&s) - (2.0f64.sqrt() - 1.0)).abs() < 1e-12);
        let one = Series::from_vecs(vec![0, 5], vec![100.0, f64::NAN]);
        assert!(cagr_of(&one).is_nan());
    }
}
