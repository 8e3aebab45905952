//! Small helpers every family uses: taking operands of the right kind, mapping
//! elementwise over scalars and series, aligned binary operations.

use crate::kernels::{align, elementwise};
use crate::registry::{Call, EvalError};
use crate::value::{Frame, Series, Value};

/// Operand `i` as a series (kinds were checked at validation, but values computed by
/// `Custom` primitives are only known at run time, so this still answers with a sentence).
pub fn series<'a>(call: &Call<'a>, i: usize) -> Result<&'a Series, EvalError> {
    match call.input(i) {
        Value::Series(s) => Ok(s),
        v => Err(EvalError::new(format!(
            "input {} must be a series, got a {}.",
            i + 1,
            v.kind().name()
        ))),
    }
}

/// Operand `i` as a frame.
pub fn frame<'a>(call: &Call<'a>, i: usize) -> Result<&'a Frame, EvalError> {
    match call.input(i) {
        Value::Frame(f) => Ok(f),
        v => Err(EvalError::new(format!(
            "input {} must be a frame, got a {}.",
            i + 1,
            v.kind().name()
        ))),
    }
}

/// Operand `i` as a scalar.
pub fn scalar(call: &Call<'_>, i: usize) -> Result<f64, EvalError> {
    match call.input(i) {
        Value::Scalar(x) => Ok(*x),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        v => Err(EvalError::new(format!(
            "input {} must be a scalar, got a {}.",
            i + 1,
            v.kind().name()
        ))),
    }
}

/// Applies `f` to every number of a scalar or series.
pub fn map_numeric(v: &Value, f: impl Fn(f64) -> f64) -> Result<Value, EvalError> {
    match v {
        Value::Scalar(x) => Ok(Value::Scalar(f(*x))),
        Value::Series(s) => Ok(Value::Series(s.with_values(elementwise::map(&s.values, f)))),
        v => Err(EvalError::new(format!(
            "expected a series or scalar, got a {}.",
            v.kind().name()
        ))),
    }
}

/// [`map_numeric`] with a vectorisable `fast` form of `exact` over series: `fast` returns
/// NaN outside its domain and those values get `exact` (see [`elementwise::map_fixed`]);
/// a scalar gets `exact`.
pub fn map_numeric_fixed(
    v: &Value,
    fast: impl Fn(f64) -> f64,
    exact: impl Fn(f64) -> f64,
) -> Result<Value, EvalError> {
    match v {
        Value::Series(s) => Ok(Value::Series(
            s.with_values(elementwise::map_fixed(&s.values, fast, exact)),
        )),
        v => map_numeric(v, exact),
    }
}

/// Applies `f` elementwise to two operands: series∘series aligned on the union of dates
/// (missing → NaN), series∘scalar broadcast, scalar∘scalar.
pub fn zip_numeric(a: &Value, b: &Value, f: impl Fn(f64, f64) -> f64) -> Result<Value, EvalError> {
    match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Ok(Value::Scalar(f(*x, *y))),
        (Value::Series(s), Value::Scalar(y)) => Ok(Value::Series(
            s.with_values(elementwise::map(&s.values, |x| f(x, *y))),
        )),
        (Value::Scalar(x), Value::Series(s)) => Ok(Value::Series(
            s.with_values(elementwise::map(&s.values, |y| f(*x, y))),
        )),
        (Value::Series(s), Value::Series(t)) => Ok(Value::Series(align::zip_with(s, t, f))),
        (a, b) => Err(EvalError::new(format!(
            "expected series or scalars, got a {} and a {}.",
            a.kind().name(),
            b.kind().name()
        ))),
    }
}

/// The NaN-skipping values of a series.
pub fn valid(values: &[f64]) -> impl Iterator<Item = f64> + '_ {
    values.iter().copied().filter(|x| !x.is_nan())
}
