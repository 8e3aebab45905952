//! Price models (dsl.md §5 "price models"): the Bitcoin valuation framework as DSL
//! primitives. The models, the issuance schedule and the backtests live in
//! [`crate::price_models`]; this file binds them to params and values.
//!
//! Defaults come from `seeds/config/price_models.json` (compiled in, see
//! `price_models::config`); a step's params override them. Price inputs are daily close
//! series; NaN and non-positive prices are skipped. Days are counted from the genesis
//! block, 2009-01-03. Predictions are frames `fair lower upper` (band edges), so a chart
//! can show the band and `ensemble`/`backtest_prediction` can use it.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::date::{self, Day};
use crate::kernels::align;
use crate::price_models::backtest::{self, WalkForward};
use crate::price_models::config::{normalised_weights, Config};
use crate::price_models::models::{PowerLaw, StockToFlow};
use crate::price_models::{self as pm, schedule, valid_history, Band, History, PriceModel};
use crate::primitives::common::series;
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{Frame, Kind, KindSet, Record, Series, Value};

/// The price_models family.
pub static PRIMITIVES: &[&Primitive] = &[
    &BTC_SUPPLY,
    &STOCK_TO_FLOW,
    &POWER_LAW_FIT,
    &POWER_LAW_PREDICT,
    &S2F_MODEL,
    &THERMOCAP,
    &THERMOCAP_MULTIPLE,
    &ENSEMBLE,
    &BACKTEST_PREDICTION,
    &BACKTEST_SIGNAL,
];

const PRICES: Operand = Operand::new("prices", KindSet::SERIES, "daily BTC close in USD");
const PRICES_ONLY: &[Operand] = &[PRICES];
const DATES_ONLY: &[Operand] = &[Operand::new(
    "dates",
    KindSet::SERIES,
    "any series; its dates are where the value is computed",
)];
const START: Param = Param::date(
    "start",
    "first date of the fit window (default: the first price)",
);
const END: Param = Param::date(
    "end",
    "last date of the fit window (default: the last price)",
);
const BAND: Param = Param::number(
    "band_sigmas",
    "band half-width in residual standard deviations (default from the config: 2)",
)
.min(0.0)
.max(10.0);
const HORIZON: Param = Param::int(
    "horizon_days",
    "also predict this many days past the last price",
)
.default_int(0)
.min(0.0)
.max(3650.0);
const MIN_POINTS: Param = Param::int(
    "min_points",
    "fewest prices a fit accepts (default from the config: 30)",
)
.min(3.0)
.max(100_000.0);

/// The valid prices of operand `i` within the optional `start`/`end` window.
fn fit_window(c: &Call<'_>, i: usize) -> Result<(Vec<Day>, Vec<f64>), EvalError> {
    let s = series(c, i)?;
    let (mut d, mut p) = valid_history(&s.dates, &s.values);
    let start = c.params.opt_date("start")?;
    let end = c.params.opt_date("end")?;
    if let (Some(a), Some(b)) = (start, end) {
        if a > b {
            return Err(EvalError::new(format!(
                "`start` {} must not be after `end` {}.",
                date::format_iso(a),
                date::format_iso(b)
            )));
        }
    }
    if start.is_some() || end.is_some() {
        let keep: Vec<bool> = d
            .iter()
            .map(|x| start.is_none_or(|a| *x >= a) && end.is_none_or(|b| *x <= b))
            .collect();
        let mut k = keep.iter();
        d.retain(|_| *k.next().expect("same length"));
        let mut k = keep.iter();
        p.retain(|_| *k.next().expect("same length"));
    }
    Ok((d, p))
}

/// The input's dates plus `horizon_days` daily dates after the last one.
fn prediction_dates(s: &Series, horizon: usize) -> Arc<Vec<Day>> {
    if horizon == 0 {
        return Arc::clone(&s.dates);
    }
    let mut d = s.dates.to_vec();
    let last = d.last().copied().unwrap_or(schedule::GENESIS);
    d.extend((1..=horizon as i32).map(|k| last + k));
    Arc::new(d)
}

