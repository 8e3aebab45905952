//! First-order linear recurrences `y_t = d·y_{t−1} + c·x_t` (the steady state of an
//! exponential average) evaluated four steps at a time.
//!
//! Step by step, each value waits for the previous one: one fused multiply-add of latency
//! (four cycles here) per value, whatever the width of the machine. Unrolled by four,
//!
//! ```text
//! y_{t+1} = d·y_t  + p₁        p₁ = u₁
//! y_{t+2} = d²·y_t + p₂        p₂ = d·p₁ + u₂
//! y_{t+3} = d³·y_t + p₃        p₃ = d·p₂ + u₃
//! y_{t+4} = d⁴·y_t + p₄        p₄ = d·p₃ + u₄        (u_i = c·x_{t+i})
//! ```
//!
//! the partial sums `p` do not depend on `y_t`, so the processor computes them ahead, and
//! only one multiply-add per four values stays on the chain. The grouping rounds
//! differently from the step-by-step recurrence: each output is within a few ulps of the
//! largest term it sums (tested), and since |d| < 1 no error is carried forward and grows.

use std::mem::MaybeUninit;

/// Appends `y_1 … y_n` of `y_t = d·y_{t−1} + c·x_t` from `y_0 = start` and returns the last
/// (`start` when `x` is empty). See [`affine_scan_into`].
#[inline(always)]
pub fn affine_scan(x: &[f64], d: f64, c: f64, start: f64, out: &mut Vec<f64>) -> f64 {
    let n = x.len();
    let before = out.len();
    out.reserve(n);
    let y = affine_scan_into(x, d, c, start, &mut out.spare_capacity_mut()[..n]);
    // SAFETY: `affine_scan_into` wrote every one of the `n` slots after `before`.
    unsafe { out.set_len(before + n) };
    y
}

/// [`affine_scan`] as a function of its own, compiled with FMA: for callers whose own loop
/// would crowd its registers (inlined into the EWM loop, the running value went through
/// the stack at every group: three times slower).
///
/// # Safety
/// The CPU must support FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
#[inline(never)]
pub unsafe fn affine_scan_fma(x: &[f64], d: f64, c: f64, start: f64, out: &mut Vec<f64>) -> f64 {
    affine_scan(x, d, c, start, out)
}

/// Writes `y_1 … y_n` of `y_t = d·y_{t−1} + c·x_t` from `y_0 = start` into `out` (as long
/// as `x`: every slot is written) and returns the last (`start` when `x` is empty).
///
/// A group of four values all equal to the running value leaves it unchanged (a constant
/// series stays exactly constant, as the step-by-step loops skip equal values). The caller
/// compiles this with FMA where it can (the function is always inlined into its caller).
#[inline(always)]
pub fn affine_scan_into(
    x: &[f64],
    d: f64,
    c: f64,
    start: f64,
    out: &mut [MaybeUninit<f64>],
) -> f64 {
    assert_eq!(x.len(), out.len(), "one output slot per input value");
    let (d2, d3) = (d * d, d * d * d);
    let d4 = d2 * d2;
    let mut y = start;
    let mut groups = x.chunks_exact(4);
    let mut slots = out.chunks_exact_mut(4);
    for (g, o) in (&mut groups).zip(&mut slots) {
        if g[0] == y && g[1] == y && g[2] == y && g[3] == y {
            for s in o.iter_mut() {
                s.write(y);
            }
            continue;
        }
        let u = [c * g[0], c * g[1], c * g[2], c * g[3]];
        let p2 = d.mul_add(u[0], u[1]);
        let p3 = d.mul_add(p2, u[2]);
        let p4 = d.mul_add(p3, u[3]);
        o[0].write(d.mul_add(y, u[0]));
        o[1].write(d2.mul_add(y, p2));
        o[2].write(d3.mul_add(y, p3));
        y = d4.mul_add(y, p4);
        o[3].write(y);
    }
    for (&v, s) in groups.remainder().iter().zip(slots.into_remainder()) {
        if v != y {
            y = d.mul_add(y, c * v);
        }
        s.write(y);
    }
    y
}

