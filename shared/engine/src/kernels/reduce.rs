//! Fast NaN-skipping reductions of a slice: sum, count, min/max and central moments.
//!
//! The loops keep several independent accumulators ("lanes") and skip NaN without a
//! branch (a NaN is replaced by 0, or fails the comparison for min/max), so they
//! auto-vectorise; on x86-64 the same loops are also compiled for AVX2 and chosen at run
//! time. Sums run lane by lane within blocks of [`LEAF`] values and add the block sums
//! with compensation (at least as accurate as numpy's pairwise sum). Each function returns `None` when its fast answer could be less
//! accurate than 1e-11 relative (ill-conditioned sums, infinities, near-constant data):
//! callers then use their exact compensated path, so no answer loses accuracy.

/// Independent accumulators per loop.
const LANES: usize = 8;
/// Values summed lane by lane before a block sum joins the compensated total.
const LEAF: usize = 1024;
/// Relative accuracy the fast answers guarantee (else `None`).
const REL: f64 = 1e-11;

/// Calls `$name` (a generic, `#[inline(always)]` function) compiled for AVX2 when the
/// CPU has it, else for the baseline target.
macro_rules! dispatch {
    ($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2")]
            fn wide($($arg: $ty),*) -> $ret {
                $name($($arg),*)
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                unsafe { wide($($arg),*) }
            } else {
                $name($($arg),*)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $name($($arg),*)
        }
    }};
}

/// Lane sums (Σ x, Σ |x|) of whole chunks of [`LANES`] values (the caller adds the tail);
/// a NaN turns the sum NaN.
#[inline(always)]
fn lanes_sum_abs(v: &[f64]) -> ([f64; LANES], [f64; LANES]) {
    let (mut s, mut a) = ([0.0f64; LANES], [0.0f64; LANES]);
    for ch in v.chunks_exact(LANES) {
        for j in 0..LANES {
            s[j] += ch[j];
            a[j] += ch[j].abs();
        }
    }
    (s, a)
}

/// Lane sums (Σ x, Σ |x|, count) of whole chunks, skipping NaN without a branch.
#[inline(always)]
fn lanes_nan_sum(v: &[f64]) -> ([f64; LANES], [f64; LANES], [u64; LANES]) {
    let (mut s, mut a, mut c) = ([0.0f64; LANES], [0.0f64; LANES], [0u64; LANES]);
    for ch in v.chunks_exact(LANES) {
        for j in 0..LANES {
            let x = ch[j];
            let ok = !x.is_nan();
            let y = if ok { x } else { 0.0 };
            s[j] += y;
            a[j] += y.abs();
            c[j] += u64::from(ok);
        }
    }
    (s, a, c)
}

/// Adds `x` to the compensated pair (`sum`, `comp`) (Neumaier).
#[inline(always)]
fn neumaier(sum: &mut f64, comp: &mut f64, x: f64) {
    let t = *sum + x;
    *comp += if sum.abs() >= x.abs() {
        (*sum - t) + x
    } else {
        (x - t) + *sum
    };
    *sum = t;
}

/// (Σ x, Σ |x|) by lane sums within blocks of [`LEAF`] values, the block sums added with
/// compensation; a NaN or infinity shows in the result.
#[inline(always)]
fn sums_plain(v: &[f64]) -> (f64, f64) {
    let (mut s, mut comp, mut a) = (0.0f64, 0.0f64, 0.0f64);
    for b in v.chunks(LEAF) {
        let whole = b.len() / LANES * LANES;
        let (ls, la) = lanes_sum_abs(&b[..whole]);
        let (mut bs, mut ba) = (fold(ls), fold(la));
        for &x in &b[whole..] {
            bs += x;
            ba += x.abs();
        }
        neumaier(&mut s, &mut comp, bs);
        a += ba;
    }
    (s + comp, a)
}

