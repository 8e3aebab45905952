//! Math: elementwise arithmetic on series and scalars (dsl.md §5 "math").
//!
//! Binary operations align two series on the union of their dates (missing → NaN), exactly
//! like pandas `a + b` on date-indexed Series; a scalar operand is broadcast. A binary
//! operation given one operand takes its other operand from the `value` param.

use crate::kernels::elementwise::{exp_fast, ln_fast};
use crate::primitives::common::{map_numeric, map_numeric_fixed, zip_numeric};
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{KindSet, Value};

/// The math family.
pub static PRIMITIVES: &[&Primitive] = &[
    &ADD, &SUBTRACT, &MULTIPLY, &DIVIDE, &POWER, &ABS, &NEGATE, &LOG, &EXP, &SQRT, &CLIP, &ROUND,
    &SIGN, &MAXIMUM, &MINIMUM, &SCALE,
];

const LEFT: Operand = Operand::new("a", KindSet::NUMERIC, "left operand");
const RIGHT: Operand = Operand::new(
    "b",
    KindSet::NUMERIC,
    "right operand (or use the `value` param)",
)
.optional();
const BINARY_INPUTS: &[Operand] = &[LEFT, RIGHT];
const VALUE: Param = Param::number(
    "value",
    "constant right operand, used when only one input is given",
);
const BINARY_PARAMS: &[Param] = &[VALUE];
const UNARY_INPUTS: &[Operand] = &[Operand::new("x", KindSet::NUMERIC, "series or scalar")];

/// Evaluates a binary operation: two operands, or one operand and the `value` param.
/// Generic over `f` so each operation is inlined into its loop (and vectorised).
fn binary<F: Fn(f64, f64) -> f64 + Copy>(call: &Call<'_>, f: F) -> Result<Value, EvalError> {
    let a = call.input(0);
    match (call.inputs.get(1), call.params.opt_num("value")?) {
        (Some(b), None) => zip_numeric(a, b, f),
        (None, Some(v)) => zip_numeric(a, &Value::Scalar(v), f),
        (Some(_), Some(_)) => Err(EvalError::new(
            "give the right operand either as a second input or as the `value` param, not both.",
        )),
        (None, None) => Err(EvalError::new(
            "needs a right operand: a second input, or the `value` param.",
        )),
    }
}

macro_rules! binary_primitive {
    ($ident:ident, $name:literal, $summary:literal, $reference:literal, $f:expr) => {
        static $ident: Primitive = Primitive {
            name: $name,
            family: Family::Math,
            summary: $summary,
            doc: "Elementwise. Two series are aligned on the union of their dates (a date missing on one side gives NaN); a scalar is broadcast. With one input, the `value` param is the right operand. IEEE semantics: division by zero gives ±inf or NaN (serialised as null).",
            reference: $reference,
            inputs: BINARY_INPUTS,
            params: BINARY_PARAMS,
            returns: Returns::Elementwise,
            request: None,
            eval: |c| binary(c, $f),
        };
    };
}

binary_primitive!(ADD, "add", "a + b", "pandas: a.add(b) / a + b", |x, y| x
    + y);
binary_primitive!(
    SUBTRACT,
    "subtract",
    "a − b",
    "pandas: a.sub(b) / a - b",
    |x, y| x - y
);
binary_primitive!(
    MULTIPLY,
    "multiply",
    "a × b",
    "pandas: a.mul(b) / a * b",
    |x, y| x * y
);
binary_primitive!(
    DIVIDE,
    "divide",
    "a ÷ b",
    "pandas: a.div(b) / a / b",
    |x, y| x / y
);
binary_primitive!(
    MAXIMUM,
    "maximum",
    "Larger of a and b, elementwise (NaN if either is NaN)",
    "numpy: np.maximum(a, b) on aligned series",
    |x: f64, y: f64| if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.max(y)
    }
);
binary_primitive!(
    MINIMUM,
    "minimum",
    "Smaller of a and b, elementwise (NaN if either is NaN)",
    "numpy: np.minimum(a, b) on aligned series",
    |x: f64, y: f64| if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.min(y)
    }
);

static POWER: Primitive = Primitive {
    name: "power",
    family: Family::Math,
    summary: "a raised to an exponent (param `exponent` or a second input)",
    doc: "Elementwise a^b. The exponent is the `exponent` param or the second input (aligned like `add`). Negative bases with fractional exponents give NaN, as in numpy.",
    reference: "pandas: a ** b / a.pow(b)",
    inputs: &[LEFT, Operand::new("exponent", KindSet::NUMERIC, "exponent series or scalar").optional()],
    params: &[Param::number("exponent", "constant exponent")],
    returns: Returns::Elementwise,
    request: None,
    eval: |c| {
        let a = c.input(0);
        match (c.inputs.get(1), c.params.opt_num("exponent")?) {
            (Some(b), None) => zip_numeric(a, b, f64::powf),
            // numpy's fast paths: squares, square roots and reciprocals are exact there too.
            (None, Some(2.0)) => map_numeric(a, |x| x * x),
            (None, Some(0.5)) => map_numeric(a, f64::sqrt),
            (None, Some(1.0)) => map_numeric(a, |x| x),
            (None, Some(-1.0)) => map_numeric(a, |x| 1.0 / x),
            // exp(e·ln x) vectorised for positive x (within 1e-13 relative of powf while
            // |e·ln x| ≤ 708); everything else (negative or zero bases, overflow) is powf's.
            (None, Some(e)) => map_numeric_fixed(a, |x| exp_fast(e * ln_fast(x)), |x| x.powf(e)),
            (Some(_), Some(_)) => Err(EvalError::new("give the exponent either as a second input or as the `exponent` param, not both.")),
            (None, None) => Err(EvalError::new("needs an exponent: the `exponent` param or a second input.")),
        }
    },
};

