//! Black–Scholes–Merton pricing, greeks and implied volatility for the options family, and
//! the normal distribution functions they rest on.
//!
//! The formulas follow QuantLib's `BlackCalculator` (as used by `AnalyticEuropeanEngine`
//! with a `BlackScholesMertonProcess` on flat curves) term by term: the forward
//! `F = S·e^{-qT}/e^{-rT}`, `d1 = ln(F/K)/σ√T + σ√T/2`, the price written as
//! `D·(F·α + K·β)` with `α = N(d1)` (call) or `N(d1) − 1` (put), and each greek as
//! QuantLib differentiates it. Keeping QuantLib's arrangement (rather than the textbook
//! one) keeps rounding the same, so golden cases match at 1e-9 relative.
//!
//! Units (QuantLib's): vega and rho per 1.0 change of volatility and rate, theta per year.
//!
//! `erfc` is computed here (std's `erf` is unstable): a positive-term series below 2 and a
//! continued fraction above, both accurate to a few ulps, so `N(x)` keeps full relative
//! precision in the lower tail.

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionType {
    /// Right to buy at the strike.
    Call,
    /// Right to sell at the strike.
    Put,
}

impl OptionType {
    /// Parses `call`/`put` (also `c`/`p`, any case).
    pub fn parse(s: &str) -> Option<OptionType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "call" | "c" => Some(OptionType::Call),
            "put" | "p" => Some(OptionType::Put),
            _ => None,
        }
    }
}

/// The inputs of one European option valuation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contract {
    /// Call or put.
    pub kind: OptionType,
    /// Underlying price, > 0.
    pub spot: f64,
    /// Strike, > 0.
    pub strike: f64,
    /// Years to expiry (ACT/365), > 0.
    pub t: f64,
    /// Continuously compounded risk-free rate.
    pub rate: f64,
    /// Continuously compounded dividend yield.
    pub dividend: f64,
}

/// Price sensitivities in QuantLib's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Greeks {
    /// ∂V/∂S.
    pub delta: f64,
    /// ∂²V/∂S².
    pub gamma: f64,
    /// ∂V/∂σ per 1.0 of volatility.
    pub vega: f64,
    /// Time decay per year (−∂V/∂T, QuantLib's sign).
    pub theta: f64,
    /// ∂V/∂r per 1.0 of rate.
    pub rho: f64,
}

const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Complementary error function, accurate to a few ulps over the whole line.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.5 {
        return 0.0; // below the smallest subnormal
    }
    // Even contraction of the Laplace continued fraction:
    // erfc(x) = 2x e^{-x²}/√π / (b0 + a1/(b1 + a2/(b2 + …))), b_n = 2x²+1+4n,
    // a_n = −(2n−1)(2n); evaluated with the modified Lentz algorithm.
    let x2 = x * x;
    let tiny = 1e-300;
    let mut f = 2.0 * x2 + 1.0;
    let mut c = f;
    let mut d = 0.0;
    for n in 1..2000 {
        let nf = n as f64;
        let a = -(2.0 * nf - 1.0) * (2.0 * nf);
        let b = 2.0 * x2 + 1.0 + 4.0 * nf;
        d = b + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    2.0 * x * (-x2).exp() * FRAC_1_SQRT_PI / f
}

/// erf(x) for 0 ≤ x < 2 from the series 2x e^{-x²}/√π · Σ (2x²)^n / (2n+1)!!, whose terms
/// are all positive (no cancellation).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 0.0;
    while term > sum * 1e-17 {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 * x * FRAC_1_SQRT_PI * (-x2).exp() * sum
}

/// Standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Standard normal cumulative distribution, full relative precision in both tails.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Inverse of [`norm_cdf`] for p in (0, 1); ±inf at 0 and 1, NaN outside.
pub fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // Start from Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then polish with Halley
    // steps on the lower-tail side, where norm_cdf keeps full precision.
    let (q, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    let t = (-2.0 * q.ln()).sqrt();
    let mut x = -(t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t));
    // Solving on the lower side keeps full precision: for p ≥ 0.5, q = 1 − p is exact
    // (Sterbenz), and Φ near 0 is accurate where Φ near 1 would round.
    for _ in 0..50 {
        let err = norm_cdf(x) - q;
        let pdf = norm_pdf(x);
        if pdf == 0.0 {
            break;
        }
        let u = err / pdf;
        let step = u / (1.0 + 0.5 * x * u);
        x -= step;
        if step.abs() <= 1e-16 * x.abs().max(1e-300) {
            break;
        }
    }
    // x solves Φ(x) = q on the lower side; Φ(−x) = 1 − q.
    if sign < 0.0 {
        x
    } else {
        -x
    }
}