/// [`sums_plain`] with the lane sums written in AVX intrinsics: 16 values per step into
/// four independent accumulators each for Σ x and Σ |x| (lane `j` of the 8-lane layout
/// is the sum of the two accumulators holding it). Left to itself, LLVM's SLP vectoriser
/// pairs `s[j]` with `a[j]` in one 128-bit register (x and |x| side by side) and runs at a
/// third of this speed.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sums_plain_avx2(v: &[f64]) -> (f64, f64) {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_and_pd, _mm256_castsi256_pd, _mm256_loadu_pd,
        _mm256_set1_epi64x, _mm256_setzero_pd, _mm256_storeu_pd,
    };
    /// Σ x and Σ |x| lane by lane over whole chunks of 16 values of `b`.
    #[target_feature(enable = "avx2")]
    fn lanes16(b: &[f64]) -> ([f64; LANES], [f64; LANES]) {
        let mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let z = _mm256_setzero_pd();
        let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
        let (mut a0, mut a1, mut a2, mut a3) = (z, z, z, z);
        for ch in b.chunks_exact(16) {
            let ch: &[f64; 16] = ch.try_into().unwrap_or(&[0.0; 16]);
            // SAFETY: `ch` is 16 initialised f64; each load reads 4 of them (unaligned
            // loads are allowed).
            let (x0, x1, x2, x3) = unsafe {
                (
                    _mm256_loadu_pd(ch.as_ptr()),
                    _mm256_loadu_pd(ch.as_ptr().add(4)),
                    _mm256_loadu_pd(ch.as_ptr().add(8)),
                    _mm256_loadu_pd(ch.as_ptr().add(12)),
                )
            };
            s0 = _mm256_add_pd(s0, x0);
            s1 = _mm256_add_pd(s1, x1);
            s2 = _mm256_add_pd(s2, x2);
            s3 = _mm256_add_pd(s3, x3);
            a0 = _mm256_add_pd(a0, _mm256_and_pd(x0, mask));
            a1 = _mm256_add_pd(a1, _mm256_and_pd(x1, mask));
            a2 = _mm256_add_pd(a2, _mm256_and_pd(x2, mask));
            a3 = _mm256_add_pd(a3, _mm256_and_pd(x3, mask));
        }
        let store = |lo: __m256d, hi: __m256d| {
            let mut l = [0.0f64; LANES];
            // SAFETY: `l` holds 8 f64, each store writes 4 of them.
            unsafe {
                _mm256_storeu_pd(l.as_mut_ptr(), lo);
                _mm256_storeu_pd(l.as_mut_ptr().add(4), hi);
            }
            l
        };
        (
            store(_mm256_add_pd(s0, s2), _mm256_add_pd(s1, s3)),
            store(_mm256_add_pd(a0, a2), _mm256_add_pd(a1, a3)),
        )
    }
    let (mut s, mut comp, mut a) = (0.0f64, 0.0f64, 0.0f64);
    for b in v.chunks(LEAF) {
        let whole = b.len() / 16 * 16;
        let (ls, la) = lanes16(&b[..whole]);
        let (mut bs, mut ba) = (fold(ls), fold(la));
        for &x in &b[whole..] {
            bs += x;
            ba += x.abs();
        }
        neumaier(&mut s, &mut comp, bs);
        a += ba;
    }
    (s + comp, a)
}

/// (Σ x, Σ |x|) of [`sums_plain`], through [`sums_plain_avx2`] when the CPU has AVX2.
#[inline(never)]
fn plain_sums(v: &[f64]) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { sums_plain_avx2(v) };
    }
    sums_plain(v)
}

/// [`sums_plain`] skipping NaN, with the count of non-NaN values.
#[inline(always)]
fn sums_nan(v: &[f64]) -> (f64, f64, u64) {
    let (mut s, mut comp, mut a, mut c) = (0.0f64, 0.0f64, 0.0f64, 0u64);
    for b in v.chunks(LEAF) {
        let whole = b.len() / LANES * LANES;
        let (ls, la, lc) = lanes_nan_sum(&b[..whole]);
        let (mut bs, mut ba) = (fold(ls), fold(la));
        c += lc.iter().sum::<u64>();
        for &x in &b[whole..] {
            if !x.is_nan() {
                bs += x;
                ba += x.abs();
                c += 1;
            }
        }
        neumaier(&mut s, &mut comp, bs);
        a += ba;
    }
    (s + comp, a, c)
}

/// Sum of lanes, pairwise.
#[inline(always)]
fn fold(l: [f64; LANES]) -> f64 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// (Σ x, Σ |x|, count) over the non-NaN values: the plain loop first, the NaN-skipping
/// one only when the data has NaN (or infinities).
fn sums(v: &[f64]) -> (f64, f64, u64) {
    #[inline(never)]
    fn skipping(v: &[f64]) -> (f64, f64, u64) {
        dispatch!(sums_nan(v: &[f64]) -> (f64, f64, u64))
    }
    let (s, a) = plain_sums(v);
    if s.is_finite() && a.is_finite() {
        return (s, a, v.len() as u64);
    }
    skipping(v)
}

/// Worst-case relative rounding factor of [`sums`], in units of ε: within a block
/// LEAF / LANES sequential adds per lane, 3 to fold the lanes, the tail; the compensated
/// sum of the blocks adds about 2.
const GAMMA: f64 = (LEAF / LANES) as f64 + LANES as f64 + 4.0;