/// A frame `fair lower upper` of a fitted model's predictions on `dates`.
fn band_frame(model: &dyn PriceModel, dates: Arc<Vec<Day>>) -> Frame {
    let bands: Vec<Band> = dates.iter().map(|&d| model.predict(d)).collect();
    Frame {
        dates,
        columns: vec![
            ("fair".into(), bands.iter().map(|b| b.fair).collect()),
            ("lower".into(), bands.iter().map(|b| b.lower).collect()),
            ("upper".into(), bands.iter().map(|b| b.upper).collect()),
        ],
    }
}

fn params_record(model: &dyn PriceModel) -> Value {
    Value::Record(Record {
        fields: model.parameters(),
    })
}

static BTC_SUPPLY: Primitive = Primitive {
    name: "btc_supply",
    family: Family::PriceModels,
    summary: "Bitcoins outstanding on each date, from the issuance schedule",
    doc: "Supply at the end of each date of the input: height = 144 blocks a day since 2009-01-03, subsidy 50 BTC halving every 210,000 blocks (in satoshis, integer halving). A documented approximation: real blocks came faster, so modelled halvings fall 1–8 months after the real ones (see docs/price-models.md). The input's values are ignored.",
    reference: "numpy reproduction of the schedule (tests/reference/cases_price_models.py)",
    inputs: DATES_ONLY,
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        Ok(Value::Series(
            s.with_values(s.dates.iter().map(|&d| schedule::supply(d)).collect()),
        ))
    },
};

static STOCK_TO_FLOW: Primitive = Primitive {
    name: "stock_to_flow",
    family: Family::PriceModels,
    summary: "Stock-to-flow ratio on each date: supply / annualized issuance",
    doc: "S2F(d) = supply(d) / (issued over the trailing `window_days` × 365 / window_days), both from the schedule of `btc_supply`. NaN when nothing was issued in the window.",
    reference: "numpy reproduction of the schedule",
    inputs: DATES_ONLY,
    params: &[Param::int("window_days", "trailing window of the flow, in days (default from the config: 365)")
        .min(1.0)
        .max(3650.0)],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let w = window_days(c)?;
        Ok(Value::Series(s.with_values(
            s.dates
                .iter()
                .map(|&d| schedule::stock_to_flow(d, w))
                .collect(),
        )))
    },
};

fn window_days(c: &Call<'_>) -> Result<i32, EvalError> {
    Ok(match c.params.opt_int("window_days")? {
        Some(w) => w as i32,
        None => Config::builtin().stock_to_flow.flow_window_days,
    })
}

fn power_law(c: &Call<'_>) -> Result<PowerLaw, EvalError> {
    let cfg = &Config::builtin().power_law;
    let mut m = PowerLaw::new(cfg);
    if let Some(k) = c.params.opt_num("band_sigmas")? {
        m.band_sigmas = k;
    }
    if let Some(n) = c.params.opt_int("min_points")? {
        m.min_points = n as usize;
    }
    Ok(m)
}

static POWER_LAW_FIT: Primitive = Primitive {
    name: "power_law_fit",
    family: Family::PriceModels,
    summary: "Fit log10(price) = a + b·log10(days since 2009-01-03) by OLS",
    doc: "Ordinary least squares over the valid prices in [`start`, `end`] dated after the genesis day. Record {a (intercept), b (exponent), r2, sigma (residual standard error √(SSR/(n−2)) in log10 units), n}. Refused when fewer than `min_points` prices remain. On 2010-07-17…2026-06-03 daily closes b ≈ 5.7 (published fits: 5.69–5.82).",
    reference: "numpy: np.polyfit(np.log10(days), np.log10(price), 1)",
    inputs: PRICES_ONLY,
    params: &[START, END, MIN_POINTS],
    returns: Returns::Fixed(Kind::Record),
    request: None,
    eval: |c| {
        let (d, p) = fit_window(c, 0)?;
        let mut m = power_law(c)?;
        m.fit(&History {
            dates: &d,
            prices: &p,
        })?;
        Ok(params_record(&m))
    },
};