/// The intermediate quantities of QuantLib's BlackCalculator.
struct Black {
    discount: f64,
    forward: f64,
    std_dev: f64,
    variance: f64,
    d1: f64,
    d2: f64,
    alpha: f64,
    beta: f64,
    dalpha_dd1: f64,
    dbeta_dd2: f64,
    strike: f64,
}

impl Black {
    fn new(c: &Contract, vol: f64) -> Black {
        let discount = (-c.rate * c.t).exp();
        let dividend_discount = (-c.dividend * c.t).exp();
        let forward = c.spot * dividend_discount / discount;
        let variance = vol * vol * c.t;
        let std_dev = variance.sqrt();
        let d1 = (forward / c.strike).ln() / std_dev + 0.5 * std_dev;
        let d2 = d1 - std_dev;
        let (cum_d1, cum_d2) = (norm_cdf(d1), norm_cdf(d2));
        let (n_d1, n_d2) = (norm_pdf(d1), norm_pdf(d2));
        let (alpha, beta) = match c.kind {
            OptionType::Call => (cum_d1, -cum_d2),
            OptionType::Put => (cum_d1 - 1.0, 1.0 - cum_d2),
        };
        Black {
            discount,
            forward,
            std_dev,
            variance,
            d1,
            d2,
            alpha,
            beta,
            dalpha_dd1: n_d1,
            dbeta_dd2: -n_d2,
            strike: c.strike,
        }
    }

    fn value(&self) -> f64 {
        self.discount * (self.forward * self.alpha + self.strike * self.beta)
    }

    fn delta(&self, spot: f64) -> f64 {
        let dforward_ds = self.forward / spot;
        let temp = self.std_dev * spot;
        let dalpha_ds = self.dalpha_dd1 / temp;
        let dbeta_ds = self.dbeta_dd2 / temp;
        let temp2 = dalpha_ds * self.forward + self.alpha * dforward_ds + dbeta_ds * self.strike;
        self.discount * temp2
    }

    fn gamma(&self, spot: f64) -> f64 {
        let dforward_ds = self.forward / spot;
        let temp = self.std_dev * spot;
        let dalpha_ds = self.dalpha_dd1 / temp;
        let dbeta_ds = self.dbeta_dd2 / temp;
        let d2alpha_ds2 = -dalpha_ds / spot * (1.0 + self.d1 / self.std_dev);
        let d2beta_ds2 = -dbeta_ds / spot * (1.0 + self.d2 / self.std_dev);
        let temp2 =
            d2alpha_ds2 * self.forward + 2.0 * dalpha_ds * dforward_ds + d2beta_ds2 * self.strike;
        self.discount * temp2
    }

    fn vega(&self, t: f64) -> f64 {
        let temp = (self.strike / self.forward).ln() / self.variance;
        let dalpha_dsigma = self.dalpha_dd1 * (temp + 0.5);
        let dbeta_dsigma = self.dbeta_dd2 * (temp - 0.5);
        let temp2 = dalpha_dsigma * self.forward + dbeta_dsigma * self.strike;
        self.discount * t.sqrt() * temp2
    }

    fn rho(&self, t: f64) -> f64 {
        let dalpha_dr = self.dalpha_dd1 / self.std_dev;
        let dbeta_dr = self.dbeta_dd2 / self.std_dev;
        let temp = dalpha_dr * self.forward + self.alpha * self.forward + dbeta_dr * self.strike;
        t * (self.discount * temp - self.value())
    }

    fn theta(&self, spot: f64, t: f64) -> f64 {
        -(self.discount.ln() * self.value()
            + (self.forward / spot).ln() * spot * self.delta(spot)
            + 0.5 * self.variance * spot * spot * self.gamma(spot))
            / t
    }
}

/// The option's price at volatility `vol`.
pub fn price(c: &Contract, vol: f64) -> f64 {
    Black::new(c, vol).value()
}

/// Price and greeks at volatility `vol`.
pub fn greeks(c: &Contract, vol: f64) -> (f64, Greeks) {
    let b = Black::new(c, vol);
    let g = Greeks {
        delta: b.delta(c.spot),
        gamma: b.gamma(c.spot),
        vega: b.vega(c.t),
        theta: b.theta(c.spot, c.t),
        rho: b.rho(c.t),
    };
    (b.value(), g)
}

/// Why no implied volatility exists for a price.
#[derive(Debug, Clone, PartialEq)]
pub enum NoSolution {
    /// The price is at or below the discounted intrinsic value (the zero-volatility price).
    BelowIntrinsic {
        /// The lower no-arbitrage bound.
        bound: f64,
    },
    /// The price is at or above the infinite-volatility price (discounted forward for a
    /// call, discounted strike for a put).
    AboveMaximum {
        /// The upper no-arbitrage bound.
        bound: f64,
    },
    /// The volatility would exceed [`MAX_VOL`].
    TooHigh,
}