/// Sum and count of the non-NaN values, when the fast sum is accurate to [`REL`].
pub fn nan_sum(v: &[f64]) -> Option<(f64, usize)> {
    let (s, a, c) = sums(v);
    let bound = GAMMA * f64::EPSILON * a;
    // Infinities go to the exact path (which knows their rules).
    if (bound <= REL * s.abs() && a.is_finite()) || a == 0.0 {
        Some((s, c as usize))
    } else {
        None
    }
}

/// Lane counts of the non-NaN values of whole chunks.
#[inline(always)]
fn lanes_count(v: &[f64]) -> [f64; LANES] {
    // Counted in f64 (exact below 2^53 per lane), which vectorises better than u64.
    let mut c = [0.0f64; LANES];
    for ch in v.chunks_exact(LANES) {
        for j in 0..LANES {
            c[j] += if ch[j].is_nan() { 0.0 } else { 1.0 };
        }
    }
    c
}

/// Number of non-NaN values.
pub fn count(v: &[f64]) -> usize {
    let whole = v.len() / LANES * LANES;
    let (head, tail) = v.split_at(whole);
    let c = dispatch!(lanes_count(head: &[f64]) -> [f64; LANES]);
    (c.iter().sum::<f64>() as usize) + tail.iter().filter(|x| !x.is_nan()).count()
}

/// Lane minima and maxima of whole chunks; a NaN fails both comparisons and leaves the
/// lane as it was.
#[inline(always)]
fn lanes_min_max(v: &[f64]) -> ([f64; LANES], [f64; LANES]) {
    let (mut lo, mut hi) = ([f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES]);
    for ch in v.chunks_exact(LANES) {
        for j in 0..LANES {
            let x = ch[j];
            lo[j] = if x < lo[j] { x } else { lo[j] };
            hi[j] = if x > hi[j] { x } else { hi[j] };
        }
    }
    (lo, hi)
}

/// (min, max) of the non-NaN values; `None` when either is infinite (which also covers
/// "no value"), left to the caller's plain path.
pub fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let whole = v.len() / LANES * LANES;
    let (head, tail) = v.split_at(whole);
    let (lo, hi) = dispatch!(lanes_min_max(head: &[f64]) -> ([f64; LANES], [f64; LANES]));
    let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in lo.iter().chain(tail) {
        a = if x < a { x } else { a };
    }
    for &x in hi.iter().chain(tail) {
        b = if x > b { x } else { b };
    }
    (a.is_finite() && b.is_finite()).then_some((a, b))
}

/// Lane sums of d², d³, d⁴ (d = x − `mean`, 0 for NaN when `SKIP`) of whole chunks; d³
/// and d⁴ only when `HIGHER`.
#[inline(always)]
fn lanes_central<const HIGHER: bool, const SKIP: bool>(
    v: &[f64],
    mean: f64,
) -> ([f64; LANES], [f64; LANES], [f64; LANES]) {
    let (mut s2, mut s3, mut s4) = ([0.0f64; LANES], [0.0f64; LANES], [0.0f64; LANES]);
    for ch in v.chunks_exact(LANES) {
        for j in 0..LANES {
            let x = ch[j];
            let d = if SKIP && x.is_nan() { 0.0 } else { x - mean };
            let d2 = d * d;
            s2[j] += d2;
            if HIGHER {
                s3[j] += d2 * d;
                s4[j] += d2 * d2;
            }
        }
    }
    (s2, s3, s4)
}

/// (Σ d², Σ d³, Σ d⁴) with d = x − `mean` over the non-NaN values, by blocks like
/// [`sums`] (the terms d² and d⁴ are never negative, so their sums are well conditioned).
#[inline(always)]
fn central<const HIGHER: bool, const SKIP: bool>(v: &[f64], mean: f64) -> (f64, f64, f64) {
    let (mut a, mut b, mut c) = (0.0f64, 0.0f64, 0.0f64);
    let (mut ca, mut cb, mut cc) = (0.0f64, 0.0f64, 0.0f64);
    for blk in v.chunks(LEAF) {
        let whole = blk.len() / LANES * LANES;
        let (l2, l3, l4) = lanes_central::<HIGHER, SKIP>(&blk[..whole], mean);
        let (mut x2, mut x3, mut x4) = (fold(l2), fold(l3), fold(l4));
        for &x in &blk[whole..] {
            if !x.is_nan() {
                let d = x - mean;
                x2 += d * d;
                x3 += d * d * d;
                x4 += d * d * d * d;
            }
        }
        neumaier(&mut a, &mut ca, x2);
        neumaier(&mut b, &mut cb, x3);
        neumaier(&mut c, &mut cc, x4);
    }
    (a + ca, b + cb, c + cc)
}

