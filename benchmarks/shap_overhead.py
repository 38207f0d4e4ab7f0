"""SHAP backend overhead: ipyexplain's streaming wrapper vs calling shap directly, same explainer, same rows.

Cases (each timed ``--rounds`` times, alternating which goes first; medians of CPU and wall time;
ratio = ours / shap's; CPU time is the headline, as other jobs share these machines):

- TreeExplainer on a GradientBoostingRegressor and a RandomForestRegressor, 10,000 rows x 20 features:
  ``explainer(X)`` vs ``shap_.compute(model, X, explainer=explainer)`` (the same built explainer, called
  on growing batches), and ``shap_.compute(model, X)`` ("auto": builds its own TreeExplainer);
- Permutation explainer, 200 rows: ``shap.PermutationExplainer(model.predict, background, seed=0)(X)``
  vs ``shap_.compute(model, X, explainer="permutation", background=background, seed=0)`` (our own
  explainer on the model's predict function, with our predict checks and RNG isolation).

The values are checked equal (to float tolerance) in every round. Target: ratio <= 1.05.

    .venv/bin/python benchmarks/shap_overhead.py [--quick] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import shap
from sklearn.datasets import make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, overhead_row

from ipyexplain.backends import shap_

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 1.05


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result). The work is single-threaded, so CPU time is
    the steadier measure on a shared machine; both are reported."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def compare(name: str, ours: Callable[[], Any], theirs: Callable[[], Any], rounds: int) -> dict[str, Any]:
    times: dict[str, dict[str, list[float]]] = {w: {"wall": [], "cpu": []} for w in ("ours", "shap")}
    for r in range(rounds):
        order = (("ours", ours), ("shap", theirs)) if r % 2 == 0 else (("shap", theirs), ("ours", ours))
        got = {}
        for which, fn in order:
            wall, cpu, got[which] = timed(fn)
            times[which]["wall"].append(wall)
            times[which]["cpu"].append(cpu)
        a, b = got["ours"], got["shap"]
        np.testing.assert_allclose(a.values, b.values, rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(a.base_values, b.base_values, rtol=1e-9, atol=1e-9, err_msg=name)
    return overhead_row(name, times, "shap", TARGET, width=64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rows and rounds (a smoke run)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    n_tree, n_perm = (2_000, 40) if args.quick else (10_000, 200)

    data, y = make_regression(n_tree + 2000, 20, n_informative=8, noise=5.0, random_state=0)
    train, X, y = data[:2000], data[2000:], y[:2000]
    gbr = GradientBoostingRegressor(n_estimators=200, max_depth=4, random_state=0).fit(train, y)
    rf = RandomForestRegressor(n_estimators=50, max_depth=6, random_state=0, n_jobs=1).fit(train, y)
    rows = []
    for label, model in (("GradientBoosting(200 trees, depth 4)", gbr), ("RandomForest(50 trees, depth 6)", rf)):
        explainer = shap.TreeExplainer(model)
        explainer(X[:50])  # warm-up
        rows.append(compare(f"TreeExplainer, {label}, {n_tree:,} rows, same explainer",
                            lambda m=model, e=explainer: shap_.compute(m, X, explainer=e), lambda e=explainer: e(X),
                            rounds))
        rows.append(compare(f"TreeExplainer, {label}, {n_tree:,} rows, explainer='auto'",
                            lambda m=model: shap_.compute(m, X), lambda m=model: shap.TreeExplainer(m)(X), rounds))

    small = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0).fit(train, y)
    Xp, background = X[:n_perm], X[-100:]
    shap.PermutationExplainer(small.predict, background, seed=0)(Xp[:2], silent=True)  # numba compiles once
    rows.append(compare(
        f"Permutation, GradientBoosting(50 trees), {n_perm} rows, 100 background",
        lambda: shap_.compute(small, Xp, explainer="permutation", background=background, seed=0),
        lambda: shap.PermutationExplainer(small.predict, background, seed=0)(Xp, silent=True), rounds))

    first = timed(lambda: next(iter(shap_.stream(rf, X))))[0]
    print(f"first partial result, RandomForest, 'auto': {first * 1000:.0f} ms")
    RESULTS.mkdir(exist_ok=True)
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="minutes"), "machine": machine(),
              "shap": shap.__version__, "rounds": rounds, "rows": rows, "first_partial_s": first}
    (RESULTS / "shap_overhead.json").write_text(json.dumps(record, indent=2))
    print("\n| case | ipyexplain CPU (s) | shap CPU (s) | ratio (CPU) | ratio (wall) |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['ours_cpu_s']:.3f} | {row['shap_cpu_s']:.3f} | {row['ratio_cpu']:.3f} | "
              f"{row['ratio_wall']:.3f} |")


if __name__ == "__main__":
    main()
