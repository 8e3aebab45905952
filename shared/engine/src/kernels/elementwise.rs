//! Elementwise maps over f64 slices into fresh vectors, compiled both for the baseline
//! target and (on x86-64) for AVX2, chosen at run time: divisions, square roots,
//! comparisons and roundings then run four lanes at a time. The closure is inlined into
//! each version, so results are the same whichever runs (no fused multiply-add is
//! enabled, and Rust never contracts arithmetic on its own).

/// Appends `f(x)` for every `x` of `xs` to `out`, writing straight into its spare
/// capacity. The loop is plain slice iteration, always inlined, so it is compiled with the
/// caller's target features: `Vec::extend`/`collect` go through library functions that
/// are not inlined into the AVX2 copies and would run the closure with baseline SSE2.
#[inline(always)]
fn append_map<F: Fn(f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], f: &F) {
    out.reserve(xs.len());
    let at = out.len();
    for (slot, &x) in out.spare_capacity_mut()[..xs.len()].iter_mut().zip(xs) {
        slot.write(f(x));
    }
    // SAFETY: `reserve` made `xs.len()` spare slots, and the loop wrote each of them.
    unsafe { out.set_len(at + xs.len()) };
}

/// [`append_map`] over pairs of `xs` and `ys` (the shorter length).
#[inline(always)]
fn append_zip<F: Fn(f64, f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: &F) {
    let n = xs.len().min(ys.len());
    out.reserve(n);
    let at = out.len();
    let slots = out.spare_capacity_mut()[..n].iter_mut();
    for ((slot, &x), &y) in slots.zip(&xs[..n]).zip(&ys[..n]) {
        slot.write(f(x, y));
    }
    // SAFETY: `reserve` made `n` spare slots, and the loop wrote each of them.
    unsafe { out.set_len(at + n) };
}

/// `f` over every value of `xs`.
#[inline(always)]
fn map_body<F: Fn(f64) -> f64>(xs: &[f64], f: &F) -> Vec<f64> {
    let mut out = Vec::new();
    append_map(&mut out, xs, f);
    out
}

