//! The price models' configuration: `seeds/config/price_models.json`, parsed from text.
//!
//! The engine does no I/O: [`Config::parse`] takes the file's text (the caller reads it),
//! and [`Config::builtin`] is the repository's file compiled in, which the DSL primitives
//! use as their defaults (a step's params override them). Unknown keys are refused so a
//! typo cannot silently fall back to a default; every range error names the key.

use serde::Deserialize;

use crate::registry::EvalError;

/// The repository's configuration file, compiled in.
pub const BUILTIN: &str = include_str!("../../../../seeds/config/price_models.json");

/// Every model's parameters and the backtest defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Format version (1).
    pub version: u32,
    /// Free text for readers of the file.
    #[serde(default)]
    pub description: String,
    /// Power-law model.
    pub power_law: PowerLawConfig,
    /// Stock-to-flow model.
    pub stock_to_flow: StockToFlowConfig,
    /// Thermocap model.
    pub thermocap: ThermocapConfig,
    /// Ensemble of the others.
    pub ensemble: EnsembleConfig,
    /// Walk-forward defaults.
    pub backtest: BacktestConfig,
}

/// Power law: log10(price) = a + b·log10(days since genesis).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerLawConfig {
    /// Band half-width in residual standard errors.
    pub band_sigmas: f64,
    /// Fewest prices a fit accepts.
    pub min_points: usize,
}

/// Stock-to-flow: ln(price) = a·ln(S2F) + b.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockToFlowConfig {
    /// `published` (use `a`, `b`) or `fit` (refit by OLS).
    pub coefficients: String,
    /// Published slope.
    pub a: f64,
    /// Published intercept.
    pub b: f64,
    /// Trailing window of the annualized flow, in days.
    pub flow_window_days: i32,
    /// Band half-width in residual standard deviations.
    pub band_sigmas: f64,
    /// Fewest prices a fit accepts.
    pub min_points: usize,
}

/// Thermocap: price = m·thermocap/supply.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermocapConfig {
    /// Band half-width in standard deviations of ln(multiple).
    pub band_sigmas: f64,
    /// Fewest prices a fit accepts.
    pub min_points: usize,
}

/// Ensemble of other models.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleConfig {
    /// Member model names.
    pub members: Vec<String>,
    /// `fixed` (use `weights`), `equal` or `inverse_error`.
    pub weighting: String,
    /// Fixed weights, one per member (normalised to sum 1).
    #[serde(default)]
    pub weights: Vec<f64>,
    /// Observations of recent error behind inverse-error weights.
    pub lookback_days: usize,
}

/// How an ensemble weighs its members.
#[derive(Debug, Clone, PartialEq)]
pub enum Weighting {
    /// These weights (summing to 1).
    Fixed(Vec<f64>),
    /// 1/MAPE over the last `lookback` observations of the fit history, normalised.
    InverseError {
        /// Observations.
        lookback: usize,
    },
}

impl EnsembleConfig {
    /// The weighting, checked against the members.
    pub fn weighting(&self) -> Result<Weighting, EvalError> {
        match self.weighting.as_str() {
            "equal" => Ok(Weighting::Fixed(vec![
                1.0 / self.members.len().max(1) as f64;
                self.members.len()
            ])),
            "fixed" => normalised_weights(&self.weights, self.members.len()).map(Weighting::Fixed),
            "inverse_error" => {
                if self.lookback_days < 2 {
                    return Err(EvalError::new(format!(
                        "ensemble `lookback_days` must be at least 2, got {}.",
                        self.lookback_days
                    )));
                }
                Ok(Weighting::InverseError {
                    lookback: self.lookback_days,
                })
            }
            other => Err(EvalError::new(format!(
                "ensemble `weighting` must be equal, fixed or inverse_error, got {other:?}."
            ))),
        }
    }
}

/// Checks `weights` (one per member, non-negative, positive sum) and scales them to sum 1.
pub fn normalised_weights(weights: &[f64], members: usize) -> Result<Vec<f64>, EvalError> {
    if weights.len() != members {
        return Err(EvalError::new(format!(
            "`weights` must have one entry per ensemble member ({members}), got {}.",
            weights.len()
        )));
    }
    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
        return Err(EvalError::new(format!(
            "`weights` must be 0 or more, got {w}."
        )));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(EvalError::new(
            "`weights` must not all be 0; give at least one positive weight.",
        ));
    }
    Ok(weights.iter().map(|w| w / total).collect())
}

