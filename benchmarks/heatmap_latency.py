"""Heatmap latency benchmark: kernel assignment -> new pixels on screen, in Voila + headless Chromium.

Four contenders, each on its own Voila page (fresh kernel) at the same ~800 x 600 CSS px:
ipyexplain.Heatmap, bqplot HeatMap, plotly FigureWidget heatmap, and a bare anywidget canvas (the
floor). The browser drives the kernel through a control widget (benchmarks/notebooks/benchharness.py);
the kernel stamps ``time.time()`` just before the assignment; the page stamps
``performance.timeOrigin + performance.now()`` right after the rendering update that paints the new
pixels (for peers drawing an SVG <image>, after that image is decoded). Same machine, same clock.

Usage::

    .venv/bin/python benchmarks/heatmap_latency.py            # full run (< 10 min on 2 cores)
    .venv/bin/python benchmarks/heatmap_latency.py --quick    # smoke run (~2 min)

Prints a table and writes benchmarks/results/heatmap_latency.json. Starts and stops its own Voila
server (own process group; kernels killed explicitly) and its own Chromium.
"""

# This file holds the command line and what is specific to the four contenders. The shared pieces,
# meant for the other browser benchmarks too: _harness.py (Voila via tests/e2e/servers.py, Chromium,
# opening a notebook), _timing.py (in-page probe, update/stream driver, statistics), _load.py (other
# jobs' CPU load, re-measuring disturbed blocks), _session.py (one contender's page and its blocks),
# _report.py (versions, machine, the printed tables).

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import CHROMIUM, VoilaServers, launch_chromium, start_voila, voila_port
from _load import ForeignLoad
from _report import machine, print_report, ratios, versions
from _session import Contender, Spec
from _timing import PROBE_JS, Driver, Fields, no_fields
from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"
RESULTS = HERE / "results"
CONTENDERS = ["canvas", "ipyexplain", "bqplot", "plotly"]
LABELS = {
    "canvas": "bare anywidget canvas",
    "ipyexplain": "ipyexplain.Heatmap",
    "bqplot": "bqplot HeatMap",
    "plotly": "plotly FigureWidget",
}
# What must be in the page before a contender counts as rendered.
READY_SELECTOR = {
    "canvas": "canvas.bench-canvas",
    "ipyexplain": ".ipx-heatmap[data-frame]",
    "bqplot": ".bqplot image",
    "plotly": ".js-plotly-plot image",
}
VISUAL_SELECTOR = {
    "canvas": "canvas.bench-canvas",
    "ipyexplain": ".ipx-heatmap canvas.ipx-canvas",
    "bqplot": ".bqplot",
    "plotly": ".js-plotly-plot .main-svg",
}

# How each contender says "drawn": window.__bench.detectors[name]() installs it and returns true once
# the contender is on the page. Appended to the generic probe (_timing.PROBE_JS), in the same script.
DETECTORS_JS = r"""
(() => {
  const B = window.__bench;
  B.detectors = {
    // ipyexplain dispatches this from inside its requestAnimationFrame draw, after drawing.
    ipyexplain() {
      document.addEventListener("ipyexplain:drawn", (ev) => {
        const d = ev.detail;
        B.mark({ frame: d.frame, sentAt: d.sentAt, drawnAt: d.drawnAt });
      });
      return !!document.querySelector(".ipx-heatmap[data-frame]");
    },
    // The floor widget (inline in latency_canvas.ipynb) dispatches it right after putImageData.
    canvas() {
      document.addEventListener("bench:drawn", (ev) => B.mark({ frame: ev.detail.frame }));
      return !!document.querySelector("canvas.bench-canvas");
    },
    // bqplot fills a canvas rect by rect, PNG-encodes it and sets it as an SVG <image>'s href.
    bqplot() {
      const fig = document.querySelector(".bqplot");
      if (!fig) return false;
      let last = null;
      new MutationObserver((records) => {
        const changed = new Map();
        for (const r of records) {
          if (r.type === "attributes" && r.attributeName === "href" && r.target.tagName === "image") {
            changed.set(r.target, r.target.getAttribute("href") || r.target.getAttribute("xlink:href"));
          }
        }
        for (const [el, href] of changed) {
          if (!href || href === last) continue;
          last = href;
          B.mark({ bytes: href.length }, B.decodeImage(el, href));
        }
      }).observe(fig, { attributes: true, subtree: true });
      return true;
    },
    // plotly draws the heatmap into a canvas, PNG-encodes it into an SVG <image>, and emits
    // plotly_afterplot once the whole figure is drawn.
    plotly() {
      const gd = document.querySelector(".js-plotly-plot");
      if (!gd || typeof gd.on !== "function") return false;
      const heatImage = () => {
        let best = null;
        for (const img of gd.querySelectorAll("image")) {
          const href = img.getAttribute("xlink:href") || img.getAttribute("href") || "";
          if (href.startsWith("data:") && (!best || href.length > best[1].length)) best = [img, href];
        }
        return best;
      };
      let last = (heatImage() || [null, null])[1];
      gd.on("plotly_afterplot", () => {
        const hit = heatImage();
        if (!hit || hit[1] === last) { B.skipped++; return; }
        last = hit[1];
        B.mark({ bytes: hit[1].length }, B.decodeImage(hit[0], hit[1]));
      });
      return true;
    },
  };
})();
"""


