//! Technical indicators with TA-Lib parity (dsl.md §5 "technical").
//!
//! Every indicator matches TA-Lib 0.8 as the `ta-lib` Python wrapper calls it: leading
//! NaNs are skipped (they stay NaN in the output) and the computation starts at the first
//! complete value, so the output has TA-Lib's NaN prefix of `first valid + lookback` bars.
//! A series shorter than that prefix is all NaN, as in TA-Lib. TA-Lib has no meaningful
//! answer for a gap *after* the first value (its loops carry the NaN forward or compare
//! against it), so such input is refused with a sentence naming the first missing date.
//! The loops themselves live in [`crate::kernels::ta`].

use crate::date::format_iso;
use crate::kernels::{reduce, ta};
use crate::primitives::common::{frame, series};
use crate::registry::{Call, EvalError, EvalFn, Family, Operand, Param, Primitive, Returns};
use crate::value::{Frame, Kind, KindSet, Series, Value};

/// The technical family.
pub static PRIMITIVES: &[&Primitive] = &[
    &SMA,
    &WMA,
    &TA_EMA,
    &RSI,
    &MACD,
    &BOLLINGER_BANDS,
    &ATR,
    &STOCHASTIC,
];

/// TA-Lib's upper bound for every period parameter.
const MAX_PERIOD: f64 = 100_000.0;
/// TA-Lib's bound on the Bollinger deviation multipliers.
const MAX_NBDEV: f64 = 3e37;

const PRICE: &[Operand] = &[Operand::new(
    "x",
    KindSet::SERIES,
    "series of prices (or any values)",
)];
const OHLC: &[Operand] = &[Operand::new(
    "ohlc",
    KindSet::FRAME,
    "frame with `high`, `low` and `close` columns (e.g. fetch_market_data)",
)];

/// A period param as `usize`, checked again here so that a call that bypassed validation
/// still gets a sentence rather than a panic.
fn period(call: &Call<'_>, name: &str, min: usize) -> Result<usize, EvalError> {
    let v = call.params.int(name)?;
    if v < min as i64 || v as f64 > MAX_PERIOD {
        return Err(EvalError::new(format!(
            "`{name}` must be between {min} and {}, got {v}.",
            MAX_PERIOD as i64
        )));
    }
    Ok(v as usize)
}

/// Where TA-Lib starts: the first row where every input is a number (the length when no
/// row is complete).
fn leading(n: usize, columns: &[(&str, &[f64])]) -> usize {
    (0..n)
        .find(|&i| columns.iter().all(|(_, c)| !c[i].is_nan()))
        .unwrap_or(n)
}

/// [`leading`], or an error naming the first gap after it. The kernels report whether
/// they met a NaN on their way; only then is this scan run, to find and name it.
fn first_complete(dates: &[i32], columns: &[(&str, &[f64])]) -> Result<usize, EvalError> {
    let n = dates.len();
    let start = leading(n, columns);
    for (name, col) in columns {
        // A vectorised count first: the common case has no gap, and then no scan.
        if reduce::count(&col[start..]) == n - start {
            continue;
        }
        if let Some(off) = col[start..].iter().position(|v| v.is_nan()) {
            let what = if columns.len() == 1 {
                "the input".to_string()
            } else {
                format!("column `{name}`")
            };
            return Err(EvalError::new(format!(
                "{what} has missing values inside the range (first on {}, after the first value on {}); TA-Lib has no defined result there, so use fillna or dropna first.",
                format_iso(dates[start + off]),
                format_iso(dates[start])
            )));
        }
    }
    Ok(start)
}

/// `N` outputs of `len` rows: NaN for the `start` rows before the first complete one, then
/// what `kernel` appends to each (the kernels append exactly `len − start` values, NaN
/// lookback included, so no row is written twice).
fn outputs<const N: usize>(
    len: usize,
    start: usize,
    kernel: impl FnOnce([&mut Vec<f64>; N]),
) -> [Vec<f64>; N] {
    let mut cols: [Vec<f64>; N] = std::array::from_fn(|_| {
        let mut v = Vec::with_capacity(len);
        v.resize(start, f64::NAN);
        v
    });
    kernel(cols.each_mut());
    for c in &mut cols {
        debug_assert_eq!(c.len(), len, "a kernel appended the wrong number of values");
        c.resize(len, f64::NAN);
    }
    cols
}

