#!/usr/bin/env python3
"""Engine speed against pandas, polars (1 thread and default) and TA-Lib, in one run.

Usage:  tests/bench/compare.py [--auster PATH] [--sizes 10000,1000000,10000000] [--filter TEXT]

Runs `auster bench engine --json` for our figures, times the same operations on the
same kind of data (a 100-based random walk; OHLCV frame for indicators) with the
references, and prints best times and the ratio  fastest peer / ours  (above 1: we win).
Polars runs in child processes so that POLARS_MAX_THREADS takes effect.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

WINDOW = 20  # the window `auster bench` uses for rolling primitives


def walk(n, seed=1):
    rng = np.random.RandomState(seed)
    return 100.0 * np.cumprod(1.0 + 0.02 * (rng.rand(n) - 0.5))


def best_time(fn, budget=0.3, max_reps=200):
    fn()
    best = float("inf")
    t0 = time.perf_counter()
    reps = 0
    while reps < 3 or (time.perf_counter() - t0 < budget and reps < max_reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        reps += 1
    return best * 1e9


def pandas_ops(n):
    idx = pd.RangeIndex(n)
    s = pd.Series(walk(n, 1), index=idx)
    t = pd.Series(walk(n, 2), index=idx)
    r = s.pct_change()
    ops = {
        "add": lambda: s + 1.5, "subtract": lambda: s - 1.5, "multiply": lambda: s * 1.5,
        "divide": lambda: s / 1.5, "power": lambda: s ** 1.7, "abs": lambda: s.abs(),
        "negate": lambda: -s, "log": lambda: np.log(s), "exp": lambda: np.exp(s / 100),
        "sqrt": lambda: np.sqrt(s), "clip": lambda: s.clip(90, 110), "round": lambda: s.round(0),
        "sign": lambda: np.sign(s), "maximum": lambda: np.maximum(s, 1.5),
        "minimum": lambda: np.minimum(s, 1.5), "scale": lambda: s * 1.0 + 0.0,
        "mean": lambda: s.mean(), "median": lambda: s.median(), "std": lambda: s.std(),
        "var": lambda: s.var(), "min": lambda: s.min(), "max": lambda: s.max(), "sum": lambda: s.sum(),
        "count": lambda: s.count(), "percentile": lambda: np.nanpercentile(s.to_numpy(), 50),
        "skew": lambda: s.skew(), "kurtosis": lambda: s.kurt(),
        "rolling_mean": lambda: s.rolling(WINDOW).mean(), "rolling_std": lambda: s.rolling(WINDOW).std(),
        "rolling_var": lambda: s.rolling(WINDOW).var(), "rolling_min": lambda: s.rolling(WINDOW).min(),
        "rolling_max": lambda: s.rolling(WINDOW).max(), "rolling_sum": lambda: s.rolling(WINDOW).sum(),
        "rolling_median": lambda: s.rolling(WINDOW).median(),
        "rolling_quantile": lambda: s.rolling(WINDOW).quantile(0.5),
        "rolling_zscore": lambda: (s - s.rolling(WINDOW).mean()) / s.rolling(WINDOW).std(),
        "cumsum": lambda: s.cumsum(), "cumprod": lambda: (s / 100).cumprod(), "cummax": lambda: s.cummax(),
        "cummin": lambda: s.cummin(), "ema": lambda: s.ewm(span=20, adjust=False).mean(),
        "zscore": lambda: (s - s.mean()) / s.std(), "rank": lambda: s.rank(),
        "describe": lambda: s.describe(),
        "percent_change": lambda: s.pct_change(fill_method=None), "log_return": lambda: np.log(s / s.shift(1)),
        "cumulative_return": lambda: (1 + r).cumprod() - 1, "drawdown": lambda: s / s.cummax() - 1,
        "max_drawdown": lambda: (s / s.cummax() - 1).min(),
        "volatility": lambda: r.std() * np.sqrt(252), "sharpe_ratio": lambda: r.mean() / r.std() * np.sqrt(252),
        "correlation": lambda: s.corr(t), "covariance": lambda: s.cov(t),
        "rolling_correlation": lambda: s.rolling(WINDOW).corr(t),
        "beta": lambda: s.cov(t) / t.var(), "rolling_beta": lambda: s.rolling(WINDOW).cov(t) / t.rolling(WINDOW).var(),
        "autocorrelation": lambda: s.autocorr(1),
        "shift": lambda: s.shift(1), "fillna": lambda: s.ffill(), "dropna": lambda: s.dropna(),
        "gt": lambda: (s > 100).astype(float), "lt": lambda: (s < 100).astype(float),
        "ge": lambda: (s >= 100).astype(float), "le": lambda: (s <= 100).astype(float),
        "eq": lambda: (s == 100).astype(float), "slice": lambda: s.tail(1000).copy(),
        "sort": lambda: s.sort_values(), "unique": lambda: s.unique(),
    }
    return ops


def talib_ops(n):
    import talib

    close = walk(n, 7)
    high, low = close * 1.01, close * 0.99
    return {
        "sma": lambda: talib.SMA(close, WINDOW), "wma": lambda: talib.WMA(close, WINDOW),
        "ta_ema": lambda: talib.EMA(close, WINDOW), "rsi": lambda: talib.RSI(close, 14),
        "macd": lambda: talib.MACD(close, 12, 26, 9), "bollinger_bands": lambda: talib.BBANDS(close, 20, 2, 2),
        "atr": lambda: talib.ATR(high, low, close, 14), "stochastic": lambda: talib.STOCH(high, low, close, 5, 3, 0, 3, 0),
        "rolling_mean": lambda: talib.SMA(close, WINDOW), "rolling_std": lambda: talib.STDDEV(close, WINDOW),
        "rolling_max": lambda: talib.MAX(close, WINDOW), "rolling_min": lambda: talib.MIN(close, WINDOW),
        "rolling_sum": lambda: talib.SUM(close, WINDOW), "ema": lambda: talib.EMA(close, WINDOW),
    }


POLARS_CHILD = r"""
import json, sys, time
import numpy as np, polars as pl
sys.path.insert(0, sys.argv[1])
from compare import walk, best_time, WINDOW
n = int(sys.argv[2])
s = pl.Series("s", walk(n, 1)); t = pl.Series("t", walk(n, 2))
df = pl.DataFrame({"s": s, "t": t})
ops = {
 "add": lambda: s + 1.5, "subtract": lambda: s - 1.5, "multiply": lambda: s * 1.5, "divide": lambda: s / 1.5,
 "power": lambda: s ** 1.7, "abs": lambda: s.abs(), "negate": lambda: -s, "log": lambda: s.log(),
 "exp": lambda: (s / 100).exp(), "sqrt": lambda: s.sqrt(), "clip": lambda: s.clip(90, 110), "round": lambda: s.round(0),
 "sign": lambda: s.sign(), "mean": lambda: s.mean(), "median": lambda: s.median(), "std": lambda: s.std(),
 "var": lambda: s.var(), "min": lambda: s.min(), "max": lambda: s.max(), "sum": lambda: s.sum(),
 "count": lambda: s.count(), "percentile": lambda: s.quantile(0.5, "linear"), "skew": lambda: s.skew(bias=False),
 "kurtosis": lambda: s.kurtosis(bias=False),
 "rolling_mean": lambda: s.rolling_mean(WINDOW), "rolling_std": lambda: s.rolling_std(WINDOW),
 "rolling_var": lambda: s.rolling_var(WINDOW), "rolling_min": lambda: s.rolling_min(WINDOW),
 "rolling_max": lambda: s.rolling_max(WINDOW), "rolling_sum": lambda: s.rolling_sum(WINDOW),
 "rolling_median": lambda: s.rolling_median(WINDOW), "rolling_quantile": lambda: s.rolling_quantile(0.5, "linear", WINDOW),
 "cumsum": lambda: s.cum_sum(), "cumprod": lambda: (s / 100).cum_prod(), "cummax": lambda: s.cum_max(), "cummin": lambda: s.cum_min(),
 "ema": lambda: s.ewm_mean(span=20, adjust=False), "rank": lambda: s.rank(),
 "percent_change": lambda: s.pct_change(), "log_return": lambda: (s / s.shift(1)).log(),
 "drawdown": lambda: s / s.cum_max() - 1, "max_drawdown": lambda: (s / s.cum_max() - 1).min(),
 "correlation": lambda: df.select(pl.corr("s", "t")), "covariance": lambda: df.select(pl.cov("s", "t")),
 "shift": lambda: s.shift(1), "fillna": lambda: s.fill_null(strategy="forward"), "dropna": lambda: s.drop_nulls(),
 "gt": lambda: (s > 100).cast(pl.Float64), "lt": lambda: (s < 100).cast(pl.Float64),
 "slice": lambda: s.tail(1000), "sort": lambda: s.sort(), "unique": lambda: s.unique(),
}
print(json.dumps({k: best_time(f) for k, f in ops.items()}))
"""


def polars_times(n, threads):
    env = dict(os.environ)
    if threads:
        env["POLARS_MAX_THREADS"] = str(threads)
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", POLARS_CHILD, here, str(n)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"polars run failed: {out.stderr[-500:]}", file=sys.stderr)
        return {}
    return json.loads(out.stdout)


def fmt(ns):
    if ns is None:
        return "—"
    if ns < 1e3:
        return f"{ns:.0f}ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f}µs"
    return f"{ns / 1e6:.2f}ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auster", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "auster"))
    ap.add_argument("--sizes", default="10000,1000000,10000000")
    ap.add_argument("--filter", default=None)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    cmd = [args.auster, "bench", "engine", "--json", "--sizes", args.sizes] + (["--filter", args.filter] if args.filter else [])
    ours_doc = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    ours = {(p["name"], p["size"]): p for p in ours_doc["primitives"]}
    print(f"copy bandwidth {ours_doc['copy_bandwidth_gbs']:.1f} GB/s; model {ours_doc.get('model_20_steps_10k')}; memory {ours_doc.get('memory_10m')}")
    header = f"{'primitive':<20}{'points':>10}{'ours':>11}{'pandas':>11}{'polars1':>11}{'polarsN':>11}{'talib':>11}{'peer/ours':>11}  x-pass"
    slower = []
    for n in sizes:
        print("\n" + header)
        pd_ops, ta_ops = pandas_ops(n), talib_ops(n)
        pl1, pln = polars_times(n, 1), polars_times(n, None)
        for name in sorted({k[0] for k in ours}):
            if args.filter and args.filter not in name:
                continue
            mine = ours.get((name, n), {})
            ns = mine.get("ns")
            pd_ns = best_time(pd_ops[name]) if name in pd_ops else None
            ta_ns = best_time(ta_ops[name]) if name in ta_ops else None
            peers = [x for x in [pd_ns, pl1.get(name), ta_ns] if x is not None]
            ratio = (min(peers) / ns) if (ns and peers) else None
            if ratio is not None and ratio < 1.0:
                slower.append((name, n, ratio))
            xp = mine.get("pass_ratio")
            print(f"{name:<20}{n:>10}{fmt(ns):>11}{fmt(pd_ns):>11}{fmt(pl1.get(name)):>11}{fmt(pln.get(name)):>11}{fmt(ta_ns):>11}"
                  f"{(f'{ratio:.2f}' if ratio else '—'):>11}  {(f'{xp:.2f}' if xp else '—')}{'' if ns else '  ' + mine.get('note', '')}")
    print("\nslower than the fastest single-threaded peer (pandas, polars 1 thread, TA-Lib):")
    for name, n, r in slower:
        print(f"  {name} at {n}: {r:.2f}")
    if not slower:
        print("  none")


if __name__ == "__main__":
    main()