def ipyexplain_fields(rec: dict[str, Any], draw: dict[str, Any], res: dict[str, Any], t0: float) -> None:
    """Frame counters and ipyexplain's own stamps: kernel prep, rAF start, draw(), canvas calls."""
    rec["frame_drawn"], rec["frame_sent"] = draw.get("frame"), res.get("frame")
    rec["kernel_prep_ms"] = res["sent_at"] - t0  # validate, range, pool: before serialising
    rec["ipx_drawn_at_ms"] = draw["drawnAt"] - t0
    if draw.get("callbackStart"):
        rec["draw_start_ms"] = draw["callbackStart"] - t0  # its requestAnimationFrame callback began
        rec["draw_call_ms"] = draw["tDetect"] - draw["callbackStart"]  # draw(): decode, colour, canvas
    if draw.get("api"):
        rec["canvas_api_ms"] = {k: v[0] for k, v in draw["api"].items()}
        rec["canvas_api_calls"] = {k: v[1] for k, v in draw["api"].items()}


def canvas_fields(rec: dict[str, Any], draw: dict[str, Any], res: dict[str, Any], t0: float) -> None:
    """The floor counts frames too: which pushed frame each draw showed."""
    rec["frame_drawn"], rec["frame_sent"] = draw.get("frame"), res.get("frame")


# bqplot and plotly have no frame counter: their streams are matched to pushes by order.
FIELDS: dict[str, Fields] = {"ipyexplain": ipyexplain_fields, "canvas": canvas_fields}


def spec(name: str) -> Spec:
    return Spec(name, LABELS[name], f"latency_{name}.ipynb", READY_SELECTOR[name], VISUAL_SELECTOR[name],
                FIELDS.get(name, no_fields))


def breakdown(page: Page, driver: Driver, cfg: argparse.Namespace) -> dict[str, Any]:
    """Extra, unmeasured ipyexplain updates with the 2-D canvas calls timed: where draw() spends its time."""
    page.evaluate("() => window.__bench.instrumentCanvas()")
    out: dict[str, Any] = {}
    for size in cfg.sizes:
        recs = [driver.update(size) for _ in range(cfg.breakdown)]
        row: dict[str, Any] = {k: statistics.median(r[k] for r in recs) for k in
                               ("latency_ms", "kernel_ms", "kernel_prep_ms", "message_at_ms", "draw_start_ms",
                                "draw_call_ms", "paint_ms") if all(k in r for r in recs)}
        names = sorted({n for r in recs for n in r.get("canvas_api_ms", {})})
        row["canvas_api_ms"] = {n: statistics.median(r.get("canvas_api_ms", {}).get(n, 0) for r in recs)
                                for n in names}
        row["canvas_api_calls"] = recs[-1].get("canvas_api_calls", {})
        row["draw_js_ms"] = row.get("draw_call_ms", 0) - sum(row["canvas_api_ms"].values())
        row["message_bytes"] = recs[-1].get("message_bytes")
        out[str(size)] = row
    return out


