"""Timing in the page and in Python: the in-page probe, the update/stream driver, statistics.

The kernel stamps ``time.time()`` just before an assignment; the page stamps
``performance.timeOrigin + performance.now()`` after the rendering update that paints the result.
Both are epoch milliseconds on the same machine (``clock_offset`` records how far apart they are).
The probe is generic: a benchmark appends its own ``window.__bench.detectors`` that call
``B.mark()`` when its contender has drawn.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

# Adds a benchmark's own fields to one update's record: (record, draw, kernel result, kernel stamp t0).
Fields = Callable[[dict[str, Any], dict[str, Any], dict[str, Any], float], None]

PROBE_JS = r"""
// Injected into every benchmark page before its own scripts (Playwright add_init_script).
// Records websocket message arrivals and "drawn" moments; the driver reads window.__bench.
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const B = (window.__bench = {
    now, draws: [], msgs: [], results: {}, issued: {}, renderDepth: 0, waiters: [], skipped: 0,
  });

  // Are we inside a rendering update (a requestAnimationFrame callback, or the microtasks it queued)?
  // Then the pixels drawn now are painted at the end of this very update; otherwise at the next one.
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((ts) => {
    B.renderDepth++;
    B.callbackStart = now();
    try {
      return cb(ts);
    } finally {
      queueMicrotask(() => { B.renderDepth--; });
    }
  });

  // When did each websocket message reach the page (before any handler of the page runs)?
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (ev) => {
        const d = ev.data;
        B.msgs.push([now(), typeof d === "string" ? d.length : (d.byteLength ?? d.size ?? 0)]);
        if (B.msgs.length > 20000) B.msgs.splice(0, 10000);
      });
    }
  };

  /** Resolves right after the rendering update that paints what the DOM holds now. */
  B.afterPaint = () => new Promise((resolve) => {
    const post = () => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(now());
      ch.port2.postMessage(0);
    };
    if (B.renderDepth > 0) post(); else raf(post);
  });

  B.notify = () => {
    const still = [];
    for (const w of B.waiters) if (!w()) still.push(w);
    B.waiters = still;
  };
  B.until = (cond, timeoutMs) => new Promise((resolve, reject) => {
    const check = () => {
      const v = cond();
      if (v) resolve(v);
      return !!v;
    };
    if (check()) return;
    B.waiters.push(check);
    setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });

  /** A contender drew: `pending` (an image decode) must finish before its pixels can be on screen. */
  B.mark = (info, pending) => {
    const inRender = B.renderDepth > 0;
    const rec = { tDetect: now(), inRender, callbackStart: inRender ? B.callbackStart : null, ...info };
    if (B.api) { rec.api = B.api; B.api = {}; }
    B.draws.push(rec);
    const done = (t) => { rec.tPaint = t; B.notify(); };
    if (!pending) { B.afterPaint().then(done); return; }
    pending
      .then(() => { rec.tReady = now(); }, (e) => { rec.error = String(e); rec.tReady = now(); })
      .then(() => B.afterPaint())
      .then(done);
  };

  /** Decode the image an SVG <image> now points at (the browser may not have loaded it yet). */
  B.decodeImage = (el, href) => {
    if (typeof el.decode === "function") return el.decode();
    const img = new Image();
    img.src = href;
    return img.decode();
  };

  /** The largest websocket message that arrived in [t0, t1]: [arrivedAt, size]. */
  B.largestMessage = (t0, t1) => {
    let best = null;
    for (const m of B.msgs) if (m[0] >= t0 && m[0] <= t1 && (!best || m[1] > best[1])) best = m;
    return best;
  };
  B.messagesBetween = (t0, t1) => B.msgs.filter((m) => m[0] >= t0 && m[0] <= t1);

  /** Time spent inside the costly 2-D canvas calls, per draw (only for the breakdown phase). */
  B.instrumentCanvas = () => {
    B.api = {};
    const proto = CanvasRenderingContext2D.prototype;
    for (const name of ["createImageData", "putImageData", "drawImage", "measureText", "fillText"]) {
      const orig = proto[name];
      proto[name] = function (...args) {
        const t = performance.now();
        try {
          return orig.apply(this, args);
        } finally {
          const a = (B.api[name] ||= [0, 0]);
          a[0] += performance.now() - t;
          a[1] += 1;
        }
      };
    }
  };

  // ------------------------------------------------------------------ driving the kernel
  B.attachControl = () => {
    const m = window.__benchControl;
    if (!m) return false;
    if (!B.controlAttached) {
      m.on("change:result", () => {
        const r = m.get("result");
        B.results[r.seq] = { ...r, receivedAt: now() };
        B.notify();
      });
      B.controlAttached = true;
    }
    return true;
  };
  B.send = (cmd) => {
    const m = window.__benchControl;
    B.issued[cmd.seq] = now();
    m.set("command", cmd);
    m.save_changes();
  };

  /** Issue one update and resolve once its stamps are back and the next draw has been painted. */
  B.update = async (cmd, timeoutMs) => {
    const index = B.draws.length;
    B.send(cmd);
    await B.until(() => B.results[cmd.seq] && B.draws.length > index && B.draws[index].tPaint, timeoutMs);
    const result = B.results[cmd.seq];
    if (result.error) throw new Error(result.error);
    const draw = B.draws[index];
    return { index, issuedAt: B.issued[cmd.seq], result, draw,
      message: B.largestMessage(result.t0, draw.tDetect) };
  };

  /** Let the page go quiet: a pause, then an idle main thread. */
  B.settle = (ms) => new Promise((resolve) => {
    setTimeout(() => requestIdleCallback(() => resolve(now()), { timeout: 5000 }), ms);
  });

  B.detectors = {};  // filled by the benchmark: name -> () => installed?
})();
"""


def clock_offset(page: Page) -> dict[str, float]:
    """Browser clock minus kernel-side clock (time.time), bounded by one round trip."""
    best: dict[str, float] = {}
    for _ in range(5):
        a = time.time() * 1000
        b, date_now = page.evaluate("() => [performance.timeOrigin + performance.now(), Date.now()]")
        c = time.time() * 1000
        if not best or c - a < best["round_trip_ms"]:
            best = {"offset_ms": b - (a + c) / 2, "round_trip_ms": c - a, "perf_minus_date_ms": b - date_now}
    return best


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"n": len(values), "min": min(values), "median": statistics.median(values), "max": max(values)}


def no_fields(rec: dict[str, Any], draw: dict[str, Any], res: dict[str, Any], t0: float) -> None:
    """Default ``Fields``: nothing beyond the common record."""


class Driver:
    """Drives one page's kernel through the control widget (benchmarks/notebooks/benchharness.py)."""

    def __init__(self, page: Page, timeout_ms: float, fields: Fields = no_fields) -> None:
        self.page, self.timeout_ms, self.fields, self.seq = page, timeout_ms, fields, 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def settle(self, ms: int = 50) -> None:
        self.page.evaluate("(ms) => window.__bench.settle(ms)", ms)

    def update(self, size: int) -> dict[str, Any]:
        """One update of ``size``², after which the page is painted and quiet again; its record."""
        cmd = {"op": "update", "size": size, "seq": self.next_seq()}
        r = self.page.evaluate("([c, t]) => window.__bench.update(c, t)", [cmd, self.timeout_ms])
        self.settle()
        extra = self.page.evaluate("(i) => window.__bench.draws.length - i - 1", r["index"])
        res, draw = r["result"], r["draw"]
        t0 = res["t0"]
        rec: dict[str, Any] = {
            "size": size, "seq": cmd["seq"], "reshaped": res.get("reshaped", False),
            "latency_ms": draw["tPaint"] - t0,
            "kernel_ms": res["t1"] - t0,  # the assignment statement, incl. serialising and sending
            "issued_before_t0_ms": t0 - r["issuedAt"],
            "detect_ms": draw["tDetect"] - t0,  # contender's draw finished (DOM/canvas updated)
            "paint_ms": draw["tPaint"] - draw["tDetect"],  # to the end of the rendering update (+ decode)
            "extra_draws": extra, "in_render": draw.get("inRender"),
        }
        if "tReady" in draw:
            rec["decode_ms"] = draw["tReady"] - draw["tDetect"]
        if r["message"]:
            rec["message_at_ms"], rec["message_bytes"] = r["message"][0] - t0, r["message"][1]
        self.fields(rec, draw, res, t0)
        if draw.get("error"):
            rec["error"] = draw["error"]
        return rec

    def stream(self, size: int, n: int, quiet_ms: float, rate: float = 0) -> dict[str, Any]:
        """``n`` pushes from a kernel thread, as fast as it can (``rate=0``) or paced at ``rate``/s."""
        cmd = {"op": "stream", "size": size, "n": n, "rate": rate, "seq": self.next_seq()}
        start = self.page.evaluate("() => window.__bench.draws.length")
        self.page.evaluate("(c) => window.__bench.send(c)", cmd)
        res = self.page.evaluate(
            "([s, t]) => window.__bench.until(() => window.__bench.results[s], t)", [cmd["seq"], 120_000]
        )
        if res.get("error"):
            raise RuntimeError(res["error"])
        # Wait until no new draw for quiet_ms (peers may still be working through a queue).
        deadline = time.monotonic() + 120
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = self.page.evaluate(
                "(i) => window.__bench.draws.slice(i).filter((d) => d.tPaint).length", start
            )
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif (time.monotonic() - last_change) * 1000 > quiet_ms:
                break
            time.sleep(0.05)
        draws = self.page.evaluate("(i) => window.__bench.draws.slice(i)", start)
        first_push = res["pushes"][0][0]
        # Only draws after the first push belong to the stream.
        draws = [d for d in draws if d.get("tPaint") and d["tDetect"] >= first_push]
        msgs = self.page.evaluate("([a, b]) => window.__bench.messagesBetween(a, b)",
                                  [first_push, draws[-1]["tPaint"] if draws else first_push])
        return stream_summary(size, n, rate, res, draws, msgs)