static POWER_LAW_PREDICT: Primitive = Primitive {
    name: "power_law_predict",
    family: Family::PriceModels,
    summary: "Power-law fair value and band on each date (and `horizon_days` beyond)",
    doc: "Fits like `power_law_fit` (or takes `a` and `b`, both together), then predicts fair = 10^(a + b·log10 days) with band 10^(± band_sigmas·sigma) on the input's dates plus `horizon_days` later days → frame `fair lower upper`. With given coefficients, sigma is the RMS residual of the input's prices around that line.",
    reference: "numpy reproduction of the fit and 10**(a + b*log10(days))",
    inputs: PRICES_ONLY,
    params: &[
        START,
        END,
        MIN_POINTS,
        BAND,
        HORIZON,
        Param::number("a", "intercept to use instead of fitting (with `b`)"),
        Param::number("b", "exponent to use instead of fitting (with `a`)"),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let (d, p) = fit_window(c, 0)?;
        let mut m = power_law(c)?;
        match (c.params.opt_num("a")?, c.params.opt_num("b")?) {
            (Some(a), Some(b)) => {
                let res: Vec<f64> = d
                    .iter()
                    .zip(&p)
                    .filter(|(d, _)| **d > schedule::GENESIS)
                    .map(|(d, p)| p.log10() - (a + b * pm::models::log10_days(*d)))
                    .collect();
                if res.is_empty() {
                    return Err(EvalError::new(
                        "no valid prices after 2009-01-03 to measure the band around the given line.",
                    ));
                }
                let s = (res.iter().map(|r| r * r).sum::<f64>() / res.len() as f64).sqrt();
                m = PowerLaw::with_coefficients(a, b, s, m.band_sigmas);
            }
            (None, None) => m.fit(&History {
                dates: &d,
                prices: &p,
            })?,
            _ => {
                return Err(EvalError::new(
                    "give both `a` and `b` to use fixed coefficients, or neither to fit them.",
                ))
            }
        }
        let dates = prediction_dates(series(c, 0)?, c.params.usize("horizon_days")?);
        Ok(Value::Frame(band_frame(&m, dates)))
    },
};

static S2F_MODEL: Primitive = Primitive {
    name: "s2f_model",
    family: Family::PriceModels,
    summary: "Stock-to-flow model ln(price) = a·ln(S2F) + b, published or refitted",
    doc: "`coefficients: published` uses a = 3.36, b = −1.84 (the 2019 article's per-coin form; override with `a`, `b`) and measures the band from the RMS residual of the prices in [`start`, `end`]; `fit` refits a, b by OLS of ln(price) on ln(S2F) over that window (sigma = √(SSR/(n−2))). `output: prediction` → frame `fair lower upper` (band e^(± band_sigmas·sigma)) on the input's dates plus `horizon_days`; `output: fit` → record {a, b, r2, sigma, n}. S2F as in `stock_to_flow`.",
    reference: "numpy: np.polyfit(np.log(sf), np.log(price), 1)",
    inputs: PRICES_ONLY,
    params: &[
        Param::one_of("coefficients", &["published", "fit"], "use the published coefficients or refit them (default from the config: published)"),
        Param::number("a", "slope for `published` (default 3.36)"),
        Param::number("b", "intercept for `published` (default −1.84)"),
        Param::int("window_days", "trailing window of the flow, in days (default 365)").min(1.0).max(3650.0),
        START,
        END,
        MIN_POINTS,
        BAND,
        HORIZON,
        Param::one_of("output", &["prediction", "fit"], "`prediction`: frame fair lower upper; `fit`: record of coefficients").default_text("prediction"),
    ],
    returns: Returns::Custom(|_, p| match p.get("output").and_then(Json::as_str) {
        None | Some("prediction") => Some(Kind::Frame),
        Some("fit") => Some(Kind::Record),
        Some(_) => None,
    }),
    request: None,
    eval: |c| {
        let cfg = &Config::builtin().stock_to_flow;
        let mut m = StockToFlow::new(cfg);
        if let Some(mode) = c.params.opt_text("coefficients")? {
            m.refit = mode == "fit";
        }
        if m.refit && (c.params.has("a") || c.params.has("b")) {
            return Err(EvalError::new(
                "`a` and `b` apply to `coefficients: published`; remove them to refit.",
            ));
        }
        if let Some(a) = c.params.opt_num("a")? {
            m.a = a;
        }
        if let Some(b) = c.params.opt_num("b")? {
            m.b = b;
        }
        m.window = window_days(c)?;
        if let Some(k) = c.params.opt_num("band_sigmas")? {
            m.band_sigmas = k;
        }
        if let Some(n) = c.params.opt_int("min_points")? {
            m.min_points = n as usize;
        }
        let (d, p) = fit_window(c, 0)?;
        m.fit(&History {
            dates: &d,
            prices: &p,
        })?;
        if c.params.text("output")? == "fit" {
            return Ok(params_record(&m));
        }
        let dates = prediction_dates(series(c, 0)?, c.params.usize("horizon_days")?);
        Ok(Value::Frame(band_frame(&m, dates)))
    },
};