impl NoSolution {
    /// A sentence saying why, for a price `p`.
    pub fn reason(&self, p: f64) -> String {
        match self {
            NoSolution::BelowIntrinsic { bound } => format!(
                "price {p} is not above the option's discounted intrinsic value {bound:.10}, the price at zero volatility, so no volatility reproduces it"
            ),
            NoSolution::AboveMaximum { bound } => format!(
                "price {p} is not below {bound:.10}, the price at infinite volatility (no-arbitrage upper bound), so no volatility reproduces it"
            ),
            NoSolution::TooHigh => format!(
                "price {p} needs a volatility above {MAX_VOL} (i.e. {}%), outside the solver's range",
                MAX_VOL * 100.0
            ),
        }
    }
}

/// Largest volatility the solver searches (1000% a year).
pub const MAX_VOL: f64 = 10.0;

/// The volatility whose price equals `target`: safeguarded Newton inside a bracket that
/// shrinks every step (bisection whenever Newton would leave it), on [1e-9, MAX_VOL].
/// The price is increasing in volatility, so a solution is unique when it exists.
pub fn implied_vol(c: &Contract, target: f64) -> Result<f64, NoSolution> {
    let discount = (-c.rate * c.t).exp();
    let forward = c.spot * (-c.dividend * c.t).exp() / discount;
    let (lower, upper) = match c.kind {
        OptionType::Call => (discount * (forward - c.strike).max(0.0), discount * forward),
        OptionType::Put => (
            discount * (c.strike - forward).max(0.0),
            discount * c.strike,
        ),
    };
    if target <= lower {
        return Err(NoSolution::BelowIntrinsic { bound: lower });
    }
    if target >= upper {
        return Err(NoSolution::AboveMaximum { bound: upper });
    }
    let f = |v: f64| price(c, v) - target;
    let (mut lo, mut hi) = (1e-9, MAX_VOL);
    if f(hi) < 0.0 {
        return Err(NoSolution::TooHigh);
    }
    if f(lo) >= 0.0 {
        return Ok(lo);
    }
    // Brenner–Subrahmanyam start: σ ≈ √(2π/T)·price/S, clamped into the bracket.
    let mut v = ((2.0 * std::f64::consts::PI / c.t).sqrt() * target / c.spot).clamp(0.01, 2.0);
    for _ in 0..200 {
        let b = Black::new(c, v);
        let fv = b.value() - target;
        if fv == 0.0 {
            return Ok(v);
        }
        if fv < 0.0 {
            lo = v;
        } else {
            hi = v;
        }
        let vega = b.vega(c.t);
        let newton = v - fv / vega;
        let next = if vega > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - v).abs() <= 1e-15 * v.max(1e-6) || hi - lo <= 1e-15 * hi {
            return Ok(next);
        }
        v = next;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // Values from the defining integrals (high-precision tables).
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (1.999, 0.004_698_443_348_629_486_5),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (6.0, 2.151_973_671_249_891_3e-17),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 2e-13,
                "erfc({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn ppf_inverts_cdf() {
        for &p in &[1e-12, 1e-6, 0.01, 0.16, 0.5, 0.84, 0.975, 0.999_999] {
            let x = norm_ppf(p);
            let back = norm_cdf(x);
            assert!(((back - p) / p).abs() < 1e-13, "p={p} x={x} back={back}");
        }
        assert!((norm_ppf(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
    }

    #[test]
    fn put_call_parity_and_iv_roundtrip() {
        let call = Contract {
            kind: OptionType::Call,
            spot: 100.0,
            strike: 95.0,
            t: 0.5,
            rate: 0.03,
            dividend: 0.01,
        };
        let put = Contract {
            kind: OptionType::Put,
            ..call
        };
        let (c, p) = (price(&call, 0.25), price(&put, 0.25));
        let parity = 100.0 * (-0.01f64 * 0.5).exp() - 95.0 * (-0.03f64 * 0.5).exp();
        assert!((c - p - parity).abs() < 1e-12);
        let iv = implied_vol(&put, p).expect("solvable");
        assert!((iv - 0.25).abs() < 1e-12, "{iv}");
        assert!(matches!(
            implied_vol(&call, 1.0),
            Err(NoSolution::BelowIntrinsic { .. })
        ));
        assert!(matches!(
            implied_vol(&call, 120.0),
            Err(NoSolution::AboveMaximum { .. })
        ));
    }
}
