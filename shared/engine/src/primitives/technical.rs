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
use crate::kernels::ta;
use crate::primitives::common::{frame, series};
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
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

/// Where TA-Lib starts: the first row where every input is a number. Returns that index
/// (the length when no row is complete), or an error naming the first gap after it.
fn first_complete(dates: &[i32], columns: &[(&str, &[f64])]) -> Result<usize, EvalError> {
    let n = dates.len();
    let start = (0..n)
        .find(|&i| columns.iter().all(|(_, c)| !c[i].is_nan()))
        .unwrap_or(n);
    for (name, col) in columns {
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

/// Runs a one-series, one-output kernel on the part of `s` after its leading NaNs.
fn series_indicator(
    call: &Call<'_>,
    kernel: impl Fn(&[f64], &mut [f64]),
) -> Result<Value, EvalError> {
    let s = series(call, 0)?;
    let start = first_complete(&s.dates, &[("x", &s.values)])?;
    let mut out = vec![f64::NAN; s.len()];
    kernel(&s.values[start..], &mut out[start..]);
    Ok(Value::Series(s.with_values(out)))
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

fn frame_of(f_dates: &std::sync::Arc<Vec<i32>>, columns: Vec<(&str, Vec<f64>)>) -> Value {
    Value::Frame(Frame {
        dates: std::sync::Arc::clone(f_dates),
        columns: columns
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    })
}

const PERIOD_MA: Param = Param::int("period", "window length in bars (TA-Lib's default 30)")
    .default_int(30)
    .min(1.0)
    .max(MAX_PERIOD);

static SMA: Primitive = Primitive {
    name: "sma",
    family: Family::Technical,
    summary: "Simple moving average (TA-Lib SMA)",
    doc: "Mean of the last `period` values. The first `period − 1` values (after any leading NaNs) are NaN, TA-Lib's lookback. Leading NaNs are skipped like the ta-lib wrapper does; a NaN after the first value is refused. Running sum, exactly TA-Lib's.",
    reference: "TA-Lib: talib.SMA(x, timeperiod=period)",
    inputs: PRICE,
    params: &[PERIOD_MA],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = period(c, "period", 1)?;
        series_indicator(c, |x, out| ta::sma(x, p, out))
    },
};

static WMA: Primitive = Primitive {
    name: "wma",
    family: Family::Technical,
    summary: "Linearly weighted moving average (TA-Lib WMA)",
    doc: "Σ wᵢ·xᵢ / Σ wᵢ over the last `period` values with weights 1…period (newest heaviest). NaN prefix of `period − 1` as TA-Lib; leading NaNs skipped, interior NaN refused. Reproduces TA-Lib 0.8's incremental sums including its re-sum every 8·period bars.",
    reference: "TA-Lib: talib.WMA(x, timeperiod=period)",
    inputs: PRICE,
    params: &[PERIOD_MA],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = period(c, "period", 1)?;
        series_indicator(c, |x, out| ta::wma(x, p, out))
    },
};

static TA_EMA: Primitive = Primitive {
    name: "ta_ema",
    family: Family::Technical,
    summary: "Exponential moving average seeded like TA-Lib (TA-Lib EMA)",
    doc: "k = 2/(period+1). The first value, at bar period−1, is the SMA of the first `period` values (TA-Lib's default seeding, unlike pandas' ewm which starts at the first value — use `ema` for that); then ema = ema + k·(x − ema), rounded with a fused multiply-add as TA-Lib 0.8 does. Leading NaNs skipped, interior NaN refused.",
    reference: "TA-Lib: talib.EMA(x, timeperiod=period)",
    inputs: PRICE,
    params: &[PERIOD_MA],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = period(c, "period", 1)?;
        series_indicator(c, |x, out| ta::ema(x, p, out))
    },
};

