//! Black–Scholes–Merton prices and greeks for the synthetic option chains, with a normal
//! CDF accurate to about 1e-15 (series for small |x|, continued fraction in the tails).

use std::f64::consts::{PI, SQRT_2};

/// erfc(x) for x >= 0.
fn erfc_pos(x: f64) -> f64 {
    if x < 2.5 {
        // erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1·3···(2n+1)): all terms positive,
        // so no cancellation.
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 / PI.sqrt() * (-x * x).exp() * sum
    } else {
        // erfc(x) = e^{-x^2}/sqrt(pi) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by Lentz.
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for k in 1..200 {
            let a = k as f64 / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / PI.sqrt() / f
    }
}

/// The standard normal CDF.
pub fn norm_cdf(x: f64) -> f64 {
    let z = x / SQRT_2;
    if z >= 0.0 {
        1.0 - 0.5 * erfc_pos(z)
    } else {
        0.5 * erfc_pos(-z)
    }
}

/// The standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// A price and its greeks. Theta is per calendar day and vega per volatility point
/// (0.01), as option chains quote them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    /// Premium.
    pub price: f64,
    /// dV/dS.
    pub delta: f64,
    /// d²V/dS².
    pub gamma: f64,
    /// dV/dt per calendar day.
    pub theta: f64,
    /// dV/dσ per 1 volatility point.
    pub vega: f64,
}

/// Prices a European call (`call = true`) or put: spot `s`, strike `k`, years `t`, rate `r`,
/// dividend yield `q`, volatility `sigma` (all > 0 except rates).
pub fn price(call: bool, s: f64, k: f64, t: f64, r: f64, q: f64, sigma: f64) -> Priced {
    let sqrt_t = t.sqrt();
    let d1 = ((s / k).ln() + (r - q + 0.5 * sigma * sigma) * t) / (sigma * sqrt_t);
    let d2 = d1 - sigma * sqrt_t;
    let dq = (-q * t).exp();
    let dr = (-r * t).exp();
    let pdf = norm_pdf(d1);
    let gamma = dq * pdf / (s * sigma * sqrt_t);
    let vega = s * dq * pdf * sqrt_t / 100.0;
    let common = -s * dq * pdf * sigma / (2.0 * sqrt_t);
    let (price, delta, theta_y) = if call {
        (
            s * dq * norm_cdf(d1) - k * dr * norm_cdf(d2),
            dq * norm_cdf(d1),
            common - r * k * dr * norm_cdf(d2) + q * s * dq * norm_cdf(d1),
        )
    } else {
        (
            k * dr * norm_cdf(-d2) - s * dq * norm_cdf(-d1),
            -dq * norm_cdf(-d1),
            common + r * k * dr * norm_cdf(-d2) - q * s * dq * norm_cdf(-d1),
        )
    };
    Priced {
        price,
        delta,
        gamma,
        theta: theta_y / 365.0,
        vega,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_matches_known_values() {
        // Expected values from scipy.stats.norm.cdf.
        let cases = [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_542_9),
            (-1.959_963_984_540_054, 0.025),
            (3.0, 0.998_650_101_968_369_9),
            (-5.0, 2.866_515_718_791_933e-7),
            (-2.6, 0.004_661_188_023_718_747),
            (2.4, 0.991_802_464_075_403_8),
            (-10.0, 7.619_853_024_160_47e-24),
        ];
        for (x, want) in cases {
            let got = norm_cdf(x);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "Phi({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn textbook_price_and_parity() {
        // Hull's example: S=42, K=40, r=10%, sigma=20%, T=0.5; expected values from scipy.
        let c = price(true, 42.0, 40.0, 0.5, 0.1, 0.0, 0.2);
        let p = price(false, 42.0, 40.0, 0.5, 0.1, 0.0, 0.2);
        assert!(
            (c.price - 4.759_422_392_871_532).abs() < 1e-9,
            "{}",
            c.price
        );
        assert!(
            (p.price - 0.808_599_372_900_092_2).abs() < 1e-9,
            "{}",
            p.price
        );
        let parity = c.price - p.price - (42.0 - 40.0 * (-0.05f64).exp());
        assert!(parity.abs() < 1e-12);
        assert!((c.delta - p.delta - 1.0).abs() < 1e-12);
        assert!(c.gamma > 0.0 && c.vega > 0.0 && c.theta < 0.0);
    }
}
