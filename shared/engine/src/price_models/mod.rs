//! The Bitcoin price-model framework: the [`PriceModel`] trait, its registry and backtests.
//!
//! A model is fitted on a price history (strictly increasing days with positive prices)
//! and then predicts a fair value with a confidence band for any day. Models:
//!
//! - [`models::PowerLaw`]: log10(price) = a + b·log10(days since 2009-01-03), OLS.
//! - [`models::StockToFlow`]: ln(price) = a·ln(S2F) + b, published or refitted.
//! - [`models::Thermocap`]: price = m · thermocap / supply, m the geometric-mean multiple.
//! - [`models::Ensemble`]: weighted mean of members, fixed or inverse-recent-error weights.
//!
//! [`schedule`] derives supply, issuance, stock-to-flow and thermocap from the issuance
//! schedule; [`backtest`] walks forward (fitting only on data before each prediction date)
//! and backtests positions; [`config`] reads the models' parameters from
//! `seeds/config/price_models.json`. How close our fits come to the published ones, and
//! why they differ, is in `docs/price-models.md`.

pub mod backtest;
pub mod config;
pub mod models;
pub mod schedule;

use crate::date::Day;
use crate::registry::EvalError;

pub use config::Config;

/// A price history: strictly increasing days and positive finite prices, same length.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// Days since 1970-01-01.
    pub dates: &'a [Day],
    /// Prices in USD.
    pub prices: &'a [f64],
}

impl<'a> History<'a> {
    /// Number of observations.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// The first `n` observations.
    pub fn head(&self, n: usize) -> History<'a> {
        History {
            dates: &self.dates[..n],
            prices: &self.prices[..n],
        }
    }
}

/// A prediction: fair value and its confidence band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// The model's fair price.
    pub fair: f64,
    /// Lower edge of the band.
    pub lower: f64,
    /// Upper edge of the band.
    pub upper: f64,
}

impl Band {
    /// A band with every edge NaN (nothing to predict).
    pub const NAN: Band = Band {
        fair: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
    };
}

/// A valuation model that is fitted on a price history and predicts fair values.
pub trait PriceModel: Send + Sync {
    /// Registry name, e.g. `power_law`.
    fn name(&self) -> &'static str;
    /// The fitted (or configured) coefficients, in a stable order.
    fn parameters(&self) -> Vec<(String, f64)>;
    /// The fewest observations `fit` accepts.
    fn min_history(&self) -> usize;
    /// Fits on `history` (every observation is used; the caller cuts the window).
    fn fit(&mut self, history: &History<'_>) -> Result<(), EvalError>;
    /// Fits on the first `n` observations of `h`. The walk-forward backtest calls it with
    /// one `h` and growing `n`, passing `fresh = true` on its first call; models override
    /// it to precompute per-observation work once per walk (prefix sums), which makes each
    /// refit O(1) instead of O(n). Results equal `fit(&h.head(n))` up to rounding.
    fn fit_prefix(&mut self, h: &History<'_>, n: usize, fresh: bool) -> Result<(), EvalError> {
        let _ = fresh;
        self.fit(&h.head(n))
    }
    /// Fair value and band on `day` (NaN before the model is fitted).
    fn predict(&self, day: Day) -> Band;
    /// The fair value alone (what error scoring needs; models skip the band's work).
    fn fair(&self, day: Day) -> f64 {
        self.predict(day).fair
    }
    /// A fresh, unfitted copy with the same configuration.
    fn boxed_clone(&self) -> Box<dyn PriceModel>;
}

/// The registered model names, in documentation order.
pub const MODEL_NAMES: &[&str] = &["power_law", "stock_to_flow", "thermocap", "ensemble"];

/// Builds the model called `name` with its parameters from `config`.
pub fn build(name: &str, config: &Config) -> Result<Box<dyn PriceModel>, EvalError> {
    let m: Box<dyn PriceModel> = match name {
        "power_law" => Box::new(models::PowerLaw::new(&config.power_law)),
        "stock_to_flow" => Box::new(models::StockToFlow::new(&config.stock_to_flow)),
        "thermocap" => Box::new(models::Thermocap::new(&config.thermocap)),
        "ensemble" => {
            let e = &config.ensemble;
            if e.members.is_empty() {
                return Err(EvalError::new(
                    "the ensemble has no members; list at least one of power_law, stock_to_flow, thermocap in `members`.",
                ));
            }
            let mut members = Vec::with_capacity(e.members.len());
            for m in &e.members {
                if m == "ensemble" {
                    return Err(EvalError::new(
                        "an ensemble cannot contain itself; members must be power_law, stock_to_flow or thermocap.",
                    ));
                }
                members.push(build(m, config)?);
            }
            Box::new(models::Ensemble::new(members, e.weighting()?)?)
        }
        other => {
            return Err(EvalError::new(format!(
                "unknown price model {other:?}; choose one of {}.",
                MODEL_NAMES.join(", ")
            )))
        }
    };
    Ok(m)
}

/// The valid (finite, positive price) observations of a dated series.
pub fn valid_history(dates: &[Day], prices: &[f64]) -> (Vec<Day>, Vec<f64>) {
    dates
        .iter()
        .zip(prices)
        .filter(|(_, p)| p.is_finite() && **p > 0.0)
        .map(|(d, p)| (*d, *p))
        .unzip()
}

/// Ordinary least squares of y on x with an intercept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Slope.
    pub slope: f64,
    /// Intercept.
    pub intercept: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Residual standard error, √(SSR/(n−2)).
    pub sigma: f64,
    /// Observations.
    pub n: usize,
}