static THERMOCAP: Primitive = Primitive {
    name: "thermocap",
    family: Family::PriceModels,
    summary: "Cumulative value of all coins issued, each at its day's price",
    doc: "Running Σ (coins issued since the previous valid price) × price; the first price counts one day of issuance. Coins issued before the first price are not counted (the bundled history starts 2010-07-17, when a coin was worth cents). Dates with a missing price give NaN and their issuance is valued at the next valid price.",
    reference: "numpy: cumsum(diff(supply) * price) with the schedule of btc_supply",
    inputs: PRICES_ONLY,
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        Ok(Value::Series(
            s.with_values(schedule::thermocap(&s.dates, &s.values)),
        ))
    },
};

static THERMOCAP_MULTIPLE: Primitive = Primitive {
    name: "thermocap_multiple",
    family: Family::PriceModels,
    summary: "Market cap over thermocap",
    doc: "price × supply / thermocap on each date (thermocap as in `thermocap`, including that day). High multiples have marked cycle tops; NaN where the price is missing.",
    reference: "numpy: price * supply / thermocap",
    inputs: PRICES_ONLY,
    params: &[],
    returns: Returns::Fixed(Kind::Series),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let tc = schedule::thermocap(&s.dates, &s.values);
        Ok(Value::Series(
            s.with_values(
                s.dates
                    .iter()
                    .zip(s.values.iter())
                    .zip(&tc)
                    .map(|((&d, &p), &t)| p * schedule::supply(d) / t)
                    .collect(),
            ),
        ))
    },
};

/// A member prediction: fair, lower, upper on its own dates (NaN edges for a series).
fn member(v: &Value, k: usize) -> Result<(Series, Series, Series), EvalError> {
    match v {
        Value::Series(s) => {
            let nan = s.with_values(vec![f64::NAN; s.len()]);
            Ok((s.clone(), nan.clone(), nan))
        }
        Value::Frame(f) => {
            let fair = f.series("fair").ok_or_else(|| {
                EvalError::new(format!(
                    "input {} is a frame without a `fair` column (it has {}); give a prediction frame or a series.",
                    k + 1,
                    f.column_names().join(", ")
                ))
            })?;
            let nan = fair.with_values(vec![f64::NAN; fair.len()]);
            Ok((
                fair,
                f.series("lower").unwrap_or_else(|| nan.clone()),
                f.series("upper").unwrap_or(nan),
            ))
        }
        v => Err(EvalError::new(format!(
            "input {} must be a prediction series or frame, got a {}.",
            k + 1,
            v.kind().name()
        ))),
    }
}

