"""Golden cases for the analysis family (reference: pandas, statsmodels).

Two-series operations align on the union of dates exactly as pandas does; the expected
values are pandas' `corr`, `cov`, `rolling(...).corr/cov/var`, `autocorr` and
statsmodels' OLS. Cases on ill-conditioned designs carry rtol 1e-6 (dsl.md §4).
"""

import numpy as np
import pandas as pd
import statsmodels.api as sm

from common import RTOL_ITERATIVE, _walk, case, datasets, record, scalar, series


def _pct(s):
    return s.pct_change(fill_method=None)


def _rolling_beta(a, b, window, min_periods):
    a2 = a + 0 * b
    b2 = b + 0 * a
    return a2.rolling(window, min_periods=min_periods).cov(b2) / b2.rolling(window, min_periods=min_periods).var()


def _beta(a, b):
    df = pd.concat([a, b], axis=1).dropna()
    x, y = df.iloc[:, 0], df.iloc[:, 1]
    return x.cov(y) / y.var()


def _ols_record(y, xs):
    df = pd.concat([y] + list(xs), axis=1, keys=[f"c{i}" for i in range(len(xs) + 1)])
    X = sm.add_constant(df.iloc[:, 1:], has_constant="add")
    fit = sm.OLS(df.iloc[:, 0], X, missing="drop").fit()
    p, se, t = fit.params.to_numpy(), fit.bse.to_numpy(), fit.tvalues.to_numpy()
    k = len(xs)
    rec = {}
    if k == 1:
        rec["slope"] = p[1]
    else:
        for j in range(k):
            rec[f"coef_{j + 1}"] = p[j + 1]
    rec["intercept"] = p[0]
    rec["r2"] = fit.rsquared
    rec["adj_r2"] = fit.rsquared_adj
    for base, arr in [("stderr", se), ("tstat", t)]:
        if k == 1:
            rec[base] = arr[1]
        else:
            for j in range(k):
                rec[f"{base}_{j + 1}"] = arr[j + 1]
    rec["intercept_stderr"] = se[0]
    rec["intercept_tstat"] = t[0]
    rec["n"] = fit.nobs
    return record(rec)


def _trend(s):
    t = pd.Series((s.index - pd.Timestamp("1970-01-01")).days.astype(float), index=s.index)
    fit = sm.OLS(s, sm.add_constant(t, has_constant="add"), missing="drop").fit()
    return fit.params.iloc[0] + fit.params.iloc[1] * t