macro_rules! unary_primitive {
    ($ident:ident, $name:literal, $summary:literal, $doc:literal, $reference:literal, $f:expr) => {
        static $ident: Primitive = Primitive {
            name: $name,
            family: Family::Math,
            summary: $summary,
            doc: $doc,
            reference: $reference,
            inputs: UNARY_INPUTS,
            params: &[],
            returns: Returns::LikeInput(0),
            request: None,
            eval: |c| map_numeric(c.input(0), $f),
        };
    };
}

unary_primitive!(
    ABS,
    "abs",
    "Absolute value",
    "Elementwise |x|; NaN stays NaN.",
    "pandas: s.abs()",
    f64::abs
);
unary_primitive!(
    NEGATE,
    "negate",
    "−x",
    "Elementwise negation; NaN stays NaN.",
    "pandas: -s",
    |x: f64| -x
);
static EXP: Primitive = Primitive {
    name: "exp",
    family: Family::Math,
    summary: "e^x",
    doc: "Elementwise exponential.",
    reference: "numpy: np.exp(s)",
    inputs: UNARY_INPUTS,
    params: &[],
    returns: Returns::LikeInput(0),
    request: None,
    // Vectorised fdlibm exp (within 1 ulp) where the result is normal and finite.
    eval: |c| map_numeric_fixed(c.input(0), exp_fast, f64::exp),
};
unary_primitive!(
    SQRT,
    "sqrt",
    "Square root",
    "Elementwise square root; negative values give NaN.",
    "numpy: np.sqrt(s)",
    f64::sqrt
);
unary_primitive!(
    SIGN,
    "sign",
    "Sign of x: −1, 0 or 1",
    "Elementwise sign: −1 for negative, 0 for zero, 1 for positive, NaN for NaN.",
    "numpy: np.sign(s)",
    |x: f64| if x.is_nan() {
        f64::NAN
    } else if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
);

static LOG: Primitive = Primitive {
    name: "log",
    family: Family::Math,
    summary: "Logarithm (natural unless `base` is given)",
    doc: "Elementwise logarithm. ln(0) = −inf, negative values give NaN. With `base`, log(x)/log(base).",
    reference: "numpy: np.log(s), np.log(s) / np.log(base)",
    inputs: UNARY_INPUTS,
    params: &[Param::number("base", "logarithm base (e.g. 10); natural log when absent").above(0.0)],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| match c.params.opt_num("base")? {
        // Vectorised fdlibm log (within 1 ulp) for positive normal values.
        None => map_numeric_fixed(c.input(0), ln_fast, f64::ln),
        Some(1.0) => Err(EvalError::new("`base` must not be 1 (log base 1 is undefined).")),
        Some(10.0) => map_numeric(c.input(0), f64::log10),
        Some(2.0) => map_numeric(c.input(0), f64::log2),
        Some(b) => {
            let lb = b.ln();
            map_numeric_fixed(c.input(0), move |x| ln_fast(x) / lb, move |x| x.ln() / lb)
        }
    },
};

static CLIP: Primitive = Primitive {
    name: "clip",
    family: Family::Math,
    summary: "Limit values to [lower, upper]",
    doc: "Values below `lower` become `lower`, above `upper` become `upper`; either bound may be left out. NaN stays NaN.",
    reference: "pandas: s.clip(lower, upper)",
    inputs: UNARY_INPUTS,
    params: &[Param::number("lower", "lowest value kept"), Param::number("upper", "highest value kept")],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let lo = c.params.opt_num("lower")?.unwrap_or(f64::NEG_INFINITY);
        let hi = c.params.opt_num("upper")?.unwrap_or(f64::INFINITY);
        if lo > hi {
            return Err(EvalError::new(format!("`lower` ({lo}) must not exceed `upper` ({hi}).")));
        }
        map_numeric(c.input(0), move |x| if x.is_nan() { x } else { x.max(lo).min(hi) })
    },
};

static ROUND: Primitive = Primitive {
    name: "round",
    family: Family::Math,
    summary: "Round to `decimals` places, ties to even",
    doc: "Rounds half to even like numpy: scales by 10^decimals, rounds to the nearest integer with ties to even, scales back. Negative `decimals` round to tens, hundreds, ….",
    reference: "numpy: np.round(s, decimals)",
    inputs: UNARY_INPUTS,
    params: &[Param::int("decimals", "decimal places (negative for tens, hundreds…)").default_int(0).min(-15.0).max(15.0)],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let d = c.params.int("decimals")?;
        if d == 0 {
            // Scaling by 10⁰ = 1 is exact both ways: skip the multiply and the divide.
            map_numeric(c.input(0), f64::round_ties_even)
        } else if d > 0 {
            let p = 10f64.powi(d as i32);
            map_numeric(c.input(0), move |x| (x * p).round_ties_even() / p)
        } else {
            let p = 10f64.powi(-d as i32);
            map_numeric(c.input(0), move |x| (x / p).round_ties_even() * p)
        }
    },
};

static SCALE: Primitive = Primitive {
    name: "scale",
    family: Family::Math,
    summary: "x × factor + offset",
    doc: "Elementwise affine map x·factor + offset (e.g. factor 100 for percent).",
    reference: "pandas: s * factor + offset",
    inputs: UNARY_INPUTS,
    params: &[
        Param::number("factor", "multiplier").default_num(1.0),
        Param::number("offset", "added after multiplying").default_num(0.0),
    ],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let (f, o) = (c.params.num("factor")?, c.params.num("offset")?);
        map_numeric(c.input(0), move |x| x * f + o)
    },
};