def stream_summary(size: int, n: int, rate: float, res: dict[str, Any], draws: list[dict[str, Any]],
                   msgs: list[list[float]]) -> dict[str, Any]:
    """Redraw rate, backlog and lag of one stream, from the kernel's pushes and the page's draws."""
    pushes = res["pushes"]
    first_push, last_push = pushes[0][0], pushes[-1][0]
    out: dict[str, Any] = {
        "size": size, "rate": rate, "pushes": n, "draws": len(draws),
        "kernel_push_s": (last_push - first_push) / 1000,
        "kernel_push_per_s": (n - 1) / max(1e-9, (last_push - first_push) / 1000),
        "kernel_ms_per_push": statistics.median(p[1] - p[0] for p in pushes),
        "ws_messages": len(msgs), "ws_bytes": sum(m[1] for m in msgs),
    }
    if not draws:
        return out
    last_paint = draws[-1]["tPaint"]
    # Split the backlog: the pipe (kernel -> server -> websocket -> page) vs. drawing after it.
    data_msgs = [m for m in msgs if m[1] >= 2 * size * size]  # a 256² float32 frame is 4 * size² bytes
    if data_msgs:
        out["last_data_message_ms"] = data_msgs[-1][0] - last_push
        out["painted_after_last_message_ms"] = last_paint - data_msgs[-1][0]
    out["redraws_per_s"] = len(draws) / ((last_paint - first_push) / 1000)
    out["span_s"] = (last_paint - first_push) / 1000
    out["backlog_ms"] = last_paint - last_push
    out["first_draw_ms"] = draws[0]["tPaint"] - first_push
    # Which pushed frame did each draw show? Known from frame counters, or by order when every push drew.
    sent_frames = [e.get("frame") for e in res["extras"]]
    lags: list[float] = []
    if sent_frames[0] is not None:
        index = {f: i for i, f in enumerate(sent_frames)}
        shown = [index.get(d.get("frame")) for d in draws]
        lags = [d["tPaint"] - pushes[i][0] for d, i in zip(draws, shown, strict=True) if i is not None]
        out["last_frame_shown"] = shown[-1] == n - 1
    elif len(draws) == n:
        lags = [d["tPaint"] - p[0] for d, p in zip(draws, pushes, strict=True)]
        out["last_frame_shown"] = True
    else:
        out["last_frame_shown"] = None  # unknown: the peer dropped or merged draws
    if lags:
        third = max(1, len(lags) // 3)
        out["lag_ms"] = stats(lags)
        out["lag_first_third_ms"] = statistics.median(lags[:third])
        out["lag_last_third_ms"] = statistics.median(lags[-third:])
    return out