def cases():
    d = datasets()
    out = []
    walk = d["walk"]
    # The walk with a flat stretch in the middle (exact zero variance inside a window after
    # a varying stretch), and a constant series on the walk's own dates.
    flat = walk.copy()
    flat.iloc[50:80] = flat.iloc[50]
    const_on_walk = pd.Series(3.0, index=walk.index)
    s = {k: d[k] for k in ["walk", "gaps", "other", "short", "constant", "large", "signed"]}
    s["flat"] = flat
    s["const_on_walk"] = const_on_walk
    pairs = [("walk", "gaps"), ("walk", "other"), ("gaps", "other"), ("short", "walk"), ("large", "walk"),
             ("flat", "gaps"), ("gaps", "flat"), ("const_on_walk", "walk"), ("walk", "const_on_walk"),
             ("constant", "short"), ("signed", "other")]
    with np.errstate(all="ignore"):
        for a, b in pairs:
            A, B = s[a], s[b]
            out.append(case(f"correlation/{a}_{b}", "correlation", [series(A), series(B)], scalar(A.corr(B))))
            out.append(case(f"covariance/{a}_{b}", "covariance", [series(A), series(B)], scalar(A.cov(B))))
            for w, mp in [(1, None), (2, None), (5, None), (20, None), (60, None), (20, 5), (20, 1), (20, 0)]:
                params = {"window": w} if mp is None else {"window": w, "min_periods": mp}
                tag = f"w{w}" + ("" if mp is None else f"_mp{mp}")
                out.append(case(f"rolling_correlation/{a}_{b}_{tag}", "rolling_correlation", [series(A), series(B)],
                                series(A.rolling(w, min_periods=mp).corr(B)), params))
        out.append(case("covariance/walk_other_ddof0", "covariance", [series(walk), series(s["other"])],
                        scalar(walk.cov(s["other"], ddof=0)), {"ddof": 0}))
        one_overlap = pd.Series([1.0, 2.0], index=[walk.index[0], pd.Timestamp("2030-01-01")])
        out.append(case("covariance/one_pair", "covariance", [series(walk), series(one_overlap)],
                        scalar(walk.cov(one_overlap))))
        out.append(case("correlation/one_pair", "correlation", [series(walk), series(one_overlap)],
                        scalar(walk.corr(one_overlap))))
        out.append(case("rolling_correlation/short_longer_window", "rolling_correlation",
                        [series(s["short"]), series(walk)], series(s["short"].rolling(20).corr(walk)), {"window": 20}))

        r = {
            "returns": d["returns"],
            "gap_returns": _pct(d["gaps"]),
            "other_returns": _pct(d["other"]),
            "large_returns": _pct(d["large"]),
            "flat_returns": _pct(flat),
            # 2^-10 sums and averages exactly, so pandas' own variance of it is exactly 0.
            "const_returns": pd.Series(2.0**-10, index=d["returns"].index),
        }
        r["w2_returns"] = _pct(_walk(300, seed=9))
        rpairs = [("returns", "w2_returns"), ("returns", "gap_returns"), ("returns", "other_returns"), ("large_returns", "returns"),
                  ("gap_returns", "flat_returns"), ("flat_returns", "returns"), ("returns", "const_returns"),
                  ("const_returns", "returns")]
        for a, b in rpairs:
            A, B = r[a], r[b]
            out.append(case(f"beta/{a}_{b}", "beta", [series(A), series(B)], scalar(_beta(A, B))))
            for w, mp in [(1, None), (2, None), (5, None), (20, None), (60, None), (20, 3), (20, 0)]:
                params = {"window": w} if mp is None else {"window": w, "min_periods": mp}
                tag = f"w{w}" + ("" if mp is None else f"_mp{mp}")
                out.append(case(f"rolling_beta/{a}_{b}_{tag}", "rolling_beta", [series(A), series(B)],
                                series(_rolling_beta(A, B, w, mp)), params))

    short_r = r["returns"].iloc[:6]
    out.append(case("rolling_beta/short_longer_window", "rolling_beta", [series(short_r), series(r["w2_returns"])],
                    series(_rolling_beta(short_r, r["w2_returns"], 20, None)), {"window": 20}))
    for name in ["rolling_correlation", "rolling_beta"]:
        out.append(case(f"{name}/window_zero", name, [series(walk), series(d["gaps"])],
                        {"error": "at least 1"}, {"window": 0}))
        out.append(case(f"{name}/min_periods_above_window", name, [series(walk), series(d["gaps"])],
                        {"error": "must not exceed `window`"}, {"window": 5, "min_periods": 6}))

    # Regression: one and several x, NaN gaps, different calendars, large magnitudes. The
    # regressors are independent walks (the common datasets `walk`, `gaps` and `returns`
    # are one path, which would make a fit exact and leave only rounding noise to compare).
    w2 = _walk(300, seed=9)
    w3 = _walk(300, seed=13)
    w3[np.random.RandomState(4).rand(len(w3)) < 0.08] = np.nan
    r2, r3 = _pct(w2), _pct(w3)
    reg = [
        ("returns_on_w2_returns", r["returns"], [r2], None),
        ("walk_on_other", walk, [s["other"]], None),
        ("large_on_walk", d["large"], [walk], None),
        ("gaps_on_w3", d["gaps"], [w3], None),
        ("walk_on_other_w3", walk, [s["other"], w3], None),
        ("large_on_three", d["large"], [walk, w2, w3], None),
        ("returns_on_two_returns", r["returns"], [r2, r3], None),
        ("other_on_gaps", s["other"], [d["gaps"]], None),
    ]
    rng = np.random.RandomState(42)
    # Ill-conditioned: a regressor with a level far above its spread, and two nearly
    # collinear regressors. statsmodels' pseudo-inverse itself carries ~1e-9 error here.
    offset = w2 + 1e4
    near = walk + pd.Series(rng.normal(0, 1e-2, len(walk)), index=walk.index)
    reg.append(("offset_regressor", d["gaps"], [offset], RTOL_ITERATIVE))
    reg.append(("near_collinear", d["large"] / 1e7 + pd.Series(rng.normal(0, 1, len(walk)), index=walk.index),
                [walk, near], RTOL_ITERATIVE))
    for name, y, xs, rtol in reg:
        out.append(case(f"regression/{name}", "regression", [series(y)] + [series(x) for x in xs],
                        _ols_record(y, xs), rtol=rtol or 1e-9))
    tiny = walk.iloc[:3]
    out.append(case("regression/too_few_rows", "regression", [series(tiny), series(walk), series(d["gaps"])],
                    {"error": "at least 4 dates"}))
    out.append(case("regression/two_points_one_x", "regression", [series(walk.iloc[:2]), series(walk)],
                    {"error": "at least 3 dates"}))
    out.append(case("regression/collinear", "regression", [series(d["gaps"]), series(walk), series(walk * 2.0)],
                    {"error": "linear combination"}))
    out.append(case("regression/constant_x", "regression", [series(walk), series(const_on_walk)],
                    {"error": "constant"}))

    for name in ["walk", "gaps", "other", "signed", "flat", "large"]:
        for lag in [1, 2, 5]:
            x = s[name]
            out.append(case(f"autocorrelation/{name}_lag{lag}", "autocorrelation", [series(x)],
                            scalar(x.autocorr(lag)), {"lag": lag}))
    out.append(case("autocorrelation/returns_default", "autocorrelation", [series(d["returns"])],
                    scalar(d["returns"].autocorr())))
    out.append(case("autocorrelation/constant", "autocorrelation", [series(d["constant"])],
                    scalar(d["constant"].autocorr(1)), {"lag": 1}))
    out.append(case("autocorrelation/lag_beyond_length", "autocorrelation", [series(d["short"])],
                    scalar(d["short"].autocorr(10)), {"lag": 10}))
    out.append(case("autocorrelation/lag_zero", "autocorrelation", [series(walk)], {"error": "`lag` must be between 1 and"}, {"lag": 0}))
    out.append(case("autocorrelation/lag_negative", "autocorrelation", [series(walk)], {"error": "`lag` must be between 1 and"}, {"lag": -2}))

    edges = d["gaps"].copy()
    edges.iloc[:4] = np.nan
    edges.iloc[-2:] = np.nan
    for name, x in [("walk", walk), ("gaps", d["gaps"]), ("other", s["other"]), ("large", d["large"]),
                    ("short", d["short"]), ("constant", d["constant"]), ("edges", edges), ("signed", d["signed"])]:
        out.append(case(f"linear_trend/{name}", "linear_trend", [series(x)], series(_trend(x))))
    lone = pd.Series([np.nan, 4.0, np.nan], index=pd.bdate_range("2020-01-01", periods=3))
    out.append(case("linear_trend/one_value", "linear_trend", [series(lone)], {"error": "at least 2 values"}))
    return out