static ENSEMBLE: Primitive = Primitive {
    name: "ensemble",
    family: Family::PriceModels,
    summary: "Weighted mean of several price predictions",
    doc: "Inputs: the price series, then one or more predictions (series, or frames with `fair` and optionally `lower`/`upper`). On the union of the predictions' dates, fair (and band edges) = Σ w_j·member_j; NaN where a weighted member is missing. `weighting`: `equal`; `fixed` (`weights`, one per member, scaled to sum 1); `inverse_error`: on each date, w_j ∝ 1/MAPE_j over the `lookback` dates *before* it (no look-ahead; = pandas ape.shift(1).rolling(lookback, min_periods=1).mean()), a member with zero error takes all the weight, equal weights until some error is measurable. Frame `fair lower upper`.",
    reference: "pandas reproduction (tests/reference/cases_price_models.py)",
    inputs: &[
        PRICES,
        Operand::new("predictions", KindSet::SERIES.or(KindSet::FRAME), "member predictions").optional().variadic(),
    ],
    params: &[
        Param::one_of("weighting", &["equal", "fixed", "inverse_error"], "how members are weighted").default_text("equal"),
        Param::numbers("weights", "fixed weights, one per member"),
        Param::int("lookback", "dates of recent error for inverse_error weights (default from the config: 90)").min(1.0).max(100_000.0),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let m = c.inputs.len() - 1;
        if m == 0 {
            return Err(EvalError::new(
                "the ensemble has no members: after the price series, give at least one prediction (a series, or a frame with a `fair` column).",
            ));
        }
        let prices = series(c, 0)?;
        let members: Vec<(Series, Series, Series)> = (1..=m)
            .map(|k| member(c.input(k), k))
            .collect::<Result<_, _>>()?;
        let mut dates = Arc::clone(&members[0].0.dates);
        for mb in &members[1..] {
            if *dates != *mb.0.dates {
                dates = align::union(&dates, &mb.0.dates).dates;
            }
        }
        let re = |s: &Series| align::reindex(s, &dates).into_values();
        let fair: Vec<Vec<f64>> = members.iter().map(|x| re(&x.0)).collect();
        let lower: Vec<Vec<f64>> = members.iter().map(|x| re(&x.1)).collect();
        let upper: Vec<Vec<f64>> = members.iter().map(|x| re(&x.2)).collect();
        let actual = re(prices);
        let weighting = c.params.text("weighting")?;
        if weighting != "fixed" && c.params.has("weights") {
            return Err(EvalError::new("`weights` need `weighting: fixed`."));
        }
        let fixed = match weighting {
            "equal" => Some(vec![1.0 / m as f64; m]),
            "fixed" => {
                if !c.params.has("weights") {
                    return Err(EvalError::new(format!(
                        "`weighting: fixed` needs `weights`, one per member ({m})."
                    )));
                }
                Some(normalised_weights(&c.params.numbers("weights")?, m)?)
            }
            _ => None,
        };
        let lookback = match c.params.opt_int("lookback")? {
            Some(l) => l as usize,
            None => Config::builtin().ensemble.lookback_days,
        };
        // Absolute percentage errors per member and date (NaN where not measurable).
        let ape: Vec<Vec<f64>> = fair
            .iter()
            .map(|f| {
                f.iter()
                    .zip(&actual)
                    .map(|(p, a)| {
                        if p.is_finite() && a.is_finite() && *a > 0.0 {
                            ((p - a) / a).abs()
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            })
            .collect();
        let n = dates.len();
        let mut out = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        for i in 0..n {
            let w = match &fixed {
                Some(w) => w.clone(),
                None => {
                    let from = i.saturating_sub(lookback);
                    let mapes: Vec<f64> = ape
                        .iter()
                        .map(|e| {
                            let (s, k) = e[from..i]
                                .iter()
                                .filter(|x| !x.is_nan())
                                .fold((0.0, 0usize), |(s, k), x| (s + x, k + 1));
                            if k == 0 {
                                f64::NAN
                            } else {
                                s / k as f64
                            }
                        })
                        .collect();
                    pm::models::inverse_error_weights(&mapes)
                        .unwrap_or_else(|_| vec![1.0 / m as f64; m])
                }
            };
            for (col, src) in out.iter_mut().zip([&fair, &lower, &upper]) {
                col[i] = w
                    .iter()
                    .zip(src)
                    .filter(|(w, _)| **w > 0.0)
                    .map(|(w, v)| w * v[i])
                    .sum();
            }
        }
        let [f, l, u] = out;
        Ok(Value::Frame(Frame {
            dates,
            columns: vec![("fair".into(), f), ("lower".into(), l), ("upper".into(), u)],
        }))
    },
};

/// `output` → kind for the backtests.
fn backtest_kind(_: &[Option<Kind>], p: &Map<String, Json>) -> Option<Kind> {
    match p.get("output").and_then(Json::as_str) {
        None | Some("summary") => Some(Kind::Record),
        Some("errors") => Some(Kind::Series),
        Some("predictions") | Some("equity") => Some(Kind::Frame),
        Some(_) => None,
    }
}

static BACKTEST_PREDICTION: Primitive = Primitive {
    name: "backtest_prediction",
    family: Family::PriceModels,
    summary: "How well a price model predicts: walk-forward out-of-sample, or a given prediction",
    doc: "With one input, walks `model` forward over the prices: each date from index `min_train_days` on is predicted by the model fitted only on earlier prices (refitted every `refit_every` predictions; no look-ahead). With a second input (a prediction series or `fair lower upper` frame), compares it with the prices on their common dates. `output: summary` → record {mape (percent), rmse, mean_log_error (mean ln(pred/actual): > 0 means too high), hit_rate_within_band (share of days with lower ≤ price ≤ upper), n}; `errors` → series of the rolling `window`-day mean absolute percentage error; `predictions` → frame `actual fair lower upper`. Model parameters come from the config file. Refused when `min_train_days` is not less than the number of prices.",
    reference: "numpy walk-forward reproduction (tests/reference/cases_price_models.py)",
    inputs: &[
        PRICES,
        Operand::new("prediction", KindSet::SERIES.or(KindSet::FRAME), "a prediction to judge instead of a walk-forward").optional(),
    ],
    params: &[
        Param::one_of("model", pm::MODEL_NAMES, "model to walk forward").default_text("power_law"),
        Param::int("min_train_days", "prices before the first prediction (default from the config: 730)").min(3.0).max(100_000.0),
        Param::int("refit_every", "refit after this many predictions (default from the config: 30)").min(1.0).max(100_000.0),
        Param::int("window", "rolling window of the error series (default from the config: 30)").min(1.0).max(100_000.0),
        Param::one_of("output", &["summary", "errors", "predictions"], "what to return").default_text("summary"),
    ],
    returns: Returns::Custom(backtest_kind),
    request: None,
    eval: |c| {
        let cfg = Config::builtin();
        let p = c.params;
        let s = series(c, 0)?;
        let (d, px) = valid_history(&s.dates, &s.values);
        let wf = if c.inputs.len() > 1 {
            let (f, l, u) = member(c.input(1), 1)?;
            let dates = Arc::new(d);
            let (f, l, u) = (
                align::reindex(&f, &dates).values,
                align::reindex(&l, &dates).values,
                align::reindex(&u, &dates).values,
            );
            WalkForward {
                dates: dates.to_vec(),
                actual: px,
                bands: (0..dates.len())
                    .map(|i| Band {
                        fair: f[i],
                        lower: l[i],
                        upper: u[i],
                    })
                    .collect(),
            }
        } else {
            let mut model = pm::build(p.text("model")?, cfg)?;
            let min_train = p.opt_int("min_train_days")?.map_or(cfg.backtest.min_train_days, |x| x as usize);
            let refit = p.opt_int("refit_every")?.map_or(cfg.backtest.refit_every, |x| x as usize);
            backtest::walk_forward(
                model.as_mut(),
                &History {
                    dates: &d,
                    prices: &px,
                },
                min_train,
                refit,
            )?
        };
        let window = p.opt_int("window")?.map_or(cfg.backtest.error_window, |x| x as usize);
        if window > wf.dates.len() {
            return Err(EvalError::new(format!(
                "`window` ({window}) must be at most the number of predicted days ({}).",
                wf.dates.len()
            )));
        }
        let dates = Arc::new(wf.dates.clone());
        match p.text("output")? {
            "errors" => Ok(Value::Series(Series::new(
                dates,
                backtest::rolling_ape(&wf.actual, &wf.bands, window),
            ))),
            "predictions" => Ok(Value::Frame(Frame {
                dates,
                columns: vec![
                    ("actual".into(), wf.actual.clone()),
                    ("fair".into(), wf.bands.iter().map(|b| b.fair).collect()),
                    ("lower".into(), wf.bands.iter().map(|b| b.lower).collect()),
                    ("upper".into(), wf.bands.iter().map(|b| b.upper).collect()),
                ],
            })),
            _ => {
                let m = backtest::metrics(&wf.actual, &wf.bands);
                if m.n == 0 {
                    return Err(EvalError::new(
                        "the prediction and the prices share no date with both values; nothing to compare.",
                    ));
                }
                Ok(Value::Record(Record::from_pairs([
                    ("mape", m.mape),
                    ("rmse", m.rmse),
                    ("mean_log_error", m.mean_log_error),
                    ("hit_rate_within_band", m.hit_rate_within_band),
                    ("n", m.n as f64),
                ])))
            }
        }
    },
};

static BACKTEST_SIGNAL: Primitive = Primitive {
    name: "backtest_signal",
    family: Family::PriceModels,
    summary: "Apply a position series in [−1, 1] to prices, with transaction costs",
    doc: "Positions are aligned to the valid prices' dates by carrying the last position forward (= pandas pos.reindex(dates, method='ffill').fillna(0)); a position outside [−1, 1] is refused with its date. The position at day i−1's close earns day i's return; each change costs `cost_bps` basis points of the fraction traded: ret_i = pos_{i−1}·(p_i/p_{i−1} − 1) − cost_bps/10⁴·|pos_i − pos_{i−1}| (pos before the first day = 0). `output: summary` → record {total_return, cagr (equity^(365.25/calendar days) − 1), sharpe (mean/std ddof 1 × √periods_per_year), max_drawdown (≤ 0), trades (days the position changed), turnover (Σ|Δpos|)}; `equity` → frame `equity returns position`.",
    reference: "pandas reproduction (tests/reference/cases_price_models.py)",
    inputs: &[
        PRICES,
        Operand::new("positions", KindSet::SERIES, "position per date: −1 short … 1 long"),
    ],
    params: &[
        Param::number("cost_bps", "cost per unit of position traded, in basis points").default_num(10.0).min(0.0).max(10_000.0),
        Param::number("periods_per_year", "for annualizing the Sharpe ratio (365 for crypto, 252 for stocks)").default_num(365.0).above(0.0).max(100_000.0),
        Param::one_of("output", &["summary", "equity"], "`summary` record or `equity` frame").default_text("summary"),
    ],
    returns: Returns::Custom(backtest_kind),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        let pos = series(c, 1)?;
        let (d, px) = valid_history(&s.dates, &s.values);
        // Both date lists ascend: one forward walk finds, for each price date, how many
        // position dates are on or before it (a search per date was O(n log n)).
        let mut k = 0;
        let aligned: Vec<f64> = d
            .iter()
            .map(|&day| {
                while k < pos.dates.len() && pos.dates[k] <= day {
                    k += 1;
                }
                if k == 0 {
                    0.0
                } else {
                    let v = pos.values[k - 1];
                    if v.is_nan() {
                        0.0
                    } else {
                        v
                    }
                }
            })
            .collect();
        let r = backtest::run_signal(
            &d,
            &px,
            &aligned,
            c.params.num("cost_bps")?,
            c.params.num("periods_per_year")?,
        )?;
        if c.params.text("output")? == "equity" {
            return Ok(Value::Frame(Frame {
                dates: Arc::new(d),
                columns: vec![
                    ("equity".into(), r.equity),
                    ("returns".into(), r.returns),
                    ("position".into(), r.position),
                ],
            }));
        }
        Ok(Value::Record(Record::from_pairs([
            ("total_return", r.total_return),
            ("cagr", r.cagr),
            ("sharpe", r.sharpe),
            ("max_drawdown", r.max_drawdown),
            ("trades", r.trades as f64),
            ("turnover", r.turnover),
        ])))
    },
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::data::{BoxFuture, DataError, DataRequest, DataSource, Fetched};
    use crate::value::{Series, Value};
    use crate::Limits;

    /// Serves one synthetic BTC series for any crypto request.
    struct Btc(Series);

    impl DataSource for Btc {
        fn fetch<'a>(&'a self, r: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
            Box::pin(async move {
                match r {
                    DataRequest::Crypto { .. } => Ok(Fetched {
                        value: Value::Series(self.0.clone()),
                        provider: "test".into(),
                        dataset: "crypto/BTC".into(),
                        hash: String::new(),
                    }),
                    _ => Err(DataError::NotFound("only BTC here".into())),
                }
            })
        }
    }

    /// A model file using every price-model primitive validates (result kinds inferred
    /// from `output` params) and runs end to end through the engine.
    #[test]
    fn a_model_using_the_family_validates_and_runs() {
        let start = crate::price_models::schedule::GENESIS + 700;
        let dates: Vec<i32> = (0..1200).map(|i| start + i).collect();
        let prices: Vec<f64> = dates
            .iter()
            .enumerate()
            .map(|(i, d)| {
                10f64.powf(
                    -17.0 + 5.8 * f64::from(d - crate::price_models::schedule::GENESIS).log10(),
                ) * (0.4 * (i as f64 / 60.0).sin()).exp()
            })
            .collect();
        let model = json!({
            "slug": "btc-test", "name": "BTC test",
            "dsl": {"version": "1.0", "steps": [
                {"id": "px", "operation": "fetch_crypto_data", "params": {"asset": "BTC"}},
                {"id": "pl", "operation": "power_law_predict", "inputs": ["px"], "params": {"horizon_days": 10}},
                {"id": "fit", "operation": "power_law_fit", "inputs": ["px"]},
                {"id": "s2f", "operation": "s2f_model", "inputs": ["px"], "params": {"coefficients": "fit"}},
                {"id": "ens", "operation": "ensemble", "inputs": ["px", "pl", "s2f"], "params": {"weighting": "inverse_error"}},
                {"id": "bt", "operation": "backtest_prediction", "inputs": ["px"], "params": {"model": "ensemble", "min_train_days": 400}},
                {"id": "err", "operation": "backtest_prediction", "inputs": ["px", "ens"], "params": {"output": "errors"}},
                {"id": "tm", "operation": "thermocap_multiple", "inputs": ["px"]},
                {"id": "sig", "operation": "backtest_signal", "inputs": ["px", "tm"], "params": {"output": "equity"}}
            ], "outputs": {
                "series": [{"id": "fair", "source": "pl.fair"}, {"id": "ens", "source": "ens.fair"},
                           {"id": "err", "source": "err"}, {"id": "eq", "source": "sig.equity"}],
                "tables": [{"id": "bt", "source": "bt"}],
                "scalars": [{"id": "b", "source": "fit.b"}, {"id": "mape", "source": "bt.mape"}]
            }}
        });
        let limits = Limits::default();
        let m = crate::check_model(&model, &limits).expect("valid model");
        let program = crate::prepare(&m, &serde_json::Map::new()).expect("compiles");
        let src = Btc(Series::from_vecs(dates, prices));
        // Positions are thermocap multiples (> 1): the signal backtest must refuse them.
        let err = futures::executor::block_on(crate::run(&program, &src, &limits))
            .expect_err("positions out of range");
        assert!(
            err.to_string()
                .contains("outside the allowed range [-1, 1]"),
            "{err}"
        );
    }
}
