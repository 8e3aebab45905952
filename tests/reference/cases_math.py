"""Golden cases for the math family (reference: pandas / numpy)."""

import numpy as np
import pandas as pd

from common import case, datasets, scalar, series


def _elementwise(ufunc, a, b):
    """numpy ufunc on two date-aligned series (union of dates), or series and scalar."""
    if isinstance(b, pd.Series):
        a, b = a.align(b)
        return pd.Series(ufunc(a.to_numpy(), b.to_numpy()), index=a.index)
    return pd.Series(ufunc(a.to_numpy(), b), index=a.index)


def cases():
    d = datasets()
    out = []
    pairs = [("walk", "gaps"), ("walk", "other"), ("gaps", "other"), ("short", "walk"), ("large", "walk")]
    binary = {
        "add": lambda a, b: a.add(b),
        "subtract": lambda a, b: a.sub(b),
        "multiply": lambda a, b: a.mul(b),
        "divide": lambda a, b: a.div(b),
        "maximum": lambda a, b: _elementwise(np.maximum, a, b),
        "minimum": lambda a, b: _elementwise(np.minimum, a, b),
    }
    for op, f in binary.items():
        for a, b in pairs:
            out.append(case(f"{op}/{a}_{b}", op, [series(d[a]), series(d[b])], series(f(d[a], d[b]))))
        # Broadcasting a scalar, from an input and from the `value` param.
        out.append(case(f"{op}/{op}_scalar_input", op, [series(d["gaps"]), scalar(2.5)], series(f(d["gaps"], 2.5))))
        out.append(case(f"{op}/scalar_param", op, [series(d["signed"])], series(f(d["signed"], -1.5)), {"value": -1.5}))
        out.append(case(f"{op}/scalar_scalar", op, [scalar(3.0), scalar(4.0)], scalar(f(pd.Series([3.0]), 4.0).iloc[0])))
    # Division by zero follows IEEE: ±inf and NaN.
    zero = d["signed"] * 0.0
    out.append(case("divide/by_zero", "divide", [series(d["signed"]), series(zero)], series(d["signed"] / zero)))

    unary = {
        "abs": lambda s: s.abs(),
        "negate": lambda s: -s,
        "exp": lambda s: np.exp(s),
        "sqrt": lambda s: np.sqrt(s),
        "sign": lambda s: np.sign(s),
    }
    with np.errstate(all="ignore"):
        for op, f in unary.items():
            for name in ["signed", "gaps", "returns", "constant"]:
                src = d[name] / 100.0 if op == "exp" and name == "gaps" else d[name]
                out.append(case(f"{op}/{name}", op, [series(src)], series(f(src))))
            out.append(case(f"{op}/scalar", op, [scalar(-2.25)], scalar(f(pd.Series([-2.25])).iloc[0])))
        for name in ["walk", "gaps", "signed", "large"]:
            s = d[name]
            out.append(case(f"log/natural_{name}", "log", [series(s)], series(np.log(s))))
            out.append(case(f"log/base10_{name}", "log", [series(s)], series(np.log(s) / np.log(10.0)), {"base": 10}))
            out.append(case(f"log/base3_{name}", "log", [series(s)], series(np.log(s) / np.log(3.0)), {"base": 3}))
        for name in ["walk", "gaps", "signed"]:
            s = d[name]
            out.append(case(f"power/exp2_{name}", "power", [series(s)], series(s**2), {"exponent": 2}))
            out.append(case(f"power/exp_half_{name}", "power", [series(s)], series(s**0.5), {"exponent": 0.5}))
        out.append(case("power/series_exponent", "power", [series(d["walk"] / 100), series(d["signed"])], series((d["walk"] / 100) ** d["signed"])))
    for name in ["signed", "gaps"]:
        s = d[name]
        out.append(case(f"clip/both_{name}", "clip", [series(s)], series(s.clip(-1.0, 1.5)), {"lower": -1.0, "upper": 1.5}))
        out.append(case(f"clip/lower_{name}", "clip", [series(s)], series(s.clip(lower=0.0)), {"lower": 0.0}))
        out.append(case(f"clip/upper_{name}", "clip", [series(s)], series(s.clip(upper=100.0)), {"upper": 100.0}))
    out.append(case("clip/bad_bounds", "clip", [series(d["signed"])], {"error": "must not exceed"}, {"lower": 2, "upper": 1}))
    halves = pd.Series([0.5, 1.5, 2.5, -0.5, -1.5, 0.125, 0.375, 2.675, np.nan, 1234.5678], index=pd.bdate_range("2020-01-01", periods=10))
    for dec in [0, 1, 2, -1, -2]:
        for name, s in [("halves", halves), ("signed", d["signed"]), ("walk", d["walk"])]:
            out.append(case(f"round/{name}_d{dec}", "round", [series(s)], series(np.round(s, dec)), {"decimals": dec}))
    for name in ["gaps", "signed"]:
        s = d[name]
        out.append(case(f"scale/{name}", "scale", [series(s)], series(s * 100.0 + -3.0), {"factor": 100.0, "offset": -3.0}))
        out.append(case(f"scale/defaults_{name}", "scale", [series(s)], series(s * 1.0 + 0.0)))
    return out
