"""Permutation importance: ipyexplain vs scikit-learn's ``permutation_importance``, same run, same work.

Both get the same fitted model, rows, scorer, ``n_repeats`` and seed (the means are equal; the
script checks). Each pair is timed ``--rounds`` times, alternating which goes first, and the median
is reported with the ratio ours / sklearn's (< 1 is faster). Also: seconds until the first partial
result (one repeat) is ready, the moment a live chart can draw its first bars.

    .venv/bin/python benchmarks/permutation_speed.py [--quick] [--case "100,000 rows"]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine

from ipyexplain.backends import permutation

RESULTS = Path(__file__).resolve().parent / "results"


def cases(quick: bool) -> list[tuple[str, object, np.ndarray, np.ndarray, str]]:
    sizes = [10_000] if quick else [10_000, 100_000]
    out = []
    for n in sizes:
        Xr, yr = make_regression(n + 2000, 20, n_informative=8, noise=5.0, random_state=0)
        Xc, yc = make_classification(n + 2000, 20, n_informative=8, random_state=0)
        fit, test = slice(0, 2000), slice(2000, None)
        out += [
            (f"Ridge, {n:,} rows, r2", Ridge().fit(Xr[fit], yr[fit]), Xr[test], yr[test], "r2"),
            (f"LogisticRegression, {n:,} rows, accuracy", LogisticRegression(max_iter=1000).fit(Xc[fit], yc[fit]),
             Xc[test], yc[test], "accuracy"),
            (f"HistGradientBoosting, {n:,} rows, roc_auc",
             HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(Xc[fit], yc[fit]), Xc[test], yc[test],
             "roc_auc"),
            (f"RandomForest(50 trees), {n:,} rows, r2",
             RandomForestRegressor(50, max_depth=10, random_state=0, n_jobs=1).fit(Xr[fit], yr[fit]), Xr[test],
             yr[test], "r2"),
        ]
    return out


def timed(fn, *args, **kwargs) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process, result). CPU time is the steadier figure when other
    jobs share the machine; both contenders run the same model calls on the same threads."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k rows only, 2 rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--case", default="", help="only the cases whose name contains this text")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    rows = []
    for name, model, X, y, scoring in cases(args.quick):
        if args.case not in name:
            continue
        ours_t, theirs_t, ours_cpu, theirs_cpu = [], [], [], []
        for r in range(rounds):
            kw = {"scoring": scoring, "n_repeats": args.repeats, "random_state": r}
            timings = {}
            for which in (("ours", "sklearn") if r % 2 == 0 else ("sklearn", "ours")):
                fn = permutation.compute if which == "ours" else permutation_importance
                timings[which] = timed(fn, model, X, y, **kw)
            ours_t.append(timings["ours"][0])
            theirs_t.append(timings["sklearn"][0])
            ours_cpu.append(timings["ours"][1])
            theirs_cpu.append(timings["sklearn"][1])
            gap = np.max(np.abs(timings["ours"][2].values - timings["sklearn"][2].importances_mean))  # type: ignore[attr-defined]
            assert gap < 1e-9, f"{name}: means differ by {gap}"
        stream = permutation.stream(model, X, y, scoring=scoring, n_repeats=args.repeats, random_state=0)
        first, _, _ = timed(next, stream)
        row = {"case": name, "ours_s": statistics.median(ours_t), "sklearn_s": statistics.median(theirs_t),
               "ours_cpu_s": statistics.median(ours_cpu), "sklearn_cpu_s": statistics.median(theirs_cpu),
               "first_partial_s": first}
        row["ratio"] = row["ours_s"] / row["sklearn_s"]
        row["cpu_ratio"] = row["ours_cpu_s"] / row["sklearn_cpu_s"]
        rows.append(row)
        print(f"{name:48s} ours {row['ours_s']:7.2f} s  sklearn {row['sklearn_s']:7.2f} s  "
              f"ratio {row['ratio']:.2f} (CPU {row['cpu_ratio']:.2f})  first partial {first:.2f} s", flush=True)
    RESULTS.mkdir(exist_ok=True)
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="minutes"), "machine": machine(),
              "n_repeats": args.repeats, "rounds": rounds, "rows": rows}
    (RESULTS / "permutation_speed.json").write_text(json.dumps(record, indent=2))
    print("\n| case | ipyexplain (s) | sklearn (s) | wall ratio | CPU ratio | first partial (s) |\n"
          "|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['ours_s']:.2f} | {row['sklearn_s']:.2f} | {row['ratio']:.2f} | "
              f"{row['cpu_ratio']:.2f} | {row['first_partial_s']:.2f} |")


if __name__ == "__main__":
    main()