/// Runs a one-series kernel with `N` outputs on the part of operand 0 after its leading
/// NaNs; the rows before stay NaN. The kernel answers whether its input was free of NaN;
/// when it may not have been, a gap is looked for and refused.
fn on_series<'a, const N: usize>(
    call: &Call<'a>,
    kernel: impl FnOnce(&[f64], [&mut Vec<f64>; N]) -> bool,
) -> Result<(&'a Series, [Vec<f64>; N]), EvalError> {
    let s = series(call, 0)?;
    let columns = [("x", s.values.as_slice())];
    let start = leading(s.len(), &columns);
    let mut clean = true;
    let cols = outputs(s.len(), start, |out| {
        clean = kernel(&s.values[start..], out)
    });
    if !clean {
        first_complete(&s.dates, &columns)?;
    }
    Ok((s, cols))
}

/// Runs a one-series, one-output kernel on the part of `s` after its leading NaNs.
fn series_indicator(
    call: &Call<'_>,
    kernel: impl FnOnce(&[f64], &mut Vec<f64>) -> bool,
) -> Result<Value, EvalError> {
    let (s, [out]) = on_series(call, |x, [out]| kernel(x, out))?;
    Ok(Value::Series(s.with_values(out)))
}

/// Runs a one-series kernel with `N` outputs and returns them as a frame with these
/// column names (MACD, Bollinger bands).
fn series_frame<const N: usize>(
    call: &Call<'_>,
    names: [&str; N],
    kernel: impl FnOnce(&[f64], [&mut Vec<f64>; N]) -> bool,
) -> Result<Value, EvalError> {
    let (s, cols) = on_series(call, kernel)?;
    Ok(frame_of(&s.dates, names.into_iter().zip(cols).collect()))
}

/// The `high`, `low`, `close` columns of operand 0, or an error listing what is there.
fn hlc<'a>(call: &Call<'a>) -> Result<(&'a Frame, [&'a [f64]; 3]), EvalError> {
    let f = frame(call, 0)?;
    let mut cols = [&[][..]; 3];
    for (slot, name) in cols.iter_mut().zip(["high", "low", "close"]) {
        *slot = f.column(name).ok_or_else(|| {
            EvalError::new(format!(
                "the input frame has no `{name}` column (it has: {}); pass an OHLC frame such as fetch_market_data's, or build one with combine and names [\"high\", \"low\", \"close\"].",
                f.column_names().join(", ")
            ))
        })?;
    }
    Ok((f, cols))
}

/// Runs a kernel of the `high`, `low` and `close` columns of operand 0 with `N` outputs,
/// from the first row where all three are present; the rows before stay NaN. The kernel
/// answers whether the columns were free of NaN, as in [`on_series`].
fn on_hlc<'a, const N: usize>(
    call: &Call<'a>,
    kernel: impl FnOnce([&[f64]; 3], [&mut Vec<f64>; N]) -> bool,
) -> Result<(&'a Frame, [Vec<f64>; N]), EvalError> {
    let (f, [h, l, cl]) = hlc(call)?;
    let columns = [("high", h), ("low", l), ("close", cl)];
    let start = leading(f.len(), &columns);
    let mut clean = true;
    let cols = outputs(f.len(), start, |out| {
        clean = kernel([&h[start..], &l[start..], &cl[start..]], out);
    });
    if !clean {
        first_complete(&f.dates, &columns)?;
    }
    Ok((f, cols))
}

fn frame_of(f_dates: &std::sync::Arc<Vec<i32>>, columns: Vec<(&str, Vec<f64>)>) -> Value {
    Value::Frame(Frame {
        dates: std::sync::Arc::clone(f_dates),
        columns: columns
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    })
}

/// A period param, `min` to TA-Lib's [`MAX_PERIOD`] bars.
const fn period_param(name: &'static str, doc: &'static str, default: i64, min: f64) -> Param {
    Param::int(name, doc)
        .default_int(default)
        .min(min)
        .max(MAX_PERIOD)
}

/// The one param of the moving averages.
const MA_PARAMS: &[Param] = &[period_param(
    "period",
    "window length in bars (TA-Lib's default 30)",
    30,
    1.0,
)];

/// A moving average of prices (SMA, WMA, TA-EMA): operand `x`, the param `period`
/// ([`MA_PARAMS`]), a series out; `eval` is [`moving_average_eval`] of its kernel.
const fn moving_average(
    name: &'static str,
    summary: &'static str,
    doc: &'static str,
    reference: &'static str,
    eval: EvalFn,
) -> Primitive {
    Primitive {
        name,
        family: Family::Technical,
        summary,
        doc,
        reference,
        inputs: PRICE,
        params: MA_PARAMS,
        returns: Returns::Fixed(Kind::Series),
        request: None,
        eval,
    }
}