/// Fits a line by OLS with centred (two-pass) sums, which keeps precision when x is far
/// from zero. Needs at least 3 points and some spread in x.
pub fn fit_line(x: &[f64], y: &[f64]) -> Option<Line> {
    let n = x.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let ssr: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| {
            let r = b - (intercept + slope * a);
            r * r
        })
        .sum();
    Some(Line {
        slope,
        intercept,
        r2: if syy > 0.0 { 1.0 - ssr / syy } else { f64::NAN },
        sigma: (ssr / (nf - 2.0)).sqrt(),
        n,
    })
}

/// Prefix sums of (x, y) pairs, shifted by the first valid pair, so that the least-squares
/// line over any prefix costs O(1). The shift depends only on the first observation, so
/// a prefix's fit is bit-for-bit independent of later data (no numerical look-ahead).
/// Observations may be excluded (`None`).
#[derive(Debug, Clone, Default)]
pub struct PrefixOls {
    cx: f64,
    cy: f64,
    /// Per prefix length: count, Σx', Σy', Σx'², Σx'y', Σy'² (x' = x − cx, y' = y − cy).
    sums: Vec<[f64; 6]>,
}

impl PrefixOls {
    /// Builds the sums over `points` (one entry per observation).
    pub fn new(points: &[Option<(f64, f64)>]) -> Self {
        let (cx, cy) = points
            .iter()
            .flatten()
            .next()
            .copied()
            .unwrap_or((0.0, 0.0));
        let mut sums = Vec::with_capacity(points.len() + 1);
        let mut acc = [0.0; 6];
        sums.push(acc);
        for p in points {
            if let Some((x, y)) = p {
                let (dx, dy) = (x - cx, y - cy);
                acc[0] += 1.0;
                acc[1] += dx;
                acc[2] += dy;
                acc[3] += dx * dx;
                acc[4] += dx * dy;
                acc[5] += dy * dy;
            }
            sums.push(acc);
        }
        Self { cx, cy, sums }
    }

    /// Valid observations among the first `n`.
    pub fn count(&self, n: usize) -> usize {
        self.sums[n.min(self.sums.len() - 1)][0] as usize
    }

    /// Mean of y and centred Σ(y − ȳ)² over the first `n` observations.
    pub fn y_moments(&self, n: usize) -> (f64, f64) {
        let s = self.sums[n.min(self.sums.len() - 1)];
        let k = s[0];
        (self.cy + s[2] / k, s[5] - s[2] * s[2] / k)
    }

    /// The OLS line over the first `n` observations (None below 3 points or no x spread).
    pub fn line(&self, n: usize) -> Option<Line> {
        let s = self.sums[n.min(self.sums.len() - 1)];
        let k = s[0];
        if k < 3.0 {
            return None;
        }
        let sxx = s[3] - s[1] * s[1] / k;
        let sxy = s[4] - s[1] * s[2] / k;
        let syy = s[5] - s[2] * s[2] / k;
        if sxx <= 0.0 {
            return None;
        }
        let slope = sxy / sxx;
        let intercept = (self.cy + s[2] / k) - slope * (self.cx + s[1] / k);
        let ssr = (syy - slope * sxy).max(0.0);
        Some(Line {
            slope,
            intercept,
            r2: if syy > 0.0 { 1.0 - ssr / syy } else { f64::NAN },
            sigma: (ssr / (k - 2.0)).sqrt(),
            n: k as usize,
        })
    }
}
