//! Walk-forward evaluation of price models and a backtest of trading positions.
//!
//! **No look-ahead.** [`walk_forward`] predicts observation `i` with a model fitted only
//! on observations `0..i` (strictly earlier dates): it refits before the first prediction
//! and then after every `refit_every` predictions, and between refits keeps the last fit,
//! which saw even less. A test perturbs every price after a cut-off and checks that every
//! prediction up to the cut-off is unchanged.

use crate::date::{self, Day};
use crate::registry::EvalError;

use super::{Band, History, PriceModel};

/// Out-of-sample predictions with the actual prices they are judged against.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForward {
    /// Prediction dates.
    pub dates: Vec<Day>,
    /// Actual prices on those dates.
    pub actual: Vec<f64>,
    /// Predictions.
    pub bands: Vec<Band>,
}

/// Predicts every observation from `min_train` on, fitting only on earlier ones.
pub fn walk_forward(
    model: &mut dyn PriceModel,
    h: &History<'_>,
    min_train: usize,
    refit_every: usize,
) -> Result<WalkForward, EvalError> {
    if min_train >= h.len() {
        return Err(EvalError::new(format!(
            "`min_train_days` ({min_train}) must be less than the number of prices ({}): the backtest needs data after the training window. Use a value between {} and {}.",
            h.len(),
            model.min_history(),
            h.len().saturating_sub(1)
        )));
    }
    if min_train < model.min_history() {
        return Err(EvalError::new(format!(
            "`min_train_days` ({min_train}) must be at least {}, the fewest prices the {} model fits on.",
            model.min_history(),
            model.name()
        )));
    }
    if refit_every == 0 {
        return Err(EvalError::new("`refit_every` must be at least 1."));
    }
    let n = h.len() - min_train;
    let mut out = WalkForward {
        dates: Vec::with_capacity(n),
        actual: Vec::with_capacity(n),
        bands: Vec::with_capacity(n),
    };
    for i in min_train..h.len() {
        if (i - min_train).is_multiple_of(refit_every) {
            model.fit_prefix(h, i, i == min_train)?;
        }
        out.dates.push(h.dates[i]);
        out.actual.push(h.prices[i]);
        out.bands.push(model.predict(h.dates[i]));
    }
    Ok(out)
}

/// Accuracy of predictions against actual prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Mean absolute percentage error, in percent.
    pub mape: f64,
    /// Root mean squared error, in price units.
    pub rmse: f64,
    /// Mean of ln(prediction / actual): the signed bias (> 0: predictions too high).
    pub mean_log_error: f64,
    /// Share of days with lower ≤ actual ≤ upper (NaN band edges count as misses).
    pub hit_rate_within_band: f64,
    /// Days compared (both prediction and actual finite and positive).
    pub n: usize,
}

/// Metrics over the days where prediction and actual are both finite and positive.
pub fn metrics(actual: &[f64], bands: &[Band]) -> Metrics {
    let (mut ape, mut se, mut le, mut hits, mut n) = (0.0, 0.0, 0.0, 0usize, 0usize);
    for (a, b) in actual.iter().zip(bands) {
        if !(a.is_finite() && *a > 0.0 && b.fair.is_finite() && b.fair > 0.0) {
            continue;
        }
        n += 1;
        ape += ((b.fair - a) / a).abs();
        se += (b.fair - a) * (b.fair - a);
        le += (b.fair / a).ln();
        if b.lower <= *a && *a <= b.upper {
            hits += 1;
        }
    }
    let nf = n as f64;
    let div = |x: f64| if n == 0 { f64::NAN } else { x / nf };
    Metrics {
        mape: div(ape) * 100.0,
        rmse: div(se).sqrt(),
        mean_log_error: div(le),
        hit_rate_within_band: div(hits as f64),
        n,
    }
}

/// Rolling mean (pandas `rolling(window).mean()`, min_periods = window) of the absolute
/// percentage error per day (NaN where a prediction or price is missing).
pub fn rolling_ape(actual: &[f64], bands: &[Band], window: usize) -> Vec<f64> {
    let ape: Vec<f64> = actual
        .iter()
        .zip(bands)
        .map(|(a, b)| {
            if a.is_finite() && *a > 0.0 && b.fair.is_finite() {
                ((b.fair - a) / a).abs() * 100.0
            } else {
                f64::NAN
            }
        })
        .collect();
    (0..ape.len())
        .map(|i| {
            if i + 1 < window {
                return f64::NAN;
            }
            let w = &ape[i + 1 - window..=i];
            if w.iter().any(|x| x.is_nan()) {
                f64::NAN
            } else {
                w.iter().sum::<f64>() / window as f64
            }
        })
        .collect()
}