/// Walk-forward backtest defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestConfig {
    /// Observations before the first prediction.
    pub min_train_days: usize,
    /// Refit after this many predictions.
    pub refit_every: usize,
    /// Rolling window of the error series.
    pub error_window: usize,
}

impl Config {
    /// Parses and checks a configuration file's text.
    pub fn parse(text: &str) -> Result<Config, EvalError> {
        let c: Config = serde_json::from_str(text)
            .map_err(|e| EvalError::new(format!("price model configuration is not valid: {e}.")))?;
        c.check()?;
        Ok(c)
    }

    /// The repository's configuration (checked by a test, so this cannot fail at run time
    /// unless the file is broken, which the test catches first).
    pub fn builtin() -> &'static Config {
        static C: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
        C.get_or_init(|| Config::parse(BUILTIN).expect("seeds/config/price_models.json is valid"))
    }

    fn check(&self) -> Result<(), EvalError> {
        let bad = |key: &str, range: &str, got: String| {
            Err(EvalError::new(format!(
                "price model configuration: `{key}` must be {range}, got {got}."
            )))
        };
        if self.version != 1 {
            return bad("version", "1", self.version.to_string());
        }
        for (key, v) in [
            ("power_law.band_sigmas", self.power_law.band_sigmas),
            ("stock_to_flow.band_sigmas", self.stock_to_flow.band_sigmas),
            ("thermocap.band_sigmas", self.thermocap.band_sigmas),
        ] {
            if !(0.0..=10.0).contains(&v) {
                return bad(key, "between 0 and 10", v.to_string());
            }
        }
        for (key, v) in [
            ("power_law.min_points", self.power_law.min_points),
            ("stock_to_flow.min_points", self.stock_to_flow.min_points),
            ("thermocap.min_points", self.thermocap.min_points),
        ] {
            if v < 3 {
                return bad(key, "at least 3", v.to_string());
            }
        }
        if !matches!(
            self.stock_to_flow.coefficients.as_str(),
            "published" | "fit"
        ) {
            return bad(
                "stock_to_flow.coefficients",
                "published or fit",
                format!("{:?}", self.stock_to_flow.coefficients),
            );
        }
        if !(1..=3650).contains(&self.stock_to_flow.flow_window_days) {
            return bad(
                "stock_to_flow.flow_window_days",
                "between 1 and 3650",
                self.stock_to_flow.flow_window_days.to_string(),
            );
        }
        if self.ensemble.members.is_empty() {
            return bad("ensemble.members", "a non-empty list", "[]".into());
        }
        self.ensemble.weighting()?;
        if self.backtest.refit_every == 0 {
            return bad("backtest.refit_every", "at least 1", "0".into());
        }
        if self.backtest.error_window == 0 {
            return bad("backtest.error_window", "at least 1", "0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_file_parses() {
        let c = Config::parse(BUILTIN).expect("valid");
        assert_eq!(c.stock_to_flow.a, 3.36);
        assert_eq!(c.stock_to_flow.b, -1.84);
        assert_eq!(c.ensemble.members.len(), 3);
        for name in &c.ensemble.members {
            assert!(super::super::build(name, &c).is_ok(), "{name}");
        }
        assert!(super::super::build("ensemble", &c).is_ok());
    }

    #[test]
    fn bad_files_are_refused_with_the_key() {
        let typo = BUILTIN.replace(
            "\"band_sigmas\": 2.0,\n    \"min_points\": 30\n  },\n  \"stock",
            "\"band_sigma\": 2.0,\n    \"min_points\": 30\n  },\n  \"stock",
        );
        assert!(Config::parse(&typo)
            .unwrap_err()
            .message
            .contains("band_sigma"));
        let empty = BUILTIN.replace(
            "\"members\": [\"power_law\", \"stock_to_flow\", \"thermocap\"]",
            "\"members\": []",
        );
        let e = Config::parse(&empty).unwrap_err().message;
        assert!(e.contains("ensemble.members"), "{e}");
        let neg = BUILTIN.replace("\"flow_window_days\": 365", "\"flow_window_days\": 0");
        let e = Config::parse(&neg).unwrap_err().message;
        assert!(
            e.contains("flow_window_days") && e.contains("between 1 and 3650"),
            "{e}"
        );
    }
}