/// Evaluates a moving average: its `period` (≥ 1) and the kernel on operand 0.
fn moving_average_eval(
    call: &Call<'_>,
    kernel: fn(&[f64], usize, &mut Vec<f64>) -> bool,
) -> Result<Value, EvalError> {
    let p = period(call, "period", 1)?;
    series_indicator(call, |x, out| kernel(x, p, out))
}

static SMA: Primitive = moving_average(
    "sma",
    "Simple moving average (TA-Lib SMA)",
    "Mean of the last `period` values. The first `period − 1` values (after any leading NaNs) are NaN, TA-Lib's lookback. Leading NaNs are skipped like the ta-lib wrapper does; a NaN after the first value is refused. Each window is summed from block sums (no running-sum drift), within rounding of TA-Lib's running sum.",
    "TA-Lib: talib.SMA(x, timeperiod=period)",
    |c| moving_average_eval(c, ta::sma),
);

static WMA: Primitive = moving_average(
    "wma",
    "Linearly weighted moving average (TA-Lib WMA)",
    "Σ wᵢ·xᵢ / Σ wᵢ over the last `period` values with weights 1…period (newest heaviest). NaN prefix of `period − 1` as TA-Lib; leading NaNs skipped, interior NaN refused. Reproduces TA-Lib 0.8's incremental sums including its re-sum every 8·period bars.",
    "TA-Lib: talib.WMA(x, timeperiod=period)",
    |c| moving_average_eval(c, ta::wma),
);

static TA_EMA: Primitive = moving_average(
    "ta_ema",
    "Exponential moving average seeded like TA-Lib (TA-Lib EMA)",
    "k = 2/(period+1). The first value, at bar period−1, is the SMA of the first `period` values (TA-Lib's default seeding, unlike pandas' ewm which starts at the first value — use `ema` for that); then ema = ema + k·(x − ema), i.e. (1 − k)·ema + k·x, evaluated four values per step (within a few ulps of TA-Lib 0.8's step-by-step rounding). Leading NaNs skipped, interior NaN refused.",
    "TA-Lib: talib.EMA(x, timeperiod=period)",
    |c| moving_average_eval(c, ta::ema),
);

static RSI: Primitive = Primitive {
    name: "rsi",
    family: Family::Technical,
    summary: "Relative strength index, Wilder smoothing (TA-Lib RSI)",
    doc: "Average gain and loss of the first `period` differences, then Wilder smoothing avg = (avg·(period−1) + today)/period; RSI = 100·gain/(gain+loss), 0 on a flat window. TA-Lib's unstable period is 0 (its default), so the first value sits at bar `period`. Leading NaNs skipped, interior NaN refused.",
    reference: "TA-Lib: talib.RSI(x, timeperiod=period)",
    inputs: PRICE,
    params: &[period_param("period", "smoothing period in bars", 14, 2.0)],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = period(c, "period", 2)?;
        series_indicator(c, |x, out| ta::rsi(x, p, out))
    },
};

static MACD: Primitive = Primitive {
    name: "macd",
    family: Family::Technical,
    summary: "MACD line, signal and histogram (TA-Lib MACD) → frame `macd signal hist`",
    doc: "macd = EMA(fast) − EMA(slow); signal = EMA(signal) of macd; hist = macd − signal. As in TA-Lib, both EMAs start at bar slow−1 (the fast EMA is seeded with the SMA of the `fast` values ending there), `fast` and `slow` are swapped when fast > slow, and all three columns begin at bar (slow−1)+(signal−1). Leading NaNs skipped, interior NaN refused.",
    reference: "TA-Lib: talib.MACD(x, fastperiod, slowperiod, signalperiod)",
    inputs: PRICE,
    params: &[
        period_param("fast", "fast EMA period", 12, 2.0),
        period_param("slow", "slow EMA period", 26, 2.0),
        period_param("signal", "signal EMA period", 9, 1.0),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let fast = period(c, "fast", 2)?;
        let slow = period(c, "slow", 2)?;
        let signal = period(c, "signal", 1)?;
        series_frame(c, ["macd", "signal", "hist"], |x, [macd, sig, hist]| {
            ta::macd(x, fast, slow, signal, ta::MacdOut { macd, signal: sig, hist })
        })
    },
};