/// Central sums (m2, m3, m4), or m2 only without `higher`; `skip` when the data has NaN.
fn central_sums(v: &[f64], mean: f64, higher: bool, skip: bool) -> (f64, f64, f64) {
    #[inline(always)]
    fn c2(v: &[f64], mean: f64) -> (f64, f64, f64) {
        central::<false, false>(v, mean)
    }
    #[inline(always)]
    fn c2s(v: &[f64], mean: f64) -> (f64, f64, f64) {
        central::<false, true>(v, mean)
    }
    #[inline(always)]
    fn c4(v: &[f64], mean: f64) -> (f64, f64, f64) {
        central::<true, false>(v, mean)
    }
    #[inline(always)]
    fn c4s(v: &[f64], mean: f64) -> (f64, f64, f64) {
        central::<true, true>(v, mean)
    }
    match (higher, skip) {
        (false, false) => dispatch!(c2(v: &[f64], mean: f64) -> (f64, f64, f64)),
        (false, true) => dispatch!(c2s(v: &[f64], mean: f64) -> (f64, f64, f64)),
        (true, false) => dispatch!(c4(v: &[f64], mean: f64) -> (f64, f64, f64)),
        (true, true) => dispatch!(c4s(v: &[f64], mean: f64) -> (f64, f64, f64)),
    }
}

/// Count, mean and the central sums (m2, m3, m4) of the non-NaN values, two-pass like
/// pandas' `nanvar`/`nanskew`/`nankurt` (m3 and m4 only when `higher`). `None` when the
/// mean is not accurate to [`REL`] or the data is so nearly constant (standard deviation
/// under 1e-8 of the mean) that the rounding of the mean could matter.
pub fn central_moments(v: &[f64], higher: bool) -> Option<(usize, f64, [f64; 3])> {
    let (s, n) = nan_sum(v)?;
    if n == 0 {
        return None;
    }
    let mean = s / n as f64;
    let (m2, m3, m4) = central_sums(v, mean, higher, n != v.len());
    let floor = 1e-8 * mean;
    (m2 > n as f64 * floor * floor && m2.is_finite()).then_some((n, mean, [m2, m3, m4]))
}

/// Lane sums of dx, dy, dx², dy², dx·dy and |dx·dy| (d = value − mean) of whole chunks
/// of two NaN-free slices.
#[inline(always)]
fn lanes_co(x: &[f64], y: &[f64], mx: f64, my: f64) -> [[f64; LANES]; 6] {
    let mut acc = [[0.0f64; LANES]; 6];
    for (cx, cy) in x.chunks_exact(LANES).zip(y.chunks_exact(LANES)) {
        for j in 0..LANES {
            let dx = cx[j] - mx;
            let dy = cy[j] - my;
            let p = dx * dy;
            acc[0][j] += dx;
            acc[1][j] += dy;
            acc[2][j] += dx * dx;
            acc[3][j] += dy * dy;
            acc[4][j] += p;
            acc[5][j] += p.abs();
        }
    }
    acc
}

/// The six sums of [`lanes_co`] over two equally long slices, by blocks like [`sums`].
#[inline(always)]
fn co_sums(x: &[f64], y: &[f64], mx: f64, my: f64) -> [f64; 6] {
    co_blocks(x, y, mx, my, LANES, |bx, by| {
        lanes_co(bx, by, mx, my).map(fold)
    })
}

/// The block loop of [`co_sums`] and [`co_sums_avx2`]: per block of [`LEAF`] pairs, `lanes`
/// sums the whole chunks of `width` pairs, the leftover pairs are added one by one, and the
/// block sums join the totals with Neumaier compensation.
#[inline(always)]
fn co_blocks(
    x: &[f64],
    y: &[f64],
    mx: f64,
    my: f64,
    width: usize,
    lanes: impl Fn(&[f64], &[f64]) -> [f64; 6],
) -> [f64; 6] {
    let mut tot = [0.0f64; 6];
    let mut comp = [0.0f64; 6];
    for (bx, by) in x.chunks(LEAF).zip(y.chunks(LEAF)) {
        let whole = bx.len().min(by.len()) / width * width;
        let mut blk = lanes(&bx[..whole], &by[..whole]);
        for (&a, &b) in bx[whole..].iter().zip(&by[whole..]) {
            let (dx, dy) = (a - mx, b - my);
            blk[0] += dx;
            blk[1] += dy;
            blk[2] += dx * dx;
            blk[3] += dy * dy;
            blk[4] += dx * dy;
            blk[5] += (dx * dy).abs();
        }
        for k in 0..6 {
            neumaier(&mut tot[k], &mut comp[k], blk[k]);
        }
    }
    for k in 0..6 {
        tot[k] += comp[k];
    }
    tot
}

