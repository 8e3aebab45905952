#!/usr/bin/env python3
"""Builds the bundled datasets under seeds/data/ from data that ships inside registry packages.

Re-runnable: every file (and README.md) is rewritten from the packages each time, so the
output only changes when a package version changes. Sources:

- PyPI `arch` 8.0.0 (NCSA): S&P 500 and NASDAQ Composite daily OHLCV, VIX close, WTI,
  core CPI, Moody's AAA/BAA yields, Fama-French factors.
- PyPI `pmdarima` 2.1.1 (MIT): Microsoft daily OHLCV.
- PyPI `statsmodels` (BSD-3-Clause, data public domain): US quarterly macro data.
- crates.io `btctax-adapters` 0.18.0 (MIT OR Unlicense): BTC/USD daily close.

Run with the project venv: ~/.cache/auster/venv/bin/python seeds/data/build_datasets.py
(needs arch, pmdarima and statsmodels installed; fetches the btctax-adapters crate with
`cargo fetch` into the cargo registry cache when it is not already there).

Cell values are copied verbatim from the sources (no re-rounding); only dates are
converted to ISO and missing observations (FRED's ".") are dropped, as the live FRED
provider drops them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.metadata as md
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
BTC_CRATE = "btctax-adapters"
BTC_VERSION = "0.18.0"


@dataclass
class Output:
    """One written file and what the README says about it."""

    path: str
    source: str
    version: str
    licence: str
    origin: str
    description: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def package_dir(name: str) -> Path:
    mod = __import__(name)
    return Path(mod.__file__).resolve().parent


def mdy(text: str) -> str:
    """`M/D/YYYY` (the arch files) to ISO."""
    m, d, y = (int(x) for x in text.strip().split("/"))
    return date(y, m, d).isoformat()


def iso(text: str) -> str:
    """Validates an ISO date and returns it normalised."""
    return date.fromisoformat(text.strip()).isoformat()


def yyyymm(text: str) -> str:
    """`YYYYMM` (Fama-French monthly) to the first day of that month."""
    t = text.strip()
    return date(int(t[:4]), int(t[4:6]), 1).isoformat()


def quarter_start(year: str, quarter: str) -> str:
    """A (year, quarter) pair to the quarter's first day, FRED's convention."""
    y, q = int(float(year)), int(float(quarter))
    return date(y, 3 * (q - 1) + 1, 1).isoformat()


def read_csv_text(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def read_gz_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", newline="") as fh:
        return read_csv_text(fh.read())


def number(cell: str, where: str) -> str:
    """Checks a cell parses as a finite number and returns it verbatim."""
    c = cell.strip()
    x = float(c)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{where}: not a finite number: {cell!r}")
    return c


def check_ascending(rows: list[list[str]], name: str) -> None:
    for a, b in zip(rows, rows[1:]):
        if not a[0] < b[0]:
            raise ValueError(f"{name}: dates not strictly ascending at {a[0]} / {b[0]}")


def series_rows(records, date_key, value_key, to_date, name) -> tuple[list[list[str]], int]:
    """`date,value` rows; returns the rows and how many missing ('.') were dropped."""
    rows, dropped = [], 0
    for r in records:
        v = (r[value_key] or "").strip()
        if v in ("", "."):
            dropped += 1
            continue
        rows.append([to_date(r[date_key]), number(v, f"{name} {r[date_key]}")])
    check_ascending(rows, name)
    return rows, dropped


def arch_outputs() -> list[Output]:
    base = package_dir("arch") / "data"
    ver, lic = md.version("arch"), "NCSA"
    outs: list[Output] = []

    yahoo = [
        ("SPX", "sp500/sp500.csv.gz", "S&P 500 index (^GSPC) daily OHLCV, Yahoo Finance format"),
        ("IXIC", "nasdaq/nasdaq.csv.gz", "NASDAQ Composite index (^IXIC) daily OHLCV, Yahoo Finance format"),
    ]
    for sym, rel, desc in yahoo:
        rows = []
        for r in read_gz_csv(base / rel):
            w = f"{sym} {r['Date']}"
            rows.append(
                [mdy(r["Date"])]
                + [number(r[k], w) for k in ("Open", "High", "Low", "Close", "Volume", "Adj Close")]
            )
        check_ascending(rows, sym)
        outs.append(
            Output(f"market/{sym}.csv", "arch", ver, lic, f"arch/data/{rel}", desc,
                   ["date", "open", "high", "low", "close", "volume", "adj_close"], rows,
                   ["Index levels, not an ETF: SPX is the index itself (SPY would be the fund)."])
        )

    fred = [
        ("VIXCLS", "vix/vix.csv.gz", "vix",
         "CBOE Volatility Index (VIX) daily close, as FRED series VIXCLS (holidays carry FRED's '.')"),
        ("DCOILWTICO", "wti/wti.csv.gz", "DCOILWTICO",
         "WTI crude oil spot price, Cushing OK, USD per barrel, daily (FRED DCOILWTICO)"),
        ("CPILFESL", "core_cpi/core-cpi.csv.gz", "CPILFESL",
         "CPI for all urban consumers less food and energy, monthly, 1982-84=100, SA (FRED CPILFESL)"),
        ("AAA", "default/default.csv.gz", "AAA",
         "Moody's seasoned Aaa corporate bond yield, percent, monthly (FRED AAA)"),
        ("BAA", "default/default.csv.gz", "BAA",
         "Moody's seasoned Baa corporate bond yield, percent, monthly (FRED BAA)"),
    ]
    for sid, rel, col, desc in fred:
        rows, dropped = series_rows(read_gz_csv(base / rel), "Date", col, mdy, sid)
        notes = [f"{dropped} missing observations ('.') dropped."] if dropped else []
        outs.append(Output(f"macro/{sid}.csv", "arch", ver, lic, f"arch/data/{rel}", desc,
                           ["date", "value"], rows, notes))

    ff = read_gz_csv(base / "frenchdata/frenchdata.csv.gz")
    for col, sid, desc in [
        ("Mkt-RF", "FF_MKT_RF", "Fama-French market excess return (Mkt-RF), percent per month"),
        ("SMB", "FF_SMB", "Fama-French size factor (SMB), percent per month"),
        ("HML", "FF_HML", "Fama-French value factor (HML), percent per month"),
        ("RF", "FF_RF", "One-month T-bill rate used by Fama-French (RF), percent per month"),
    ]:
        rows, dropped = series_rows(ff, "Date", col, yyyymm, sid)
        notes = ["Dated the first day of each month (source gives YYYYMM)."]
        if dropped:
            notes.append(f"{dropped} missing observations dropped.")
        outs.append(Output(f"macro/{sid}.csv", "arch", ver, lic,
                           "arch/data/frenchdata/frenchdata.csv.gz", desc, ["date", "value"], rows,
                           notes))
    return outs


def pmdarima_outputs() -> list[Output]:
    rel = "datasets/data/msft.tar.gz"
    path = package_dir("pmdarima") / rel
    with tarfile.open(path, "r:gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("msft.csv"))
        text = tar.extractfile(member).read().decode("utf-8")
    rows = []
    for r in read_csv_text(text):
        w = f"MSFT {r['Date']}"
        rows.append([iso(r["Date"])]
                    + [number(r[k], w) for k in ("Open", "High", "Low", "Close", "Volume")])
    check_ascending(rows, "MSFT")
    return [Output("market/MSFT.csv", "pmdarima", md.version("pmdarima"), "MIT",
                   f"pmdarima/{rel} (msft.csv)",
                   "Microsoft Corp. daily OHLCV",
                   ["date", "open", "high", "low", "close", "volume"], rows,
                   ["Prices are split- and dividend-adjusted in the source (no separate adj_close); "
                    "the source's all-zero OpenInt column is omitted."])]


# statsmodels macrodata columns: honest ids (this is a 2009 compilation, not live FRED series).
MACRODATA = [
    ("realgdp", "Real GDP, billions of chained 2005 USD, SAAR"),
    ("realcons", "Real personal consumption expenditures, billions of chained 2005 USD, SAAR"),
    ("realinv", "Real gross private domestic investment, billions of chained 2005 USD, SAAR"),
    ("realgovt", "Real federal consumption expenditures and gross investment, billions of chained 2005 USD, SAAR"),
    ("realdpi", "Real private disposable income, billions of chained 2005 USD, SAAR"),
    ("cpi", "End-of-quarter CPI, all urban consumers, all items, 1982-84=100, SA"),
    ("m1", "End-of-quarter M1 money stock, billions USD, SA"),
    ("tbilrate", "3-month T-bill secondary market rate, quarterly average of monthly, percent"),
    ("unemp", "Unemployment rate, percent, SA"),
    ("pop", "End-of-quarter total population incl. armed forces overseas, millions"),
    ("infl", "Inflation rate, ln(cpi_t / cpi_{t-1}) * 400, percent annualised"),
    ("realint", "Real interest rate, tbilrate - infl, percent"),
]


def statsmodels_outputs() -> list[Output]:
    rel = "datasets/macrodata/macrodata.csv"
    path = package_dir("statsmodels") / rel
    records = read_csv_text(path.read_text(encoding="utf-8"))
    outs = []
    for col, desc in MACRODATA:
        sid = f"MACRODATA_{col.upper()}"
        rows = []
        for r in records:
            rows.append([quarter_start(r["year"], r["quarter"]), number(r[col], f"{sid} {r['year']}")])
        check_ascending(rows, sid)
        outs.append(Output(f"macro/{sid}.csv", "statsmodels", md.version("statsmodels"),
                           "BSD-3-Clause (data public domain)", f"statsmodels/{rel} (column {col})",
                           f"US quarterly macro data: {desc}", ["date", "value"], rows,
                           ["Dated the first day of each quarter (FRED's convention for quarterly data).",
                            "Compiled from FRED and BLS in December 2009 by statsmodels; "
                            "not a live FRED series id."]))
    return outs


def find_btc_crate() -> Path:
    """The unpacked crate in the cargo registry cache, fetched with cargo when missing."""
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    name = f"{BTC_CRATE}-{BTC_VERSION}"

    def look() -> Path | None:
        for d in sorted((cargo_home / "registry" / "src").glob(f"*/{name}")):
            if (d / "data" / "btc_usd_daily_close.csv").is_file():
                return d
        return None

    found = look()
    if found:
        return found
    # A throwaway project whose only dependency is the crate; `cargo fetch` unpacks it.
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "src").mkdir()
        (t / "src" / "main.rs").write_text("fn main() {}\n")
        (t / "Cargo.toml").write_text(
            '[package]\nname = "fetch-btc"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[dependencies]\n{BTC_CRATE} = "={BTC_VERSION}"\n'
        )
        subprocess.run(["cargo", "fetch", "--manifest-path", str(t / "Cargo.toml")], check=True)
    found = look()
    if not found:
        sys.exit(f"cargo fetch did not unpack {name} under {cargo_home}/registry/src")
    return found


def btc_outputs() -> list[Output]:
    crate = find_btc_crate()
    records = read_csv_text((crate / "data" / "btc_usd_daily_close.csv").read_text(encoding="utf-8"))
    rows, dropped = series_rows(records, "date", "usd_close", iso, "BTC")
    notes = ["Column usd_close renamed to close."]
    if dropped:
        notes.append(f"{dropped} missing observations dropped.")
    return [Output("crypto/BTC.csv", f"{BTC_CRATE} (crates.io)", BTC_VERSION, "MIT OR Unlicense",
                   f"{BTC_CRATE}-{BTC_VERSION}/data/btc_usd_daily_close.csv",
                   "Bitcoin daily close in US dollars", ["date", "close"], rows, notes)]


def write(out: Output) -> str:
    path = HERE / out.path
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ",".join(out.columns) + "\n" + "".join(",".join(r) + "\n" for r in out.rows)
    path.write_text(body, encoding="utf-8", newline="\n")
    return hashlib.sha256(body.encode()).hexdigest()


def readme(outs: list[Output], hashes: dict[str, str]) -> str:
    lines = [
        "# Bundled datasets",
        "",
        "Real data converted from files that ship inside registry packages, read by the",
        "`bundled` data provider (root: `AUSTER_DATASETS`, default `seeds/data`). Generated by",
        "`build_datasets.py` (re-run it with `~/.cache/auster/venv/bin/python seeds/data/build_datasets.py`);",
        "do not edit these files by hand.",
        "",
        "Layout: `market/<SYMBOL>.csv` = `date,open,high,low,close,volume[,adj_close]`;",
        "`macro/<SERIES_ID>.csv` = `date,value` (FRED ids where the series is a FRED series);",
        "`crypto/<ASSET>.csv` = `date,close`. ISO dates, strictly ascending. Values are copied",
        "verbatim from the sources; missing observations (FRED's `.`) are dropped.",
        "",
        "No registry package ships option-chain history: option chains offline come from the",
        "`synthetic` provider (Black-Scholes on a skewed smile anchored to the bundled VIX),",
        "always labelled `provider: \"synthetic\"`.",
        "",
        "Symbols, series and assets not listed here are not bundled; set `AUSTER_DATA=live` with",
        "`FRED_API_KEY` and/or `POLYGON_API_KEY` for other data.",
        "",
        "| file | source package | version | licence | from | to | rows | columns |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in outs:
        lines.append(
            f"| `{o.path}` | {o.source} | {o.version} | {o.licence} | {o.rows[0][0]} | "
            f"{o.rows[-1][0]} | {len(o.rows)} | `{','.join(o.columns)}` |"
        )
    lines += ["", "## Files", ""]
    for o in outs:
        lines.append(f"### `{o.path}`")
        lines.append("")
        lines.append(f"- {o.description}.")
        lines.append(f"- Source: `{o.origin}` in {o.source} {o.version} ({o.licence}).")
        lines.append(f"- {o.rows[0][0]} to {o.rows[-1][0]}, {len(o.rows)} rows, columns "
                     f"`{','.join(o.columns)}`.")
        for n in o.notes:
            lines.append(f"- {n}")
        lines.append(f"- SHA-256 of the file: `{hashes[o.path]}`.")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    outs = arch_outputs() + pmdarima_outputs() + statsmodels_outputs() + btc_outputs()
    names = [o.path for o in outs]
    if len(set(names)) != len(names):
        sys.exit("duplicate output paths")
    hashes = {o.path: write(o) for o in outs}
    # Remove files a previous run wrote that this run no longer produces.
    for folder in ("market", "macro", "crypto"):
        for f in (HERE / folder).glob("*.csv"):
            if f"{folder}/{f.name}" not in hashes:
                f.unlink()
    (HERE / "README.md").write_text(readme(outs, hashes) + "\n", encoding="utf-8")
    total = sum((HERE / p).stat().st_size for p in names)
    print(f"wrote {len(outs)} files, {total / 1e6:.2f} MB, and README.md under {HERE}")


if __name__ == "__main__":
    main()
