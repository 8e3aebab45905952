"""Shared datasets and encoders for the golden-case generator.

Every golden case is computed by the reference library (pandas, numpy, statsmodels,
TA-Lib, QuantLib); this module only builds deterministic inputs and writes values in the
engine's tagged JSON format (see `Value::to_json` in shared/engine/src/value.rs):

    {"kind": "series", "dates": ["2015-01-01", ...], "values": [1.0, null, "inf", ...]}

NaN is written as null and infinities as "inf"/"-inf", so every f64 survives the trip.
Floats are written with repr(), which round-trips exactly.
"""

import math

import numpy as np
import pandas as pd

RTOL = 1e-9
RTOL_ITERATIVE = 1e-6


def num(x):
    """A float as JSON: null for NaN, "inf"/"-inf" for infinities."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def dates(index):
    return [pd.Timestamp(d).strftime("%Y-%m-%d") for d in index]


def series(s):
    """A date-indexed pandas Series as a series value."""
    return {"kind": "series", "dates": dates(s.index), "values": [num(x) for x in s.to_numpy(dtype=float)]}


def frame(df):
    """A date-indexed DataFrame as a frame value (column order kept)."""
    return {
        "kind": "frame",
        "dates": dates(df.index),
        "columns": {str(c): [num(x) for x in df[c].to_numpy(dtype=float)] for c in df.columns},
    }


def scalar(x):
    return {"kind": "scalar", "value": num(x)}


def record(d):
    return {"kind": "record", "fields": {k: num(v) for k, v in d.items()}}


def table(df):
    """A DataFrame as a table value: numeric columns as numbers, others as strings."""
    cols = {}
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col):
            cols[str(c)] = [num(x) for x in col.to_numpy(dtype=float)]
        else:
            cols[str(c)] = [str(x) for x in col]
    return {"kind": "table", "columns": cols}


def case(name, operation, inputs, expected, params=None, rtol=RTOL, atol=0.0):
    """One golden case. `expected` is a value dict, or {"error": "substring"} for a
    call the engine must refuse."""
    return {
        "name": name,
        "operation": operation,
        "params": params or {},
        "inputs": inputs,
        "expected": expected,
        "rtol": rtol,
        "atol": atol,
    }


# ---------------------------------------------------------------- datasets

_RNG = np.random.RandomState(20261122)


def _walk(n, start="2015-01-01", scale=1.0, seed=1):
    rng = np.random.RandomState(seed)
    idx = pd.bdate_range(start, periods=n)
    r = rng.normal(0.0003, 0.012, n)
    return pd.Series(100.0 * np.exp(np.cumsum(r)) * scale, index=idx)


def datasets():
    """Named series covering the edge cases every primitive is checked on."""
    walk = _walk(300)
    gaps = walk.copy()
    rng = np.random.RandomState(7)
    gaps[rng.rand(len(gaps)) < 0.06] = np.nan
    gaps.iloc[100:112] = np.nan
    # A second series on a different, partly overlapping date set.
    other_idx = pd.date_range("2015-03-01", periods=260, freq="D")[::1]
    other_idx = other_idx[(np.arange(len(other_idx)) % 3) != 1]
    other = pd.Series(50 + np.cumsum(np.random.RandomState(3).normal(0, 1, len(other_idx))), index=other_idx)
    returns = walk.pct_change().iloc[1:]
    signed = pd.Series(np.random.RandomState(11).normal(0, 2, 120), index=pd.bdate_range("2016-01-01", periods=120))
    signed.iloc[[5, 17, 40]] = 0.0
    return {
        "walk": walk,
        "gaps": gaps,
        "other": other,
        "short": walk.iloc[:5],
        "constant": pd.Series(3.0, index=pd.bdate_range("2017-01-02", periods=50)),
        "large": _walk(200, scale=1e9, seed=5),
        "returns": returns,
        "signed": signed,
    }


def ohlcv(n=300, seed=2, with_gaps=False):
    """A realistic OHLCV frame (high ≥ max(open, close), low ≤ min(open, close))."""
    rng = np.random.RandomState(seed)
    idx = pd.bdate_range("2018-01-01", periods=n)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.015, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.007, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.007, n)))
    vol = rng.randint(1_000_000, 5_000_000, n).astype(float)
    df = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=idx)
    if with_gaps:
        df.iloc[50:53] = np.nan
    return df