/// [`co_sums`] with the lane sums in AVX2/FMA intrinsics, 8 pairs per step: dx and dy as
/// `fmsub(x, 1, mean)` (the same rounding as a subtraction, on the multiply ports), Σdx²
/// and Σdy² fused into two accumulators each (one rounding instead of two), and the pair
/// of products of each step added before joining its accumulator, so every chain takes
/// one add (or FMA) per 8 pairs. Left to itself, LLVM splits the 48 scalar accumulators
/// of [`lanes_co`] over 128-bit registers and runs at a third of this speed. Each
/// accumulator lane adds at most LEAF/8 terms per block (two for the pre-added pairs), so
/// the accuracy bound of [`GAMMA`] holds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn co_sums_avx2(x: &[f64], y: &[f64], mx: f64, my: f64) -> [f64; 6] {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_and_pd, _mm256_castsi256_pd, _mm256_fmadd_pd,
        _mm256_fmsub_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_epi64x, _mm256_set1_pd,
        _mm256_setzero_pd, _mm256_storeu_pd,
    };
    /// The six sums over whole chunks of 8 pairs of `bx`, `by`.
    #[target_feature(enable = "avx2,fma")]
    fn lanes8(bx: &[f64], by: &[f64], mx: f64, my: f64) -> [f64; 6] {
        let mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let (one, vmx, vmy) = (_mm256_set1_pd(1.0), _mm256_set1_pd(mx), _mm256_set1_pd(my));
        let z = _mm256_setzero_pd();
        let (mut sdx, mut sdy, mut sxy, mut axy) = (z, z, z, z);
        let (mut sxx0, mut sxx1, mut syy0, mut syy1) = (z, z, z, z);
        for (cx, cy) in bx.chunks_exact(8).zip(by.chunks_exact(8)) {
            let cx: &[f64; 8] = cx.try_into().unwrap_or(&[0.0; 8]);
            let cy: &[f64; 8] = cy.try_into().unwrap_or(&[0.0; 8]);
            // SAFETY: `cx` and `cy` are 8 initialised f64 each; each load reads 4 of them
            // (unaligned loads are allowed).
            let (x0, x1, y0, y1) = unsafe {
                (
                    _mm256_loadu_pd(cx.as_ptr()),
                    _mm256_loadu_pd(cx.as_ptr().add(4)),
                    _mm256_loadu_pd(cy.as_ptr()),
                    _mm256_loadu_pd(cy.as_ptr().add(4)),
                )
            };
            let (dx0, dx1) = (_mm256_fmsub_pd(x0, one, vmx), _mm256_fmsub_pd(x1, one, vmx));
            let (dy0, dy1) = (_mm256_fmsub_pd(y0, one, vmy), _mm256_fmsub_pd(y1, one, vmy));
            let (p0, p1) = (_mm256_mul_pd(dx0, dy0), _mm256_mul_pd(dx1, dy1));
            sdx = _mm256_add_pd(sdx, _mm256_add_pd(dx0, dx1));
            sdy = _mm256_add_pd(sdy, _mm256_add_pd(dy0, dy1));
            sxy = _mm256_add_pd(sxy, _mm256_add_pd(p0, p1));
            axy = _mm256_add_pd(
                axy,
                _mm256_add_pd(_mm256_and_pd(p0, mask), _mm256_and_pd(p1, mask)),
            );
            sxx0 = _mm256_fmadd_pd(dx0, dx0, sxx0);
            sxx1 = _mm256_fmadd_pd(dx1, dx1, sxx1);
            syy0 = _mm256_fmadd_pd(dy0, dy0, syy0);
            syy1 = _mm256_fmadd_pd(dy1, dy1, syy1);
        }
        let total = |v: __m256d| {
            let mut l = [0.0f64; 4];
            // SAFETY: `l` holds 4 f64, the store writes 4.
            unsafe { _mm256_storeu_pd(l.as_mut_ptr(), v) };
            (l[0] + l[1]) + (l[2] + l[3])
        };
        [
            total(sdx),
            total(sdy),
            total(_mm256_add_pd(sxx0, sxx1)),
            total(_mm256_add_pd(syy0, syy1)),
            total(sxy),
            total(axy),
        ]
    }
    co_blocks(x, y, mx, my, 8, |bx, by| lanes8(bx, by, mx, my))
}

/// The six sums of [`co_sums`], through [`co_sums_avx2`] when the CPU has AVX2 and FMA.
#[inline(never)]
fn co_sums_fast(x: &[f64], y: &[f64], mx: f64, my: f64) -> [f64; 6] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { co_sums_avx2(x, y, mx, my) };
    }
    co_sums(x, y, mx, my)
}