/// A position series applied to a price series.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalResult {
    /// Equity curve, starting from 1 before the first day.
    pub equity: Vec<f64>,
    /// Strategy returns per day, net of costs.
    pub returns: Vec<f64>,
    /// Position held from each day's close to the next.
    pub position: Vec<f64>,
    /// equity_last − 1.
    pub total_return: f64,
    /// equity_last^(365.25 / calendar days) − 1.
    pub cagr: f64,
    /// mean / std (ddof 1) of daily strategy returns × √periods_per_year.
    pub sharpe: f64,
    /// Most negative equity / running peak − 1.
    pub max_drawdown: f64,
    /// Days on which the position changed (from 0 before the first day).
    pub trades: usize,
    /// Σ |position change|.
    pub turnover: f64,
}

/// Runs positions (already aligned to `prices`, in [−1, 1]) over prices: the position set
/// at day i−1's close earns day i's return, and every change costs `cost_bps` basis points
/// of the traded fraction on the day it is made: ret_i = pos_{i−1}·(p_i/p_{i−1} − 1) −
/// cost·|pos_i − pos_{i−1}|, with pos_{−1} = 0 and no price return on the first day.
pub fn run_signal(
    dates: &[Day],
    prices: &[f64],
    position: &[f64],
    cost_bps: f64,
    periods_per_year: f64,
) -> Result<SignalResult, EvalError> {
    if prices.len() < 2 {
        return Err(EvalError::new(format!(
            "the price series has {} usable prices; a signal backtest needs at least 2.",
            prices.len()
        )));
    }
    for (d, p) in dates.iter().zip(position) {
        if !(-1.0..=1.0).contains(p) {
            return Err(EvalError::new(format!(
                "position {p} on {} is outside the allowed range [-1, 1] (−1 fully short, 1 fully long).",
                date::format_iso(*d)
            )));
        }
    }
    let cost = cost_bps / 10_000.0;
    let n = prices.len();
    let mut returns = Vec::with_capacity(n);
    let mut equity = Vec::with_capacity(n);
    let (mut eq, mut prev_pos, mut trades, mut turnover) = (1.0, 0.0, 0usize, 0.0);
    for i in 0..n {
        let market = if i == 0 {
            0.0
        } else {
            prices[i] / prices[i - 1] - 1.0
        };
        let change = (position[i] - prev_pos).abs();
        if change > 0.0 {
            trades += 1;
            turnover += change;
        }
        let r = prev_pos * market - cost * change;
        eq *= 1.0 + r;
        returns.push(r);
        equity.push(eq);
        prev_pos = position[i];
    }
    let nf = n as f64;
    let mean = returns.iter().sum::<f64>() / nf;
    let sd = (returns.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (nf - 1.0)).sqrt();
    let mut peak = f64::NEG_INFINITY;
    let mut mdd = 0.0f64;
    for &e in &equity {
        peak = peak.max(e);
        mdd = mdd.min(e / peak - 1.0);
    }
    let days = f64::from(dates[n - 1] - dates[0]);
    Ok(SignalResult {
        total_return: eq - 1.0,
        cagr: if days > 0.0 {
            eq.powf(365.25 / days) - 1.0
        } else {
            f64::NAN
        },
        sharpe: if sd > 0.0 {
            mean / sd * periods_per_year.sqrt()
        } else {
            f64::NAN
        },
        max_drawdown: mdd,
        trades,
        turnover,
        equity,
        returns,
        position: position.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::Config;
    use super::super::{build, schedule::GENESIS, History};
    use super::*;

    fn synthetic(n: usize) -> (Vec<Day>, Vec<f64>) {
        let start = GENESIS + 600;
        let dates: Vec<Day> = (0..n as i32).map(|i| start + i).collect();
        let prices = dates
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let t = f64::from(d - GENESIS);
                10f64.powf(-17.0 + 5.8 * t.log10()) * (0.3 * (i as f64 / 37.0).sin()).exp()
            })
            .collect();
        (dates, prices)
    }

    #[test]
    fn walk_forward_never_looks_ahead() {
        let (dates, prices) = synthetic(900);
        for name in ["power_law", "stock_to_flow", "thermocap", "ensemble"] {
            let mut cfg = Config::builtin().clone();
            cfg.stock_to_flow.coefficients = "fit".into();
            let run = |p: &[f64]| {
                let mut m = build(name, &cfg).expect("model");
                let h = History {
                    dates: &dates,
                    prices: p,
                };
                walk_forward(m.as_mut(), &h, 200, 7).expect("runs")
            };
            let base = run(&prices);
            // Perturb every price from index 600 on: predictions up to 600 must not move.
            let mut changed = prices.clone();
            for p in &mut changed[600..] {
                *p *= 3.0;
            }
            let other = run(&changed);
            let cut = 600 - 200;
            assert_eq!(base.bands[..=cut], other.bands[..=cut], "{name}");
            assert_ne!(base.bands[cut + 1..], other.bands[cut + 1..], "{name}");
        }
    }

    #[test]
    fn window_longer_than_data_is_refused() {
        let (dates, prices) = synthetic(100);
        let mut m = build("power_law", Config::builtin()).expect("model");
        let h = History {
            dates: &dates,
            prices: &prices,
        };
        let e = walk_forward(m.as_mut(), &h, 100, 1).unwrap_err().message;
        assert!(
            e.contains("`min_train_days` (100) must be less than the number of prices (100)"),
            "{e}"
        );
    }

    #[test]
    fn signal_costs_and_equity() {
        let dates = [0, 1, 2, 3];
        let prices = [100.0, 110.0, 99.0, 99.0];
        let pos = [1.0, 1.0, 0.0, 0.0];
        let r = run_signal(&dates, &prices, &pos, 10.0, 365.0).expect("runs");
        assert!((r.returns[0] + 0.001).abs() < 1e-15);
        assert!((r.returns[1] - 0.1).abs() < 1e-15);
        assert!((r.returns[2] - (-0.1 - 0.001)).abs() < 1e-15);
        assert_eq!(r.trades, 2);
        assert_eq!(r.turnover, 2.0);
        assert!(run_signal(&dates, &prices, &[0.0, 1.5, 0.0, 0.0], 0.0, 365.0).is_err());
    }
}

