"""Golden cases for the technical family (reference: TA-Lib through the ta-lib wrapper).

Inputs are passed to talib exactly as numpy arrays; the wrapper skips leading NaNs and
returns TA-Lib's NaN lookback prefix, which is what the engine must reproduce.
"""

import numpy as np
import pandas as pd
import talib

from common import case, datasets, frame, ohlcv, series


def _s(values, like):
    return pd.Series(values, index=like.index)


def _leading_nan(s, k=7):
    out = s.copy()
    out.iloc[:k] = np.nan
    return out


def _inputs():
    d = datasets()
    big = pd.Series(
        1000 + np.cumsum(np.random.RandomState(5).normal(0, 1, 700)),
        index=pd.bdate_range("2010-01-01", periods=700),
    )
    # Plateaus: windows of equal values exercise the flat-window rules (σ = 0, RSI 0).
    steps = pd.Series(np.repeat(np.arange(20.0), 7) + 100.0, index=pd.bdate_range("2019-01-01", periods=140))
    return {
        "walk": d["walk"],
        "large": d["large"],
        "returns": d["returns"],
        "signed": d["signed"],
        "constant": d["constant"],
        "short": d["short"],
        "leading_nan": _leading_nan(d["walk"]),
        "big": big,
        "steps": steps,
    }


def _ohlc_inputs():
    flat = ohlcv(60, seed=9)
    flat[["open", "high", "low", "close"]] = 42.0
    lead = ohlcv(120, seed=4)
    lead.iloc[:4, lead.columns.get_loc("close")] = np.nan
    lead.iloc[:6, lead.columns.get_loc("low")] = np.nan
    return {
        "ohlc2": ohlcv(300, seed=2),
        "ohlc3": ohlcv(300, seed=3),
        "ohlc_large": ohlcv(200, seed=8) * 1e7,
        "ohlc_short": ohlcv(10, seed=5),
        "ohlc_flat": flat,
        "ohlc_leading_nan": lead,
    }


def _hlc(df):
    return [df[c].to_numpy(dtype=float) for c in ("high", "low", "close")]