/// Corrected two-pass co-moments (n, Σdx², Σdy², Σdx·dy) of two equally long slices with
/// no NaN: the fast path of the pairwise statistics. `None` when either slice has a NaN
/// or an infinity, a mean or Σdx·dy could be less accurate than [`REL`], or either side is
/// so nearly constant that the rounding of its mean could matter (the caller's exact path
/// gives such a side exact zeros).
pub fn co_moments(x: &[f64], y: &[f64]) -> Option<(usize, f64, f64, f64)> {
    let n = x.len();
    if n == 0 || y.len() != n {
        return None;
    }
    let ((sx, ax), (sy, ay)) = (plain_sums(x), plain_sums(y));
    let ok = |s: f64, a: f64| {
        s.is_finite() && a.is_finite() && (GAMMA * f64::EPSILON * a <= REL * s.abs() || a == 0.0)
    };
    if !ok(sx, ax) || !ok(sy, ay) {
        return None;
    }
    let nf = n as f64;
    let (mx, my) = (sx / nf, sy / nf);
    let t = co_sums_fast(x, y, mx, my);
    let [sdx, sdy, sxx, syy, sxy, axy] = t;
    let sxx = (sxx - sdx * sdx / nf).max(0.0);
    let syy = (syy - sdy * sdy / nf).max(0.0);
    let sxy = sxy - sdx * sdy / nf;
    let (fx, fy) = (1e-8 * mx, 1e-8 * my);
    let varied = sxx > nf * fx * fx && syy > nf * fy * fy;
    let accurate = GAMMA * f64::EPSILON * axy <= REL * sxy.abs() && axy.is_finite();
    (varied && accurate).then_some((n, sxx, syy, sxy))
}

/// Inputs shorter than this go straight to selection (the sample would not pay off).
const SAMPLED_MIN: usize = 1 << 14;
/// About this many values are sampled.
const SAMPLE: usize = 8192;