static RSI: Primitive = Primitive {
    name: "rsi",
    family: Family::Technical,
    summary: "Relative strength index, Wilder smoothing (TA-Lib RSI)",
    doc: "Average gain and loss of the first `period` differences, then Wilder smoothing avg = (avg·(period−1) + today)/period; RSI = 100·gain/(gain+loss), 0 on a flat window. TA-Lib's unstable period is 0 (its default), so the first value sits at bar `period`. Leading NaNs skipped, interior NaN refused.",
    reference: "TA-Lib: talib.RSI(x, timeperiod=period)",
    inputs: PRICE,
    params: &[Param::int("period", "smoothing period in bars")
        .default_int(14)
        .min(2.0)
        .max(MAX_PERIOD)],
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
        Param::int("fast", "fast EMA period").default_int(12).min(2.0).max(MAX_PERIOD),
        Param::int("slow", "slow EMA period").default_int(26).min(2.0).max(MAX_PERIOD),
        Param::int("signal", "signal EMA period").default_int(9).min(1.0).max(MAX_PERIOD),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let fast = period(c, "fast", 2)?;
        let slow = period(c, "slow", 2)?;
        let signal = period(c, "signal", 1)?;
        let s = series(c, 0)?;
        let start = first_complete(&s.dates, &[("x", &s.values)])?;
        let n = s.len();
        let (mut line, mut sig, mut hist) = (vec![f64::NAN; n], vec![f64::NAN; n], vec![f64::NAN; n]);
                ta::macd(
            &s.values[start..],
            fast,
            slow,
            signal,
            ta::MacdOut { macd: &mut line[start..], signal: &mut sig[start..], hist: &mut hist[start..] },
        );
        Ok(frame_of(&s.dates, vec![("macd", line), ("signal", sig), ("hist", hist)]))
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
        Param::int("period", "window length in bars").default_int(20).min(2.0).max(MAX_PERIOD),
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
        let s = series(c, 0)?;
        let start = first_complete(&s.dates, &[("x", &s.values)])?;
        let n = s.len();
        let (mut u, mut m, mut l) = (vec![f64::NAN; n], vec![f64::NAN; n], vec![f64::NAN; n]);
        ta::bbands(
            &s.values[start..],
            p,
            up,
            dn,
            ta::BandsOut { upper: &mut u[start..], middle: &mut m[start..], lower: &mut l[start..] },
        );
        Ok(frame_of(&s.dates, vec![("upper", u), ("middle", m), ("lower", l)]))
    },
};

static ATR: Primitive = Primitive {
    name: "atr",
    family: Family::Technical,
    summary: "Average true range, Wilder smoothing (TA-Lib ATR), from an OHLC frame",
    doc: "True range = max(high−low, |prev close−high|, |prev close−low|); the first ATR (bar `period`) is the mean of the first `period` true ranges, then atr = (atr·(period−1) + tr)/period as TA-Lib 0.8 rounds it. Period 1 gives the true range itself. Rows before the first one with high, low and close all present are NaN; a gap after it is refused.",
    reference: "TA-Lib: talib.ATR(high, low, close, timeperiod=period)",
    inputs: OHLC,
    params: &[Param::int("period", "smoothing period in bars").default_int(14).min(1.0).max(MAX_PERIOD)],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let p = period(c, "period", 1)?;
        let (f, [h, l, cl]) = hlc(c)?;
        let start = first_complete(&f.dates, &[("high", h), ("low", l), ("close", cl)])?;
        let mut out = vec![f64::NAN; f.len()];
        ta::atr(&h[start..], &l[start..], &cl[start..], p, &mut out[start..]);
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
        Param::int("fastk_period", "window of the raw %K").default_int(5).min(1.0).max(MAX_PERIOD),
        Param::int("slowk_period", "SMA smoothing of %K").default_int(3).min(1.0).max(MAX_PERIOD),
        Param::int("slowd_period", "SMA smoothing of %D").default_int(3).min(1.0).max(MAX_PERIOD),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let periods = (period(c, "fastk_period", 1)?, period(c, "slowk_period", 1)?, period(c, "slowd_period", 1)?);
        let (f, [h, l, cl]) = hlc(c)?;
        let start = first_complete(&f.dates, &[("high", h), ("low", l), ("close", cl)])?;
        let n = f.len();
        let (mut k, mut d) = (vec![f64::NAN; n], vec![f64::NAN; n]);
        ta::stoch(&h[start..], &l[start..], &cl[start..], periods, &mut k[start..], &mut d[start..]);
        Ok(frame_of(&f.dates, vec![("k", k), ("d", d)]))
    },
};
