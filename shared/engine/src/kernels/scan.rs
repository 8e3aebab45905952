//! Running extremes (`cummax`, `cummin`, the peak of a drawdown) four values per step of
//! the carried maximum.
//!
//! Value by value, each step waits for the previous maximum (a compare and a select on
//! the chain). Four at a time, the group's own prefix maxima do not depend on what came
//! before, so only one select per group stays on the chain. A maximum is exact whichever
//! way it is grouped, so the values are the same as the value-by-value scan's.

/// The later value replaces the running extreme only when strictly beyond it (so a NaN
/// never does, and ties keep the earlier value, as pandas' `cummax`/`cummin` loops).
#[inline(always)]
fn pick<const MAX: bool>(held: f64, next: f64) -> f64 {
    let beyond = if MAX { next > held } else { next < held };
    if beyond {
        next
    } else {
        held
    }
}

/// The running maximum (`MAX`) or minimum of the non-NaN values: NaN where the input is
/// NaN (it is skipped, the extreme carries on after it), the extreme so far elsewhere.
pub fn running_extreme<const MAX: bool>(values: &[f64]) -> Vec<f64> {
    // The neutral start: nothing is beyond it except values (a NaN never is).
    let none = if MAX {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    // Written into the spare capacity: a possible reallocation call inside the loop made
    // the compiler keep the running value on the stack.
    let slots = &mut out.spare_capacity_mut()[..n];
    let mut held = none;
    let mut groups = values.chunks_exact(4);
    let mut outs = slots.chunks_exact_mut(4);
    for (g, o) in (&mut groups).zip(&mut outs) {
        // NaN enters the group's prefix as the neutral value and leaves as NaN.
        let x = g.map_or_neutral(none);
        let p1 = pick::<MAX>(x[0], x[1]);
        let p2 = pick::<MAX>(p1, x[2]);
        let p3 = pick::<MAX>(p2, x[3]);
        let run = [
            pick::<MAX>(held, x[0]),
            pick::<MAX>(held, p1),
            pick::<MAX>(held, p2),
            pick::<MAX>(held, p3),
        ];
        held = run[3];
        for ((slot, &v), r) in o.iter_mut().zip(g).zip(run) {
            slot.write(if v.is_nan() { v } else { r });
        }
    }
    for (&x, slot) in groups.remainder().iter().zip(outs.into_remainder()) {
        held = pick::<MAX>(held, x);
        slot.write(if x.is_nan() { x } else { held });
    }
    // SAFETY: the groups and their remainder wrote all `n` slots.
    unsafe { out.set_len(n) };
    out
}

/// Four values with NaN replaced by `neutral`.
trait NeutralNan {
    fn map_or_neutral(&self, neutral: f64) -> [f64; 4];
}

impl NeutralNan for [f64] {
    #[inline(always)]
    fn map_or_neutral(&self, neutral: f64) -> [f64; 4] {
        let f = |x: f64| if x.is_nan() { neutral } else { x };
        [f(self[0]), f(self[1]), f(self[2]), f(self[3])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value-by-value scan the grouped one must equal bit for bit.
    fn stepwise<const MAX: bool>(values: &[f64]) -> Vec<f64> {
        let mut held = if MAX {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        values
            .iter()
            .map(|&x| {
                if x.is_nan() {
                    return x;
                }
                held = pick::<MAX>(held, x);
                held
            })
            .collect()
    }

    #[test]
    fn grouped_running_extremes_equal_the_stepwise_scan_bit_for_bit() {
        let mut s = 0x1234_5678_9ABC_DEF1u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for n in [0, 1, 3, 4, 5, 8, 9, 1001] {
            let v: Vec<f64> = (0..n)
                .map(|_| match next() % 9 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => f64::INFINITY,
                    4 => f64::NEG_INFINITY,
                    _ => (next() % 100) as f64 - 50.0,
                })
                .collect();
            let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
            assert_eq!(
                bits(running_extreme::<true>(&v)),
                bits(stepwise::<true>(&v)),
                "max n={n}"
            );
            assert_eq!(
                bits(running_extreme::<false>(&v)),
                bits(stepwise::<false>(&v)),
                "min n={n}"
            );
        }
        let leading = running_extreme::<true>(&[f64::NAN, 2.0, f64::NAN, 1.0, 3.0]);
        assert!(leading[0].is_nan() && leading[2].is_nan());
        assert_eq!([leading[1], leading[3], leading[4]], [2.0, 2.0, 3.0]);
    }
}
