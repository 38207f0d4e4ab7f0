"""One contender's page in a latency benchmark, and the blocks measured on it.

Each contender gets its own browser context, Voila page and kernel, open for the whole run, so a
benchmark can interleave contenders size by size. A block is warm-up plus measured updates at one
size; streaming pushes many frames from a kernel thread. Both are measured again when other jobs
disturbed them (see _load.py).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import VoilaServers, new_context, open_notebook, shutdown_kernel
from _load import ForeignLoad, quietest
from _timing import Driver, Fields, clock_offset, no_fields, stats
from playwright.sync_api import Browser, Page

# Per-update record fields summarised (min / median / max) for every block, where present.
SUMMARY_KEYS = ("latency_ms", "kernel_ms", "message_at_ms", "detect_ms", "paint_ms", "decode_ms",
                "kernel_prep_ms", "ipx_drawn_at_ms", "draw_start_ms", "draw_call_ms")


@dataclass(frozen=True)
class Spec:
    """What a benchmark says about one contender."""

    name: str  # also the name of its detector in window.__bench.detectors
    label: str
    notebook: str  # relative to the folder Voila serves
    ready_selector: str  # in the page once the contender has rendered
    visual_selector: str  # the element showing it: scrolled into view, its box recorded
    fields: Fields = no_fields  # the contender's own per-update fields


class Contender:
    """One contender's Voila page (own browser context, own kernel) and everything measured on it.

    ``cfg`` holds warmup, repeats, update_timeout_s, max_foreign, retry_under_s, stream_size,
    stream_n and paced_rate.
    """

    def __init__(self, browser: Browser, voila: VoilaServers, spec: Spec, cfg: argparse.Namespace,
                 load: ForeignLoad, init_script: str) -> None:
        self.name, self.spec, self.voila, self.cfg, self.load = spec.name, spec, voila, cfg, load
        self.context = new_context(browser, init_script)
        self.page = self.context.new_page()
        self.kernel_id = ""
        self.out: dict[str, Any] = {"contender": spec.name, "label": spec.label, "sizes": {}, "updates": [],
                                    "retried_blocks": []}
        t0 = time.monotonic()
        try:
            self.kernel_id = open_notebook(self.page, voila, spec.notebook, spec.ready_selector, spec.name,
                                           self._attach)
        except BaseException:
            self.context.close()
            raise
        self.out["page_load_s"] = time.monotonic() - t0
        self.out["clock"] = [clock_offset(self.page)]
        box = self.page.locator(spec.visual_selector).first.bounding_box()
        self.out["css_box"] = box and {k: round(box[k], 1) for k in ("x", "y", "width", "height")}
        self.driver = Driver(self.page, cfg.update_timeout_s * 1000, spec.fields)

    def _attach(self, page: Page) -> None:
        """Connect the probe to the control widget and install the contender's draw detector."""
        page.wait_for_function("() => window.__bench.attachControl()", timeout=60_000)
        page.locator(self.spec.visual_selector).first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # initial draws, display-size reports, fonts
        ok = page.evaluate("(c) => window.__bench.detectors[c]()", self.name)
        if not ok:
            raise RuntimeError(f"{self.name}: could not install the draw detector")

    def activate(self) -> None:
        """Bring the page to the front: a hidden page gets throttled requestAnimationFrame."""
        self.page.bring_to_front()
        state = self.page.evaluate("() => document.visibilityState")
        if state != "visible":
            raise RuntimeError(f"{self.name}: page is {state}; rAF would be throttled")

    def block(self, size: int) -> None:
        """Warm-up, then the measured updates at one size."""
        self.activate()

        def measure() -> list[dict[str, Any]]:
            recs = []
            for i in range(self.cfg.warmup + self.cfg.repeats):
                rec = self.driver.update(size)
                rec["warmup"] = i < self.cfg.warmup
                recs.append(rec)
            return recs

        def on_retry(attempt: int, foreign: float | None) -> None:
            self.out["retried_blocks"].append({"size": size, "attempt": attempt, "foreign_cores": foreign})
            print(f"  {self.name:10s} {size:5d}²  other jobs kept {foreign:.1f} cores busy: measuring again",
                  flush=True)

        best = quietest(measure, self.load, max_foreign=self.cfg.max_foreign,
                        retry_under_s=self.cfg.retry_under_s, on_retry=on_retry)
        recs, wall, foreign = best.value, best.wall_s, best.foreign_cores
        self.out["updates"].extend(recs)
        measured = [r for r in recs if not r["warmup"]]
        summary: dict[str, Any] = {k: stats([r[k] for r in measured if k in r]) for k in SUMMARY_KEYS}
        summary = {k: v for k, v in summary.items() if v}
        summary["message_bytes"] = statistics.median(r.get("message_bytes", 0) for r in measured)
        summary["extra_draws"] = sum(r["extra_draws"] for r in measured)
        summary["wall_s"], summary["foreign_cores"] = wall, foreign
        self.out["sizes"][str(size)] = summary
        lat = summary["latency_ms"]
        print(f"  {self.name:10s} {size:5d}²  median {lat['median']:8.1f} ms  "
              f"(min {lat['min']:.1f}, max {lat['max']:.1f}; {wall:.0f} s; other jobs busy {foreign or 0:.1f} cores)",
              flush=True)

    def streams(self) -> None:
        """Streaming at cfg.stream_size, as fast as the kernel can push and then paced (after block())."""
        self.activate()
        cfg = self.cfg
        lat = self.out["sizes"][str(cfg.stream_size)]["latency_ms"]
        quiet = max(800.0, 3 * lat["median"])

        def after(s: dict[str, Any], wall: float, foreign: float | None) -> None:
            s["foreign_cores"], s["wall_s"] = foreign, wall
            self.driver.settle(300)

        for key, rate in (("stream", 0.0), ("stream_paced", cfg.paced_rate)):

            def measure(rate: float = rate) -> dict[str, Any]:
                return self.driver.stream(cfg.stream_size, cfg.stream_n, quiet, rate)

            def on_retry(attempt: int, foreign: float | None, key: str = key) -> None:
                self.out["retried_blocks"].append({"stream": key, "attempt": attempt, "foreign_cores": foreign})

            best = quietest(measure, self.load, max_foreign=cfg.max_foreign, retry_under_s=cfg.retry_under_s,
                            after=after, on_retry=on_retry)
            s = self.out[key] = best.value
            print(f"  {self.name:10s} {key} {cfg.stream_n}x{cfg.stream_size}²: {s['draws']} draws, "
                  f"{s.get('redraws_per_s', 0):.1f}/s, backlog {s.get('backlog_ms', float('nan')):.0f} ms "
                  f"(other jobs busy {s['foreign_cores'] or 0:.1f} cores)", flush=True)

    def finish(self, screenshot: Path, extra: Callable[[Contender], None] | None = None) -> dict[str, Any]:
        """Run ``extra`` (unmeasured phases), take a screenshot, re-check the clock, close the page."""
        try:
            if extra is not None:
                extra(self)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(screenshot))
            self.out["clock"].append(clock_offset(self.page))
            self.out["skipped_afterplots"] = self.page.evaluate("() => window.__bench.skipped")
        finally:
            self.close()
        return self.out

    def close(self) -> None:
        if self.kernel_id:
            shutdown_kernel(self.voila, self.kernel_id)
            self.kernel_id = ""
        with contextlib.suppress(Exception):
            self.context.close()