/// Speed figures (printed, never asserted): `cargo test -p auster-engine --release --lib
/// price_models_speed -- --ignored --nocapture`. Targets from issue 7: one prediction
/// under 0.1 ms, a 1,000-day walk-forward under 5 ms.
#[cfg(test)]
mod speed {
    use std::hint::black_box;
    use std::time::Instant;

    use super::super::config::Config;
    use super::super::{build, schedule::GENESIS, History};
    use super::*;

    #[test]
    #[ignore = "benchmark: prints figures"]
    fn price_models_speed() {
        let n = 2000;
        let dates: Vec<Day> = (0..n as i32).map(|i| GENESIS + 1000 + i).collect();
        let prices: Vec<f64> = dates
            .iter()
            .enumerate()
            .map(|(i, d)| {
                10f64.powf(-17.0 + 5.8 * f64::from(d - GENESIS).log10())
                    * (0.4 * (i as f64 / 50.0).sin()).exp()
            })
            .collect();
        let h = History {
            dates: &dates,
            prices: &prices,
        };
        for name in ["power_law", "stock_to_flow", "thermocap", "ensemble"] {
            let mut m = build(name, Config::builtin()).expect("model");
            m.fit(&h).expect("fit");
            let reps = 20_000;
            let t = Instant::now();
            for k in 0..reps {
                black_box(m.predict(black_box(dates[k % n] + 1)));
            }
            let per_pred = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
            let t = Instant::now();
            let mut fits = 0;
            while t.elapsed().as_millis() < 200 {
                m.fit(&h).expect("fit");
                fits += 1;
            }
            let per_fit = t.elapsed().as_secs_f64() * 1e3 / f64::from(fits);
            for refit in [1usize, 30] {
                let t = Instant::now();
                let reps = 5;
                for _ in 0..reps {
                    black_box(walk_forward(m.as_mut(), &h, 1000, refit).expect("runs"));
                }
                let wf = t.elapsed().as_secs_f64() * 1e3 / f64::from(reps);
                println!(
                    "{name:14} predict {per_pred:.6} ms | fit on {n} days {per_fit:.4} ms | walk-forward 1000 days, refit every {refit:2}: {wf:.3} ms"
                );
            }
        }
    }
}