def cases():
    out = []
    xs = _inputs()
    gaps = datasets()["gaps"]

    single = {"sma": talib.SMA, "wma": talib.WMA, "ta_ema": talib.EMA}
    for op, f in single.items():
        for name, s in xs.items():
            for p in [1, 2, 5, 30]:
                want = _s(f(s.to_numpy(dtype=float), timeperiod=p), s)
                out.append(case(f"{op}/{name}_p{p}", op, [series(s)], series(want), {"period": p}))
        s = xs["walk"]
        n = len(s)
        for p in [n, n + 1, 100000]:
            want = _s(f(s.to_numpy(dtype=float), timeperiod=p), s)
            out.append(case(f"{op}/walk_period_edge_{p}", op, [series(s)], series(want), {"period": p}))
        out.append(case(f"{op}/default_period", op, [series(xs["big"])], series(_s(f(xs["big"].to_numpy(dtype=float)), xs["big"]))))
        out.append(case(f"{op}/interior_nan", op, [series(gaps)], {"error": "missing values inside the range"}, {"period": 5}))
        out.append(case(f"{op}/period_zero", op, [series(xs["walk"])], {"error": "between 1 and 100000"}, {"period": 0}))
        out.append(case(f"{op}/period_too_big", op, [series(xs["walk"])], {"error": "between 1 and 100000"}, {"period": 100001}))

    for name, s in xs.items():
        for p in [2, 3, 14, 30]:
            want = _s(talib.RSI(s.to_numpy(dtype=float), timeperiod=p), s)
            out.append(case(f"rsi/{name}_p{p}", "rsi", [series(s)], series(want), {"period": p}))
    out.append(case("rsi/default", "rsi", [series(xs["big"])], series(_s(talib.RSI(xs["big"].to_numpy(dtype=float)), xs["big"]))))
    tiny = xs["returns"] * 1e-9
    out.append(case("rsi/tiny_magnitudes", "rsi", [series(tiny)], series(_s(talib.RSI(tiny.to_numpy(dtype=float)), tiny))))
    out.append(case("rsi/period_one", "rsi", [series(xs["walk"])], {"error": "between 2 and 100000"}, {"period": 1}))
    out.append(case("rsi/interior_nan", "rsi", [series(gaps)], {"error": "use fillna or dropna"}))

    for name, s in xs.items():
        for fast, slow, sig in [(12, 26, 9), (5, 3, 1), (2, 2, 2), (3, 10, 4)]:
            m, g, h = talib.MACD(s.to_numpy(dtype=float), fastperiod=fast, slowperiod=slow, signalperiod=sig)
            want = pd.DataFrame({"macd": m, "signal": g, "hist": h}, index=s.index)
            params = {"fast": fast, "slow": slow, "signal": sig}
            out.append(case(f"macd/{name}_{fast}_{slow}_{sig}", "macd", [series(s)], frame(want), params))
    m, g, h = talib.MACD(xs["big"].to_numpy(dtype=float))
    out.append(case("macd/defaults", "macd", [series(xs["big"])], frame(pd.DataFrame({"macd": m, "signal": g, "hist": h}, index=xs["big"].index))))
    out.append(case("macd/fast_one", "macd", [series(xs["walk"])], {"error": "between 2 and 100000"}, {"fast": 1}))
    out.append(case("macd/signal_zero", "macd", [series(xs["walk"])], {"error": "between 1 and 100000"}, {"signal": 0}))
    out.append(case("macd/interior_nan", "macd", [series(gaps)], {"error": "missing values inside the range"}))

    for name, s in xs.items():
        for p in [2, 5, 20]:
            for up, dn in [(2.0, 2.0), (1.0, 1.0), (1.5, 2.5), (2.0, 1.0)]:
                u, m, lo = talib.BBANDS(s.to_numpy(dtype=float), timeperiod=p, nbdevup=up, nbdevdn=dn, matype=0)
                want = pd.DataFrame({"upper": u, "middle": m, "lower": lo}, index=s.index)
                params = {"period": p, "nbdev": up} if up == dn else {"period": p, "nbdevup": up, "nbdevdn": dn}
                out.append(case(f"bollinger_bands/{name}_p{p}_{up}_{dn}", "bollinger_bands", [series(s)], frame(want), params))
    u, m, lo = talib.BBANDS(xs["big"].to_numpy(dtype=float), timeperiod=20, nbdevup=2.0, nbdevdn=2.0, matype=0)
    out.append(case("bollinger_bands/defaults", "bollinger_bands", [series(xs["big"])], frame(pd.DataFrame({"upper": u, "middle": m, "lower": lo}, index=xs["big"].index))))
    u, m, lo = talib.BBANDS(xs["walk"].to_numpy(dtype=float), timeperiod=10, nbdevup=3.0, nbdevdn=2.0, matype=0)
    out.append(case("bollinger_bands/nbdevup_overrides_nbdev", "bollinger_bands", [series(xs["walk"])], frame(pd.DataFrame({"upper": u, "middle": m, "lower": lo}, index=xs["walk"].index)), {"period": 10, "nbdev": 2.0, "nbdevup": 3.0}))
    out.append(case("bollinger_bands/period_one", "bollinger_bands", [series(xs["walk"])], {"error": "between 2 and 100000"}, {"period": 1}))
    out.append(case("bollinger_bands/interior_nan", "bollinger_bands", [series(gaps)], {"error": "missing values inside the range"}))

    for name, df in _ohlc_inputs().items():
        h, lo, c = _hlc(df)
        for p in [1, 2, 14, 40]:
            want = pd.Series(talib.ATR(h, lo, c, timeperiod=p), index=df.index)
            out.append(case(f"atr/{name}_p{p}", "atr", [frame(df)], series(want), {"period": p}))
        for fk, sk, sd in [(5, 3, 3), (1, 1, 1), (14, 3, 5), (3, 1, 4), (50, 10, 10)]:
            k, d = talib.STOCH(h, lo, c, fastk_period=fk, slowk_period=sk, slowk_matype=0, slowd_period=sd, slowd_matype=0)
            want = pd.DataFrame({"k": k, "d": d}, index=df.index)
            params = {"fastk_period": fk, "slowk_period": sk, "slowd_period": sd}
            out.append(case(f"stochastic/{name}_{fk}_{sk}_{sd}", "stochastic", [frame(df)], frame(want), params))
    df = ohlcv(300, seed=2)
    h, lo, c = _hlc(df)
    out.append(case("atr/default", "atr", [frame(df)], series(pd.Series(talib.ATR(h, lo, c), index=df.index))))
    k, d = talib.STOCH(h, lo, c)
    out.append(case("stochastic/defaults", "stochastic", [frame(df)], frame(pd.DataFrame({"k": k, "d": d}, index=df.index))))
    gappy = ohlcv(120, seed=2, with_gaps=True)
    for op in ["atr", "stochastic"]:
        out.append(case(f"{op}/interior_nan", op, [frame(gappy)], {"error": "missing values inside the range"}))
        out.append(case(f"{op}/missing_column", op, [frame(df[["open", "high", "close"]])], {"error": "no `low` column"}))
    out.append(case("atr/period_zero", "atr", [frame(df)], {"error": "between 1 and 100000"}, {"period": 0}))
    out.append(case("stochastic/fastk_zero", "stochastic", [frame(df)], {"error": "between 1 and 100000"}, {"fastk_period": 0}))
    return out