/// Two recurrences with the same factors side by side (RSI's average gain and loss): the
/// two carried chains interleave, so each costs about what one alone does. Writes
/// `outs.0[i]`, `outs.1[i]` for every `i < x.0.len()` (both inputs and outputs equally
/// long) and returns the two last values. No equal-value skip: a run of zeros (a flat
/// market) stays exactly zero anyway.
#[inline(always)]
pub fn affine_scan_pair_into(
    x: (&[f64], &[f64]),
    d: f64,
    c: f64,
    start: (f64, f64),
    outs: (&mut [MaybeUninit<f64>], &mut [MaybeUninit<f64>]),
) -> (f64, f64) {
    let n = x.0.len();
    assert!(
        x.1.len() == n && outs.0.len() == n && outs.1.len() == n,
        "one output slot per input value, in both recurrences"
    );
    let (d2, d3) = (d * d, d * d * d);
    let d4 = d2 * d2;
    let (mut ya, mut yb) = start;
    let groups = n / 4 * 4;
    for g in (0..groups).step_by(4) {
        let ua = [c * x.0[g], c * x.0[g + 1], c * x.0[g + 2], c * x.0[g + 3]];
        let ub = [c * x.1[g], c * x.1[g + 1], c * x.1[g + 2], c * x.1[g + 3]];
        let (pa2, pb2) = (d.mul_add(ua[0], ua[1]), d.mul_add(ub[0], ub[1]));
        let (pa3, pb3) = (d.mul_add(pa2, ua[2]), d.mul_add(pb2, ub[2]));
        let (pa4, pb4) = (d.mul_add(pa3, ua[3]), d.mul_add(pb3, ub[3]));
        outs.0[g].write(d.mul_add(ya, ua[0]));
        outs.1[g].write(d.mul_add(yb, ub[0]));
        outs.0[g + 1].write(d2.mul_add(ya, pa2));
        outs.1[g + 1].write(d2.mul_add(yb, pb2));
        outs.0[g + 2].write(d3.mul_add(ya, pa3));
        outs.1[g + 2].write(d3.mul_add(yb, pb3));
        ya = d4.mul_add(ya, pa4);
        yb = d4.mul_add(yb, pb4);
        outs.0[g + 3].write(ya);
        outs.1[g + 3].write(yb);
    }
    for i in groups..n {
        ya = d.mul_add(ya, c * x.0[i]);
        yb = d.mul_add(yb, c * x.1[i]);
        outs.0[i].write(ya);
        outs.1[i].write(yb);
    }
    (ya, yb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step-by-step recurrence, in exact-as-possible arithmetic (f64 with FMA).
    fn stepwise(x: &[f64], d: f64, c: f64, start: f64) -> Vec<f64> {
        let mut y = start;
        x.iter()
            .map(|&v| {
                y = d.mul_add(y, c * v);
                y
            })
            .collect()
    }

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn four_at_a_time_stays_within_ulps_of_the_stepwise_recurrence() {
        for (n, alpha, scale, offset) in [
            (1_003, 0.1, 1.0, 100.0),
            (4_000, 2.0 / 21.0, 1e9, 0.0),
            (997, 0.9, 1e-6, 0.0),
            (5, 0.5, 3.0, -7.0),
            (3, 0.3, 1.0, 1.0),
            (0, 0.3, 1.0, 1.0),
        ] {
            let x: Vec<f64> = noise(n, n as u64 + 5)
                .iter()
                .map(|v| offset + scale * v)
                .collect();
            let (d, c) = (1.0 - alpha, alpha);
            let start = offset + scale * 0.25;
            let mut got = vec![-1.0];
            let last = affine_scan(&x, d, c, start, &mut got);
            assert_eq!(got.len(), n + 1, "appends after what was there");
            assert_eq!(got[0], -1.0);
            let want = stepwise(&x, d, c, start);
            assert_eq!(last, if n == 0 { start } else { got[n] });
            // Every term is bounded by the largest |x|: the error is a few ulps of that.
            let bound = x.iter().fold(start.abs(), |m, v| m.max(v.abs())) * 8.0 * f64::EPSILON;
            for (i, (g, w)) in got[1..].iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= bound,
                    "n {n} alpha {alpha} at {i}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn a_constant_run_stays_exactly_constant() {
        let x = vec![0.1; 23];
        let mut got = Vec::new();
        let last = affine_scan(&x, 0.9, 0.1, 0.1, &mut got);
        assert!(got.iter().all(|&v| v == 0.1), "{got:?}");
        assert_eq!(last, 0.1);
    }
}