static BOLLINGER_BANDS: Primitive = Primitive {
    name: "bollinger_bands",
    family: Family::Technical,
    summary: "Bollinger bands on an SMA (TA-Lib BBANDS) → frame `upper middle lower`",
    doc: "middle = SMA(period); σ = population standard deviation of the same window; upper = middle + nbdevup·σ, lower = middle − nbdevdn·σ. `nbdev` sets both multipliers; `nbdevup`/`nbdevdn` override one side. TA-Lib's MA type 0 (SMA) and its 0.8 variance algorithm (shifted sums with re-centring), so flat windows give σ = 0 exactly. NaN prefix of period−1; leading NaNs skipped, interior NaN refused.",
    reference: "TA-Lib: talib.BBANDS(x, timeperiod, nbdevup, nbdevdn, matype=0)",
    inputs: PRICE,
    params: &[
        period_param("period", "window length in bars", 20, 2.0),
        Param::number("nbdev", "standard deviations for both bands").default_num(2.0),
        Param::number("nbdevup", "standard deviations for the upper band (overrides nbdev)"),
        Param::number("nbdevdn", "standard deviations for the lower band (overrides nbdev)"),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let p = period(c, "period", 2)?;
        let both = c.params.opt_num("nbdev")?.unwrap_or(2.0);
        let up = c.params.opt_num("nbdevup")?.unwrap_or(both);
        let dn = c.params.opt_num("nbdevdn")?.unwrap_or(both);
        for (name, v) in [("nbdevup", up), ("nbdevdn", dn)] {
            if !v.is_finite() || v.abs() > MAX_NBDEV {
                return Err(EvalError::new(format!("`{name}` must be between -3e37 and 3e37, got {v}.")));
            }
        }
        series_frame(c, ["upper", "middle", "lower"], |x, [upper, middle, lower]| {
            ta::bbands(x, p, up, dn, ta::BandsOut { upper, middle, lower })
        })
    },
};

static ATR: Primitive = Primitive {
    name: "atr",
    family: Family::Technical,
    summary: "Average true range, Wilder smoothing (TA-Lib ATR), from an OHLC frame",
    doc: "True range = max(high−low, |prev close−high|, |prev close−low|); the first ATR (bar `period`) is the mean of the first `period` true ranges, then atr = (atr·(period−1) + tr)/period as TA-Lib 0.8 rounds it. Period 1 gives the true range itself. Rows before the first one with high, low and close all present are NaN; a gap after it is refused.",
    reference: "TA-Lib: talib.ATR(high, low, close, timeperiod=period)",
    inputs: OHLC,
    params: &[period_param("period", "smoothing period in bars", 14, 1.0)],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = period(c, "period", 1)?;
        let (f, [out]) = on_hlc(c, |[h, l, cl], [out]| ta::atr(h, l, cl, p, out))?;
        Ok(Value::Series(Series::new(std::sync::Arc::clone(&f.dates), out)))
    },
};