/// `f` over `xs` in place (a loop that vectorises).
#[inline(always)]
fn update_body<F: Fn(f64) -> f64>(xs: &mut [f64], f: &F) {
    for x in xs.iter_mut() {
        *x = f(*x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn update_avx512<F: Fn(f64) -> f64>(xs: &mut [f64], f: &F) {
    update_body(xs, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn update_wide<F: Fn(f64) -> f64>(xs: &mut [f64], f: &F) {
    update_body(xs, f);
}

/// `f` applied to every value in place (no new vector: for a pass over a kernel's own
/// output, e.g. the square roots of rolling variances).
pub fn update(xs: &mut [f64], f: impl Fn(f64) -> f64) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU supports the AVX-512 subsets, AVX2 and FMA (checked by `avx512`).
        return unsafe { update_avx512(xs, &f) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { update_wide(xs, &f) };
    }
    update_body(xs, &f);
}

/// `f` over pairs of `xs` and `ys` (the shorter length).
#[inline(always)]
fn zip_body<F: Fn(f64, f64) -> f64>(xs: &[f64], ys: &[f64], f: &F) -> Vec<f64> {
    let mut out = Vec::new();
    append_zip(&mut out, xs, ys, f);
    out
}

/// `f` over pairs of `xs` and `ys`, appended to `out`.
#[inline(always)]
fn zip_extend_body<F: Fn(f64, f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: &F) {
    append_zip(out, xs, ys, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn zip_extend_wide<F: Fn(f64, f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: &F) {
    zip_extend_body(out, xs, ys, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn map_wide<F: Fn(f64) -> f64>(xs: &[f64], f: &F) -> Vec<f64> {
    map_body(xs, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn zip_wide<F: Fn(f64, f64) -> f64>(xs: &[f64], ys: &[f64], f: &F) -> Vec<f64> {
    zip_body(xs, ys, f)
}

/// [`map_body`] in 512-bit vectors: divisions, square roots and roundings take fewer
/// instructions per value (a memory-bound map gains nothing, and loses nothing).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn map_avx512<F: Fn(f64) -> f64>(xs: &[f64], f: &F) -> Vec<f64> {
    map_body(xs, f)
}

/// `f` applied to every value.
pub fn map(xs: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU supports the AVX-512 subsets, AVX2 and FMA (checked by `avx512`).
        return unsafe { map_avx512(xs, &f) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { map_wide(xs, &f) };
    }
    map_body(xs, &f)
}

/// [`zip_body`] in 512-bit vectors (see [`map_avx512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn zip_avx512<F: Fn(f64, f64) -> f64>(xs: &[f64], ys: &[f64], f: &F) -> Vec<f64> {
    zip_body(xs, ys, f)
}

/// [`zip_extend_body`] in 512-bit vectors (see [`map_avx512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn zip_extend_avx512<F: Fn(f64, f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: &F) {
    zip_extend_body(out, xs, ys, f);
}

/// `f` applied pairwise to two equally long slices (extra values of the longer are
/// ignored).
pub fn zip(xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU supports the AVX-512 subsets, AVX2 and FMA (checked by `avx512`).
        return unsafe { zip_avx512(xs, ys, &f) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { zip_wide(xs, ys, &f) };
    }
    zip_body(xs, ys, &f)
}

/// [`zip`] appending to `out` (no intermediate vector).
pub fn zip_extend(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU supports the AVX-512 subsets, AVX2 and FMA (checked by `avx512`).
        return unsafe { zip_extend_avx512(out, xs, ys, &f) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { zip_extend_wide(out, xs, ys, &f) };
    }
    zip_extend_body(out, xs, ys, &f);
}

// ------------------------------------------------------------------ vector maths

/// Values per block of [`map_fixed`] / [`zip_extend_fixed`]: the fast pass and the
/// repair of its marked lanes both work on data still in L1.
const FIX_BLOCK: usize = 512;

/// `fast` over `xs` (a loop that vectorises), then `exact` again for every value `fast`
/// marked NaN (its out-of-domain lanes, and NaN inputs), block by block.
#[inline(always)]
fn map_fixed_body<F: Fn(f64) -> f64, E: Fn(f64) -> f64>(
    xs: &[f64],
    fast: &F,
    exact: &E,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(xs.len());
    for block in xs.chunks(FIX_BLOCK) {
        let at = out.len();
        append_map(&mut out, block, fast);
        let done = &mut out[at..];
        if done.iter().fold(false, |seen, y| seen | y.is_nan()) {
            for (y, &x) in done.iter_mut().zip(block) {
                if y.is_nan() {
                    *y = exact(x);
                }
            }
        }
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn map_fixed_wide<F: Fn(f64) -> f64, E: Fn(f64) -> f64>(
    xs: &[f64],
    fast: &F,
    exact: &E,
) -> Vec<f64> {
    map_fixed_body(xs, fast, exact)
}

/// [`map_fixed_body`] in 512-bit vectors (eight values per instruction).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn map_fixed_avx512<F: Fn(f64) -> f64, E: Fn(f64) -> f64>(
    xs: &[f64],
    fast: &F,
    exact: &E,
) -> Vec<f64> {
    map_fixed_body(xs, fast, exact)
}

/// `fast` applied to every value where it is defined, `exact` elsewhere: `fast` returns
/// NaN for inputs outside its domain, and those values (NaN inputs too) are recomputed
/// with `exact`. For the vectorisable maths below ([`ln_fast`], [`exp_fast`]).
pub fn map_fixed(xs: &[f64], fast: impl Fn(f64) -> f64, exact: impl Fn(f64) -> f64) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU supports AVX-512 F/DQ/VL, AVX2 and FMA (checked by `avx512`).
        return unsafe { map_fixed_avx512(xs, &fast, &exact) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { map_fixed_wide(xs, &fast, &exact) };
    }
    map_fixed_body(xs, &fast, &exact)
}

#[inline(always)]
fn zip_extend_fixed_body<F: Fn(f64, f64) -> f64, E: Fn(f64, f64) -> f64>(
    out: &mut Vec<f64>,
    xs: &[f64],
    ys: &[f64],
    fast: &F,
    exact: &E,
) {
    for (bx, by) in xs.chunks(FIX_BLOCK).zip(ys.chunks(FIX_BLOCK)) {
        let at = out.len();
        append_zip(out, bx, by, fast);
        let done = &mut out[at..];
        if done.iter().fold(false, |seen, v| seen | v.is_nan()) {
            for ((v, &x), &y) in done.iter_mut().zip(bx).zip(by) {
                if v.is_nan() {
                    *v = exact(x, y);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn zip_extend_fixed_wide<F: Fn(f64, f64) -> f64, E: Fn(f64, f64) -> f64>(
    out: &mut Vec<f64>,
    xs: &[f64],
    ys: &[f64],
    fast: &F,
    exact: &E,
) {
    zip_extend_fixed_body(out, xs, ys, fast, exact);
}

/// [`zip_extend_fixed_body`] in 512-bit vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn zip_extend_fixed_avx512<F: Fn(f64, f64) -> f64, E: Fn(f64, f64) -> f64>(
    out: &mut Vec<f64>,
    xs: &[f64],
    ys: &[f64],
    fast: &F,
    exact: &E,
) {
    zip_extend_fixed_body(out, xs, ys, fast, exact);
}

/// Whether the CPU has the AVX-512 subsets the 512-bit maths paths are compiled for.
#[cfg(target_arch = "x86_64")]
fn avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
}

/// [`zip_extend`] with [`map_fixed`]'s rule: pairs `fast` marks NaN get `exact`.
pub fn zip_extend_fixed(
    out: &mut Vec<f64>,
    xs: &[f64],
    ys: &[f64],
    fast: impl Fn(f64, f64) -> f64,
    exact: impl Fn(f64, f64) -> f64,
) {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        // SAFETY: the CPU supports AVX-512 F/DQ/VL, AVX2 and FMA (checked by `avx512`).
        return unsafe { zip_extend_fixed_avx512(out, xs, ys, &fast, &exact) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { zip_extend_fixed_wide(out, xs, ys, &fast, &exact) };
    }
    zip_extend_fixed_body(out, xs, ys, &fast, &exact);
}

// fdlibm's constants, by their bit patterns (e_log.c, e_exp.c).

/// ln 2, split so that `k · LN2_HI` is exact for |k| < 2¹¹ (fdlibm).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// Natural logarithm of a positive normal finite `x` by fdlibm's `__ieee754_log` (error
/// below 1 ulp), written without branches or tables so that it vectorises; NaN for any
/// other input (zero, negative, subnormal, infinite, NaN), which callers recompute with
/// `f64::ln`.
#[inline(always)]
pub fn ln_fast(x: f64) -> f64 {
    const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593);
    const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04);
    const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359);
    const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af);
    const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de);
    const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f);
    const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244);
    let u = x.to_bits();
    // Reduce x to m·2^k with m in [√2/2, √2).
    let hx = (u >> 32) + (0x3ff0_0000 - 0x3fe6_a09e);
    let biased = hx >> 20;
    let m = f64::from_bits((((hx & 0x000f_ffff) + 0x3fe6_a09e) << 32) | (u & 0xffff_ffff));
    // k as f64 without an integer conversion: 2^52 + biased, minus 2^52 + 1023.
    let k = f64::from_bits(0x4330_0000_0000_0000 | biased) - (4_503_599_627_370_496.0 + 1023.0);
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let y = s * (hfsq + r) + k * LN2_LO - hfsq + f + k * LN2_HI;
    if (f64::MIN_POSITIVE..f64::INFINITY).contains(&x) {
        y
    } else {
        f64::NAN
    }
}

/// e^x for |x| ≤ 708 (a normal, finite result) by fdlibm's `__ieee754_exp` (error below
/// 1 ulp), branch-free so that it vectorises; NaN for any other input, which callers
/// recompute with `f64::exp`.
#[inline(always)]
pub fn exp_fast(x: f64) -> f64 {
    const INV_LN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
    const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
    const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
    const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
    const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
    const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);
    // x = k·ln2 + r with |r| ≤ ln2/2.
    let k = (x * INV_LN2).round_ties_even();
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    // 2^k from the bits: k + 1023 sits in the low mantissa bits of 1.5·2^52 + k + 1023.
    let biased = (k + (6_755_399_441_055_744.0 + 1023.0)).to_bits() & 0x7ff;
    let scaled = y * f64::from_bits(biased << 52);
    if x.abs() <= 708.0 {
        scaled
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite values of one sign.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn fast_ln_and_exp_are_within_one_ulp_of_libm_and_defer_outside_their_domain() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut worst = (0u64, 0u64);
        for i in 0..200_000 {
            // Log-uniform over the normal range, plus dense values near 1.
            let r = next();
            let x = if i % 2 == 0 {
                f64::from_bits((r >> 12) | (((r % 2045) + 1) << 52))
            } else {
                1.0 + ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e-3
            };
            worst.0 = worst.0.max(ulps(ln_fast(x), x.ln()));
            let e = ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1416.0;
            worst.1 = worst.1.max(ulps(exp_fast(e), e.exp()));
        }
        assert!(
            worst.0 <= 1 && worst.1 <= 1,
            "worst ulps ln {} exp {}",
            worst.0,
            worst.1
        );
        assert_eq!(ln_fast(1.0), 0.0);
        assert_eq!(exp_fast(0.0), 1.0);
        for x in [0.0, -0.0, -1.0, 1e-310, f64::INFINITY, f64::NAN] {
            assert!(ln_fast(x).is_nan(), "{x}");
        }
        for x in [709.0, -709.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert!(exp_fast(x).is_nan(), "{x}");
        }
        // The fixed maps give libm's answers outside the fast domain.
        let xs = [2.0, 0.0, -1.0, f64::NAN, 1e-310, f64::INFINITY, 710.0];
        let got = map_fixed(&xs, ln_fast, f64::ln);
        for (g, x) in got.iter().zip(&xs) {
            let want = x.ln();
            assert!(
                g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                "ln {x}"
            );
        }
        let got = map_fixed(&xs, exp_fast, f64::exp);
        for (g, x) in got.iter().zip(&xs) {
            let want = x.exp();
            assert!(
                ulps(*g, want) <= 1 || (g.is_nan() && want.is_nan()),
                "exp {x}"
            );
        }
        let mut out = vec![f64::NAN];
        let ys: Vec<f64> = (0..1500).map(|i| 50.0 + i as f64 * 0.1).collect();
        zip_extend_fixed(
            &mut out,
            &ys[1..],
            &ys[..1499],
            |a, b| ln_fast(a / b),
            |a, b| (a / b).ln(),
        );
        assert_eq!(out.len(), 1500);
        for i in 1..1500 {
            assert!(ulps(out[i], (ys[i] / ys[i - 1]).ln()) <= 1, "{i}");
        }
    }

    /// Every vector path this CPU has gives the portable loop's bits, out-of-domain
    /// repairs included (the dispatch picks only one of them).
    #[test]
    fn every_vector_path_of_the_fixed_maths_gives_the_portable_bits() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let xs: Vec<f64> = (0..5000)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                match i % 50 {
                    0 => f64::NAN,
                    1 => -1.0,
                    2 => 0.0,
                    3 => 1e-310,
                    4 => 800.0,
                    _ => f64::from_bits((s >> 12) | (((s % 40) + 1003) << 52)),
                }
            })
            .collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let want_ln = bits(&map_fixed_body(&xs, &ln_fast, &f64::ln));
        let want_exp = bits(&map_fixed_body(&xs, &exp_fast, &f64::exp));
        let mut want_zip = Vec::new();
        let (a, b) = (&xs[1..], &xs[..4999]);
        zip_extend_fixed_body(&mut want_zip, a, b, &|p, q| ln_fast(p / q), &|p, q| {
            (p / q).ln()
        });
        #[cfg(target_arch = "x86_64")]
        {
            let mut paths = 0;
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: AVX2 and FMA checked on the line above.
                unsafe {
                    assert_eq!(bits(&map_fixed_wide(&xs, &ln_fast, &f64::ln)), want_ln);
                    assert_eq!(bits(&map_fixed_wide(&xs, &exp_fast, &f64::exp)), want_exp);
                    let mut got = Vec::new();
                    zip_extend_fixed_wide(&mut got, a, b, &|p, q| ln_fast(p / q), &|p, q| {
                        (p / q).ln()
                    });
                    assert_eq!(bits(&got), bits(&want_zip));
                    let mut updated = xs.clone();
                    update_wide(&mut updated, &f64::sqrt);
                    assert_eq!(bits(&updated), bits(&map_body(&xs, &f64::sqrt)));
                }
                paths += 1;
            }
            if avx512() {
                // SAFETY: the AVX-512 subsets checked by `avx512`.
                unsafe {
                    assert_eq!(bits(&map_fixed_avx512(&xs, &ln_fast, &f64::ln)), want_ln);
                    assert_eq!(bits(&map_fixed_avx512(&xs, &exp_fast, &f64::exp)), want_exp);
                    let mut got = Vec::new();
                    zip_extend_fixed_avx512(&mut got, a, b, &|p, q| ln_fast(p / q), &|p, q| {
                        (p / q).ln()
                    });
                    assert_eq!(bits(&got), bits(&want_zip));
                }
                paths += 1;
            }
            if avx512() {
                // The plain maps' 512-bit path too (division, square root, rounding).
                let ops: [fn(f64) -> f64; 4] =
                    [|x| x / 1.5, f64::sqrt, f64::round_ties_even, |x| -x];
                for op in ops {
                    // SAFETY: the AVX-512 subsets checked by `avx512`.
                    let got = unsafe { map_avx512(&xs, &op) };
                    assert_eq!(bits(&got), bits(&map_body(&xs, &op)));
                }
                let root = |v: f64| if v < 0.0 { 0.0 } else { v.sqrt() };
                let mut updated = xs.clone();
                // SAFETY: the AVX-512 subsets checked by `avx512`.
                unsafe { update_avx512(&mut updated, &root) };
                let mut plain = xs.clone();
                update_body(&mut plain, &root);
                assert_eq!(bits(&updated), bits(&plain));
                let div = |p: f64, q: f64| p / q;
                // SAFETY: the AVX-512 subsets checked by `avx512`.
                let (got, mut appended) = unsafe { (zip_avx512(a, b, &div), vec![1.0]) };
                assert_eq!(bits(&got), bits(&zip_body(a, b, &div)));
                // SAFETY: as above.
                unsafe { zip_extend_avx512(&mut appended, a, b, &div) };
                assert_eq!(bits(&appended[1..]), bits(&got));
            }
            eprintln!("vector paths compared: {paths}");
        }
    }

    #[test]
    fn maps_agree_with_plain_loops() {
        let xs: Vec<f64> = (0..1003).map(|i| (i as f64 - 500.0) * 0.37).collect();
        let ys: Vec<f64> = (0..1003).map(|i| (i % 7) as f64 - 3.0).collect();
        let want: Vec<f64> = xs.iter().map(|x| x / 1.5).collect();
        assert_eq!(map(&xs, |x| x / 1.5), want);
        let q = zip(&xs, &ys, |x, y| x / y);
        for (i, v) in q.iter().enumerate() {
            let w = xs[i] / ys[i];
            assert!(v.to_bits() == w.to_bits() || (v.is_nan() && w.is_nan()));
        }
        assert_eq!(zip(&xs, &ys[..10], |x, y| x + y).len(), 10);
        let mut out = vec![f64::NAN];
        zip_extend(&mut out, &xs, &ys, |x, y| x - y);
        assert_eq!(out.len(), 1 + xs.len());
        assert_eq!(
            out[1..],
            xs.iter().zip(&ys).map(|(x, y)| x - y).collect::<Vec<_>>()[..]
        );
        assert!(map(&[], |x| x).is_empty());
    }
}
