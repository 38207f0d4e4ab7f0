"""Time to first drawn bars: a click starts permutation importance on 100,000 rows; when do bars appear?

In Voila and headless Chromium, the browser clicks a button and times (``performance.now()``, so the
browser → kernel trip is included, as a user would feel it) until:

- **ours, first bars**: ``ipyexplain.permutation_importance`` has drawn its first finite bar;
- **ours, final**: its job reports ``done`` and the final bars are drawn;
- **peer**: scikit-learn's ``permutation_importance`` has finished and a bqplot bar chart of the means
  is drawn (the usual way today: nothing on screen until everything is computed).

Same model (RandomForest, 50 trees), rows (100,000 x 20), ``n_repeats=3`` and seed. Each contender runs
``--rounds`` times, alternating, on one page (one kernel); medians are reported.

    .venv/bin/python benchmarks/explain_first_bars.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from _harness import launch_chromium, new_context, open_notebook, shutdown_kernel, start_voila
from _report import machine
from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

# Click, then poll each animation frame until the condition holds; resolve with the elapsed ms.
_CLICK_AND_TIME = """
async ([button, until]) => {
  const finite = (g) => Number.isFinite(Number(g.dataset.value));
  // What an earlier round drew is still on the page until the kernel replaces it: only new charts count.
  document.querySelectorAll('.ipx-bars, .bqplot').forEach((e) => { e.dataset.stale = '1'; });
  const fresh = (sel) => [...document.querySelectorAll(sel)].filter((e) => !e.closest('[data-stale]'));
  const conditions = {
    first: () => fresh('.ipx-bars g.ipx-bar').some(finite),
    done: () => fresh('.ipx-bars').some((e) => e.dataset.jobStatus === 'done' && e.dataset.animating === '0'),
    peer: () => fresh('.bqplot rect.bar').length >= 10,
  };
  const test = conditions[until];
  const t0 = performance.now();
  [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === button).click();
  return await new Promise((resolve, reject) => {
    const tick = () => {
      if (performance.now() - t0 > 600000) reject(new Error('timed out: ' + until));
      else if (test()) resolve(performance.now() - t0);
      else requestAnimationFrame(tick);
    };
    tick();
  });
}
"""


def ours(page: Page) -> tuple[float, float]:
    """(first bars, final) in ms for one click; the final time is measured on the same run."""
    page.evaluate("() => { window.__t0 = performance.now(); }")
    first = float(page.evaluate(_CLICK_AND_TIME, ["ours", "first"]))
    done_at = float(page.evaluate(
        """async () => await new Promise((resolve) => {
             const tick = () => { const el = document.querySelector('.ipx-bars:not([data-stale])');
               if (el && el.dataset.jobStatus === 'done' && el.dataset.animating === '0') resolve(performance.now());
               else requestAnimationFrame(tick); };
             tick(); })"""))
    start = float(page.evaluate("() => window.__t0"))
    return first, done_at - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    firsts, finals, peers = [], [], []
    with tempfile.TemporaryDirectory() as state, sync_playwright() as pw:
        voila = start_voila(HERE / "notebooks", Path(state), RESULTS / "logs")
        browser = launch_chromium(pw)
        try:
            page = new_context(browser, "").new_page()
            kernel = open_notebook(page, voila, "first_bars.ipynb", "button", "first bars", lambda p: None)
            try:
                for r in range(args.rounds):
                    order = ("ours", "peer") if r % 2 == 0 else ("peer", "ours")
                    for which in order:
                        if which == "ours":
                            first, final = ours(page)
                            firsts.append(first)
                            finals.append(final)
                        else:
                            peers.append(float(page.evaluate(_CLICK_AND_TIME, ["peer", "peer"])))
                    print(f"round {r + 1}: ours first {firsts[-1]:.0f} ms, final {finals[-1]:.0f} ms; "
                          f"peer {peers[-1]:.0f} ms", flush=True)
            finally:
                if kernel:
                    shutdown_kernel(voila, kernel)
        finally:
            browser.close()
            voila.stop_all()
    row = {"first_ms": statistics.median(firsts), "final_ms": statistics.median(finals),
           "peer_ms": statistics.median(peers)}
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="minutes"), "machine": machine(),
              "rounds": args.rounds, "median": row, "raw": {"first": firsts, "final": finals, "peer": peers}}
    (RESULTS / "explain_first_bars.json").write_text(json.dumps(record, indent=2))
    print(f"\nmedian: first bars {row['first_ms']:.0f} ms, final {row['final_ms']:.0f} ms; "
          f"sklearn + bqplot {row['peer_ms']:.0f} ms; first bars / peer = {row['first_ms'] / row['peer_ms']:.3f}, "
          f"final / peer = {row['final_ms'] / row['peer_ms']:.2f}")


if __name__ == "__main__":
    main()
