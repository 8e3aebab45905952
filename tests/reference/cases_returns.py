"""Golden cases for the returns family (reference: pandas / numpy formulas).

Each expected value applies, with pandas, exactly the formula the primitive's `doc`
states (see shared/engine/src/primitives/returns.rs). Where pandas would divide by an
exact zero (Sharpe of a riskless series, Sortino with no period below target, Calmar
of a series that never falls), the documented result is NaN and the formula here says so.
"""

import numpy as np
import pandas as pd

from common import case, datasets, scalar, series


def _sharpe(r, risk_free=0.0, ppy=252):
    e = r - risk_free / ppy
    sd = e.std()
    return np.nan if sd == 0 else e.mean() / sd * np.sqrt(ppy)


def _sortino(r, target=0.0, ppy=252):
    e = (r - target / ppy).dropna()
    if len(e) == 0:
        return np.nan
    dd = np.sqrt((np.minimum(e, 0) ** 2).mean())
    return np.nan if dd == 0 else e.mean() / dd * np.sqrt(ppy)


def _cagr(s):
    v = s.dropna()
    if len(v) < 2:
        return np.nan
    days = (v.index[-1] - v.index[0]).days
    a, b = float(v.iloc[0]), float(v.iloc[-1])
    if days <= 0 or a <= 0 or b < 0:
        return np.nan
    return (b / a) ** (365.25 / days) - 1


def _mdd(s):
    return (s / s.cummax() - 1).min()


def _calmar(s):
    m = _mdd(s)
    if m == 0 or np.isnan(m):
        return np.nan
    return _cagr(s) / abs(m)


def cases():
    d = datasets()
    out = []
    # Prices with missing values at both ends, a series that only rises, one that is all NaN.
    edges = d["gaps"].copy()
    edges.iloc[:3] = np.nan
    edges.iloc[-4:] = np.nan
    rising = pd.Series(np.linspace(10.0, 30.0, 40) ** 1.1, index=pd.bdate_range("2019-01-01", periods=40))
    one = pd.Series([np.nan, 5.0, np.nan], index=pd.bdate_range("2019-01-01", periods=3))
    empty = pd.Series([np.nan, np.nan], index=pd.bdate_range("2019-01-01", periods=2))
    prices = {k: d[k] for k in ["walk", "gaps", "other", "short", "constant", "large"]}
    prices["edges"] = edges
    # Simple returns with NaN gaps and on another calendar.
    rets = {
        "returns": d["returns"],
        "gap_returns": d["gaps"].pct_change(fill_method=None),
        "other_returns": d["other"].pct_change(fill_method=None),
        "signed_pct": d["signed"] / 100.0,
        "large_returns": d["large"].pct_change(fill_method=None),
        "short_returns": d["short"].pct_change(fill_method=None),
    }

    with np.errstate(all="ignore"):
        for name, s in list(prices.items()) + [("signed", d["signed"])]:
            for p in [1, 5, -1, -3]:
                out.append(case(f"percent_change/{name}_p{p}", "percent_change", [series(s)],
                                series(s.pct_change(periods=p, fill_method=None)), {"periods": p}))
                out.append(case(f"log_return/{name}_p{p}", "log_return", [series(s)],
                                series(np.log(s / s.shift(p))), {"periods": p}))
        out.append(case("percent_change/default_period", "percent_change", [series(d["walk"])],
                        series(d["walk"].pct_change(fill_method=None))))
        out.append(case("log_return/default_period", "log_return", [series(d["gaps"])],
                        series(np.log(d["gaps"] / d["gaps"].shift(1)))))
    out.append(case("percent_change/periods_zero", "percent_change", [series(d["walk"])],
                    {"error": "must not be 0"}, {"periods": 0}))
    out.append(case("log_return/periods_zero", "log_return", [series(d["walk"])],
                    {"error": "must not be 0"}, {"periods": 0}))

    for name, r in list(rets.items()) + [("constant", d["constant"] / 100.0)]:
        out.append(case(f"cumulative_return/{name}", "cumulative_return", [series(r)], series((1 + r).cumprod() - 1)))

    for name, s in list(prices.items()) + [("rising", rising), ("one", one), ("empty", empty)]:
        out.append(case(f"drawdown/{name}", "drawdown", [series(s)], series(s / s.cummax() - 1)))
        out.append(case(f"max_drawdown/{name}", "max_drawdown", [series(s)], scalar(_mdd(s))))
        out.append(case(f"cagr/{name}", "cagr", [series(s)], scalar(_cagr(s))))
        out.append(case(f"calmar_ratio/{name}", "calmar_ratio", [series(s)], scalar(_calmar(s))))

    for name, r in list(rets.items()) + [("constant", d["constant"]), ("one", one)]:
        out.append(case(f"volatility/{name}", "volatility", [series(r)], scalar(r.std() * np.sqrt(252))))
        out.append(case(f"volatility/{name}_monthly", "volatility", [series(r)], scalar(r.std() * np.sqrt(12)),
                        {"periods_per_year": 12}))
        out.append(case(f"sharpe_ratio/{name}", "sharpe_ratio", [series(r)], scalar(_sharpe(r))))
        out.append(case(f"sortino_ratio/{name}", "sortino_ratio", [series(r)], scalar(_sortino(r))))
        if name != "constant":
            # A nonzero rate on a constant series would leave only rounding noise in pandas' std.
            out.append(case(f"sharpe_ratio/{name}_rf", "sharpe_ratio", [series(r)], scalar(_sharpe(r, 0.03, 52)),
                            {"risk_free": 0.03, "periods_per_year": 52}))
            out.append(case(f"sortino_ratio/{name}_target", "sortino_ratio", [series(r)],
                            scalar(_sortino(r, 0.05, 12)), {"target": 0.05, "periods_per_year": 12}))
    rising_r = rising.pct_change(fill_method=None)
    out.append(case("sortino_ratio/never_below_target", "sortino_ratio", [series(rising_r)], scalar(_sortino(rising_r))))
    out.append(case("volatility/ppy_zero", "volatility", [series(d["returns"])],
                    {"error": "greater than 0"}, {"periods_per_year": 0}))
    out.append(case("sharpe_ratio/rate_in_percent", "sharpe_ratio", [series(d["returns"])],
                    {"error": "between -1 and 1"}, {"risk_free": 2}))
    out.append(case("sortino_ratio/negative_ppy", "sortino_ratio", [series(d["returns"])],
                    {"error": "greater than 0"}, {"periods_per_year": -12}))
    return out