def run_breakdown(cfg: argparse.Namespace) -> Callable[[Contender], None]:
    """finish() hook for ipyexplain: the breakdown phase, on its page, after everything measured."""

    def extra(contender: Contender) -> None:
        contender.activate()
        contender.out["breakdown"] = breakdown(contender.page, contender.driver, cfg)

    return extra


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short smoke run")
    ap.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=CONTENDERS)
    ap.add_argument("--sizes", nargs="+", type=int)
    ap.add_argument("--repeats", type=int, help="measured updates per contender and size (default 15)")
    ap.add_argument("--warmup", type=int, help="unmeasured updates first (default 2)")
    ap.add_argument("--stream-n", type=int, help="updates pushed by the streaming thread (default 60)")
    ap.add_argument("--breakdown", type=int, default=5,
                    help="extra instrumented ipyexplain updates per size, not in the latency table (0: none)")
    ap.add_argument("--out", type=Path, default=RESULTS / "heatmap_latency.json")
    cfg = ap.parse_args()
    cfg.sizes = cfg.sizes or ([256, 1024] if cfg.quick else [256, 1024, 2048])
    cfg.repeats = cfg.repeats or (3 if cfg.quick else 15)
    cfg.warmup = cfg.warmup if cfg.warmup is not None else (1 if cfg.quick else 2)
    cfg.stream_n = cfg.stream_n or (20 if cfg.quick else 60)
    cfg.stream_size = 256
    cfg.paced_rate = 60.0  # second streaming run: a producer at display rate, to see a steady state
    cfg.max_foreign = 0.3  # cores busy with other jobs above which a short block is measured again
    cfg.retry_under_s = 20.0  # only blocks shorter than this are repeated (time budget)
    cfg.update_timeout_s = 90
    if cfg.stream_size not in cfg.sizes:
        cfg.sizes = sorted({*cfg.sizes, cfg.stream_size})
    return cfg


def measure_all(browser: Browser, voila: VoilaServers, cfg: argparse.Namespace, load: ForeignLoad,
                results: dict[str, Any]) -> None:
    """Open every contender's page, measure size by size, and put each contender's results in ``results``."""
    pages: dict[str, Contender] = {}
    try:
        # Every contender's page stays open; the blocks are interleaved size by size, so that
        # contenders compared at one size are measured minutes apart at most.
        for name in cfg.contenders:
            try:
                pages[name] = Contender(browser, voila, spec(name), cfg, load, PROBE_JS + DETECTORS_JS)
                print(f"  {name:10s} page ready in {pages[name].out['page_load_s']:.0f} s", flush=True)
            except Exception as exc:
                print(f"  {name}: FAILED to open: {exc}", flush=True)
                results[name] = {"contender": name, "error": repr(exc)}
        steps: list[tuple[str, int | None]] = []
        for size in cfg.sizes:
            steps += [(name, size) for name in pages]
            if size == cfg.stream_size:
                steps += [(name, None) for name in pages]
        for name, size in steps:
            if name in results:
                continue  # failed earlier
            try:
                if size:
                    pages[name].block(size)
                else:
                    pages[name].streams()
            except Exception as exc:  # report the others anyway
                print(f"  {name}: FAILED: {exc}", flush=True)
                results[name] = {**pages[name].out, "error": repr(exc)}
                pages[name].close()
        for name, contender in pages.items():
            if name not in results:
                extra = run_breakdown(cfg) if name == "ipyexplain" and cfg.breakdown else None
                results[name] = contender.finish(RESULTS / f"heatmap_latency_{name}.png", extra)
    finally:
        for contender in pages.values():
            contender.close()


def main() -> int:
    cfg = parse_args()

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    t_start = time.monotonic()
    state_dir = Path(tempfile.mkdtemp(prefix="ipyexplain-bench-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    voila: VoilaServers | None = None
    results: dict[str, Any] = {}
    load = ForeignLoad()
    loadavg_start = os.getloadavg()
    try:
        voila = start_voila(NOTEBOOKS, state_dir, RESULTS / "logs")
        print(f"voila on port {voila_port(voila)} ({time.monotonic() - t_start:.0f} s)", flush=True)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                measure_all(browser, voila, cfg, load, results)
            finally:
                browser.close()
    finally:
        load.stop()
        if voila is not None:
            voila.stop_all()
        shutil.rmtree(state_dir, ignore_errors=True)

    report = {
        "benchmark": "heatmap_latency",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(CHROMIUM),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items()},
        "load": {"loadavg_start": loadavg_start, "loadavg_end": os.getloadavg(),
                 "foreign_cores_whole_run": load.cores_between(0, time.monotonic())},
        "results": results,
        "ratios": [ratios(results, s) for s in cfg.sizes],  # the targets are stated at 1024²
        "wall_s": time.monotonic() - t_start,
    }
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    cfg.out.write_text(json.dumps(report, indent=1))
    print_report(report, LABELS)
    print(f"wrote {cfg.out} ({report['wall_s']:.0f} s)")
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