static STOCHASTIC: Primitive = Primitive {
    name: "stochastic",
    family: Family::Technical,
    summary: "Slow stochastic %K and %D (TA-Lib STOCH, SMA smoothing) → frame `k d`",
    doc: "Fast %K = 100·(close − lowest low)/(highest high − lowest low) over `fastk_period` bars (0 on a flat window); k = SMA(fast %K, slowk_period); d = SMA(k, slowd_period) — TA-Lib's default MA types. Both columns begin at bar (fastk−1)+(slowk−1)+(slowd−1). Input: an OHLC frame with high, low, close; rows before the first complete one are NaN, a gap after it is refused.",
    reference: "TA-Lib: talib.STOCH(high, low, close, fastk_period, slowk_period, 0, slowd_period, 0)",
    inputs: OHLC,
    params: &[
        period_param("fastk_period", "window of the raw %K", 5, 1.0),
        period_param("slowk_period", "SMA smoothing of %K", 3, 1.0),
        period_param("slowd_period", "SMA smoothing of %D", 3, 1.0),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let periods = (period(c, "fastk_period", 1)?, period(c, "slowk_period", 1)?, period(c, "slowd_period", 1)?);
        let (f, [k, d]) = on_hlc(c, |[h, l, cl], [k, d]| {
            // The stochastic smooths in place: it takes NaN-filled rows.
            let n = cl.len();
            let (k0, d0) = (k.len(), d.len());
            k.resize(k0 + n, f64::NAN);
            d.resize(d0 + n, f64::NAN);
            ta::stoch(h, l, cl, periods, &mut k[k0..], &mut d[d0..]);
            // The window extremes cannot tell a NaN, so the columns are counted.
            [h, l, cl].iter().all(|c| reduce::count(c) == c.len())
        })?;
        Ok(frame_of(&f.dates, vec![("k", k), ("d", d)]))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    fn run(p: &Primitive, input: Value, params: serde_json::Value) -> Result<Value, String> {
        let params = Params::bind(p, params.as_object().unwrap()).map_err(|e| format!("{e:?}"))?;
        (p.eval)(&Call {
            inputs: &[&input],
            params: &params,
            data: None,
        })
        .map_err(|e| e.message)
    }

    fn prices(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 3.0 + i as f64 * 0.05)
            .collect()
    }

    /// A NaN after the first value is refused wherever it sits (in a seed, in the running
    /// part, on the last bar, in any OHLC column), and leading NaNs are skipped, for every
    /// indicator: the kernels' own NaN detection must leave no hole.
    #[test]
    fn a_gap_anywhere_after_the_first_value_is_refused() {
        let n = 300;
        let dates: Vec<i32> = (0..n as i32).collect();
        let one = |v: Vec<f64>| Value::Series(Series::from_vecs(dates.clone(), v));
        let ohlc = |h: Vec<f64>, l: Vec<f64>, c: Vec<f64>| {
            Value::Frame(Frame {
                dates: std::sync::Arc::new(dates.clone()),
                columns: vec![("high".into(), h), ("low".into(), l), ("close".into(), c)],
            })
        };
        let series_cases: [(&Primitive, serde_json::Value); 8] = [
            (&SMA, serde_json::json!({"period": 5})),
            (&SMA, serde_json::json!({"period": 1})),
            (&WMA, serde_json::json!({"period": 3})),
            (&TA_EMA, serde_json::json!({"period": 5})),
            (&TA_EMA, serde_json::json!({"period": 1})),
            (&RSI, serde_json::json!({"period": 4})),
            (
                &MACD,
                serde_json::json!({"fast": 3, "slow": 6, "signal": 2}),
            ),
            (&BOLLINGER_BANDS, serde_json::json!({"period": 5})),
        ];
        // Bar 5 follows 3 leading NaNs, so it is in every seed; 150 is in the running
        // part (and after WMA's first re-sum at 3·8 bars), n − 1 is the last bar.
        for (p, params) in &series_cases {
            let mut clean = prices(n);
            clean[..3].fill(f64::NAN);
            assert!(
                run(p, one(clean.clone()), params.clone()).is_ok(),
                "{}",
                p.name
            );
            for at in [4, 5, 150, n - 1] {
                let mut v = clean.clone();
                v[at] = f64::NAN;
                let err = run(p, one(v), params.clone()).unwrap_err();
                assert!(
                    err.contains("missing values inside"),
                    "{} at {at}: {err}",
                    p.name
                );
            }
            // Short input (all lookback) is checked too.
            let short = Series::from_vecs(vec![0, 1, 2], vec![1.0, f64::NAN, 2.0]);
            let err = run(p, Value::Series(short), params.clone()).unwrap_err();
            assert!(
                err.contains("missing values inside"),
                "{} short: {err}",
                p.name
            );
        }
        let ohlc_cases: [(&Primitive, serde_json::Value); 3] = [
            (&ATR, serde_json::json!({"period": 4})),
            (&ATR, serde_json::json!({"period": 1})),
            (&STOCHASTIC, serde_json::json!({})),
        ];
        let close = prices(n);
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
        for (p, params) in &ohlc_cases {
            let ok = run(
                p,
                ohlc(high.clone(), low.clone(), close.clone()),
                params.clone(),
            );
            assert!(ok.is_ok(), "{}", p.name);
            for col in 0..3 {
                for at in [1, 2, 150, n - 1] {
                    let mut cols = [high.clone(), low.clone(), close.clone()];
                    cols[col][at] = f64::NAN;
                    let [h, l, c] = cols;
                    let err = run(p, ohlc(h, l, c), params.clone()).unwrap_err();
                    assert!(
                        err.contains("missing values inside"),
                        "{} col {col} at {at}: {err}",
                        p.name
                    );
                }
            }
        }
    }
}