/// An integer with the order of `f64::total_cmp` (for values that are not NaN): negative
/// values have their magnitude bits flipped. Compares as one vector instruction.
#[inline(always)]
fn order_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// [`order_stats`] of the non-NaN values of `values` (`valid` of them) when the wanted
/// ranks lie close together (a median, one percentile), reading the data about once and
/// without copying it: a strided sample of about [`SAMPLE`] values gives two bounds that
/// hold the wanted ranks with a wide margin (four standard deviations of a sample rank,
/// and more); one pass counts the values below the lower bound and collects the few
/// between the bounds; selection among those gives the exact order statistics. `None`
/// when the input is small, the ranks are spread out, or the bounds missed (then the
/// caller selects over all values; the result is the same either way).
pub fn order_stats_sampled(values: &[f64], valid: usize, ranks: &[usize]) -> Option<Vec<f64>> {
    let (&first, &last) = (ranks.first()?, ranks.last()?);
    if valid < SAMPLED_MIN || last >= valid || last - first > valid / 64 {
        return None;
    }
    // One value from each stretch of `step`, at a scrambled offset, so that data with a
    // period (or NaN at regular places) does not line up with the sample.
    let step = (values.len() / SAMPLE).max(1);
    let mut sample: Vec<f64> = (0..values.len() / step)
        .map(|j| {
            let mut h = (j as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
            h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            values[j * step + ((h ^ (h >> 31)) % step as u64) as usize]
        })
        .filter(|x| !x.is_nan())
        .collect();
    let s = sample.len();
    if s < SAMPLE / 4 {
        return None;
    }
    // A sample rank's standard deviation is at most √s/2; allow four of them and a pad.
    let margin = 2 * (s as f64).sqrt() as usize + 16;
    let at = |rank: usize| (rank as f64 / valid as f64 * s as f64) as usize;
    let mut bound = |pos: Option<usize>, beyond: i64| match pos {
        Some(p) if p < s => order_key(*sample.select_nth_unstable_by(p, f64::total_cmp).1),
        _ => beyond,
    };
    let lo = bound(at(first).checked_sub(margin), i64::MIN);
    let hi = bound(Some(at(last) + margin), i64::MAX);
    let inside = |x: f64| {
        let k = order_key(x);
        !x.is_nan() & (k >= lo) & (k <= hi)
    };
    let mut below = 0usize;
    let mut picked = Vec::with_capacity(valid / 16);
    for group in values.chunks(8) {
        // Most groups hold no value between the bounds: counted as vectors, skipped.
        below += group
            .iter()
            .map(|&x| usize::from(!x.is_nan() & (order_key(x) < lo)))
            .sum::<usize>();
        if group.iter().fold(false, |any, &x| any | inside(x)) {
            picked.extend(group.iter().copied().filter(|&x| inside(x)));
        }
    }
    if below > first || below + picked.len() <= last {
        return None;
    }
    let mut out = vec![f64::NAN; ranks.len()];
    select_ranks(&mut picked, below, ranks, &mut out);
    Some(out)
}

/// The values of ranks `ranks` (ascending, 0-based) in the ascending `f64::total_cmp`
/// order of `v`, as a full sort would give them, by repeated selection (O(n log k) for k
/// ranks instead of a sort). Reorders `v`.
pub fn order_stats(v: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    let mut out = vec![f64::NAN; ranks.len()];
    select_ranks(v, 0, ranks, &mut out);
    out
}

/// [`order_stats`] of the sub-slice `v` that starts at rank `base`.
fn select_ranks(v: &mut [f64], base: usize, ranks: &[usize], out: &mut [f64]) {
    if ranks.is_empty() || v.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let k = ranks[mid] - base;
    let (left, pivot, right) = v.select_nth_unstable_by(k, f64::total_cmp);
    let pivot = *pivot;
    // Ranks equal to this one share its value; those below go left, those above right.
    let lo = ranks.partition_point(|&r| r < base + k);
    let hi = ranks.partition_point(|&r| r <= base + k);
    out[lo..hi].fill(pivot);
    let (out_left, rest) = out.split_at_mut(lo);
    select_ranks(left, base, &ranks[..lo], out_left);
    select_ranks(right, base + k + 1, &ranks[hi..], &mut rest[hi - lo..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible walk with NaN holes.
    fn data(n: usize) -> Vec<f64> {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut x = 100.0;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                x *= 1.0 + 0.02 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                if i % 17 == 5 {
                    f64::NAN
                } else {
                    x
                }
            })
            .collect()
    }

    /// The sampled selection gives exactly what a sort gives, or declines: on noise, on
    /// few distinct values (ties at the bounds), on ±0.0 and infinities, on sorted and
    /// periodic data, with NaN anywhere, for ranks at the ends and in the middle.
    #[test]
    fn sampled_order_stats_equal_a_sort_or_decline() {
        let mut next = {
            let mut s = 0x9E37_79B9_7F4A_7C15u64;
            move || {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s
            }
        };
        let n = 50_000;
        let noise: Vec<f64> = (0..n).map(|_| (next() >> 11) as f64 - 4e15).collect();
        let few: Vec<f64> = (0..n).map(|_| (next() % 5) as f64 - 2.0).collect();
        let zeros: Vec<f64> = (0..n)
            .map(|i| match next() % 7 {
                0 => -0.0,
                1 => 0.0,
                2 => f64::INFINITY,
                3 => f64::NEG_INFINITY,
                4 if i % 3 == 0 => f64::NAN,
                _ => (next() % 1000) as f64 * 1e-300,
            })
            .collect();
        let sorted: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let periodic: Vec<f64> = (0..n).map(|i| (i % 6) as f64).collect();
        let mut gappy = noise.clone();
        for i in (0..n).step_by(3) {
            gappy[i] = if i % 2 == 0 { f64::NAN } else { -f64::NAN };
        }
        let mut used = 0;
        for data in [&noise, &few, &zeros, &sorted, &periodic, &gappy] {
            let mut truth: Vec<f64> = data.iter().copied().filter(|x| !x.is_nan()).collect();
            truth.sort_by(f64::total_cmp);
            let m = truth.len();
            for ranks in [
                vec![0],
                vec![m - 1],
                vec![m / 2 - 1, m / 2],
                vec![m / 3, m / 3 + 1],
                vec![0, m - 1],
            ] {
                if let Some(got) = order_stats_sampled(data, m, &ranks) {
                    used += 1;
                    for (g, &r) in got.iter().zip(&ranks) {
                        assert_eq!(g.to_bits(), truth[r].to_bits(), "rank {r} of {m}");
                    }
                }
            }
        }
        // Every case but the spread-out ranks [0, m − 1] (which always decline).
        assert_eq!(used, 24, "the sampled path ran {used} times of 24");
        assert!(
            order_stats_sampled(&noise[..1000], 1000, &[500]).is_none(),
            "small input"
        );
    }

    #[test]
    fn sums_agree_with_a_compensated_loop() {
        for n in [0, 1, 7, 8, 9, 255, 256, 257, 1000, 100_003] {
            let v = data(n);
            let exact: f64 = {
                let (mut s, mut c) = (0.0f64, 0.0f64);
                for &x in v.iter().filter(|x| !x.is_nan()) {
                    let t = s + x;
                    c += if s.abs() >= x.abs() {
                        (s - t) + x
                    } else {
                        (x - t) + s
                    };
                    s = t;
                }
                s + c
            };
            let cnt = v.iter().filter(|x| !x.is_nan()).count();
            let (s, c) = nan_sum(&v).expect("well conditioned");
            assert_eq!(c, cnt);
            assert_eq!(count(&v), cnt);
            assert!(
                (s - exact).abs() <= 1e-13 * exact.abs(),
                "n={n}: {s} vs {exact}"
            );
        }
    }

    #[test]
    fn ill_conditioned_or_infinite_sums_are_refused() {
        assert!(nan_sum(&[1e16, 1.0, -1e16, 1.0]).is_none());
        assert!(nan_sum(&[1.0, f64::INFINITY]).is_none());
        assert_eq!(nan_sum(&[f64::NAN; 3]), Some((0.0, 0)));
        assert!(central_moments(&[3.0; 20], false).is_none());
    }

    #[test]
    fn order_stats_equal_a_full_sort() {
        let v: Vec<f64> = data(3001).into_iter().filter(|x| !x.is_nan()).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let ranks = [0, 0, 1, 700, 701, 1400, 1401, 2100, sorted.len() - 1];
        let mut w = v.clone();
        let got = order_stats(&mut w, &ranks);
        let want: Vec<f64> = ranks.iter().map(|&r| sorted[r]).collect();
        assert_eq!(got, want);
        let zeros = order_stats(&mut [2.0, 0.0, -0.0], &[0, 1]);
        assert!(zeros[0] == 0.0 && zeros[0].is_sign_negative() && zeros[1].is_sign_positive());
        assert!(order_stats(&mut [], &[]).is_empty());
    }

    #[test]
    fn co_moments_match_the_definition() {
        let x: Vec<f64> = data(4001)
            .into_iter()
            .map(|v| if v.is_nan() { 1.0 } else { v })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v * 0.5 + (i % 11) as f64)
            .collect();
        let nf = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / nf, y.iter().sum::<f64>() / nf);
        let s = |f: &dyn Fn(f64, f64) -> f64| {
            x.iter()
                .zip(&y)
                .map(|(&a, &b)| f(a - mx, b - my))
                .sum::<f64>()
        };
        let (n, sxx, syy, sxy) = co_moments(&x, &y).expect("well conditioned");
        assert_eq!(n, x.len());
        for (got, want) in [
            (sxx, s(&|a, _| a * a)),
            (syy, s(&|_, b| b * b)),
            (sxy, s(&|a, b| a * b)),
        ] {
            assert!((got - want).abs() <= 1e-10 * want.abs(), "{got} vs {want}");
        }
        // The intrinsics and the portable lanes agree to rounding (different orders, and
        // the intrinsics fuse the squares); lengths off the chunk sizes exercise the tails.
        for len in [0, 7, 8, 9, 1023, 1024, 1025, 4001] {
            let (a, b) = (&x[..len], &y[..len]);
            let (ma, mb) = (mx + 0.25, my - 0.5);
            let want = co_sums(a, b, ma, mb);
            let got = co_sums_fast(a, b, ma, mb);
            let scale = [want[5], want[5], want[2], want[3], want[5], want[5]];
            for k in 0..6 {
                let tol = 1e-13 * (scale[k] + want[2] + want[3]) + 1e-300;
                assert!(
                    (got[k] - want[k]).abs() <= tol,
                    "len {len} sum {k}: {} vs {}",
                    got[k],
                    want[k]
                );
            }
        }
        let mut holed = x.clone();
        holed[7] = f64::NAN;
        assert!(co_moments(&holed, &y).is_none());
        assert!(co_moments(&[2.0; 30], &y[..30]).is_none());
    }

    #[test]
    fn min_max_skip_nan_and_refuse_infinities() {
        let v = data(1001);
        let lo = v
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .fold(f64::INFINITY, f64::min);
        let hi = v
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(min_max(&v), Some((lo, hi)));
        assert_eq!(min_max(&[f64::NAN, 2.0, f64::NAN, -1.0]), Some((-1.0, 2.0)));
        assert!(min_max(&[f64::NAN]).is_none());
        assert!(min_max(&[1.0, f64::NEG_INFINITY]).is_none());
    }

    #[test]
    fn central_moments_match_the_definition() {
        let v = data(5000);
        let xs: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let m = |k: i32| xs.iter().map(|x| (x - mean).powi(k)).sum::<f64>();
        let (n, mu, [m2, m3, m4]) = central_moments(&v, true).expect("well conditioned");
        assert_eq!(n, xs.len());
        assert!((mu - mean).abs() <= 1e-12 * mean.abs());
        for (got, want) in [(m2, m(2)), (m3, m(3)), (m4, m(4))] {
            assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} vs {want}");
        }
    }
}
