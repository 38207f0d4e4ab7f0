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

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"
RESULTS = HERE / "results"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
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

PAGE_PROBE_JS = r"""
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

  // ------------------------------------------------------------------ "drawn" detectors
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


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(url: str, *, method: str = "GET", data: bytes | None = None, timeout_s: float = 5.0) -> int:
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class Voila:
    """Voila serving benchmarks/notebooks, in its own process group, isolated from ~/.jupyter."""

    def __init__(self, state_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        env = os.environ.copy()
        for name in ("JUPYTER_TOKEN", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
            env.pop(name, None)
        for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                          ("IPYTHONDIR", "ipython")):
            (state_dir / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(state_dir / sub)
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing written into the checkout
        env["ANYWIDGET_HMR"] = "0"  # no file watchers (DESIGN.md pitfall)
        cmd = [
            str(VENV_BIN / "voila"), str(NOTEBOOKS), "--no-browser", f"--port={self.port}",
            "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--theme=light", "--show_tracebacks=True",
            "--Voila.tornado_settings=disable_check_xsrf=True",  # lets us POST the kernel shutdown
        ]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=NOTEBOOKS, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited early; see {log_path}")
            with contextlib.suppress(OSError):
                if http(self.url("")) == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"voila not ready after 60 s; see {log_path}")
            time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def shutdown_kernel(self, kernel_id: str) -> None:
        with contextlib.suppress(OSError):
            http(self.url(f"voila/api/shutdown/{kernel_id}"), method="POST", data=b"")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)  # kernels: own sessions
        except psutil.Error:
            kids = []
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        for p in kids:
            with contextlib.suppress(psutil.Error):
                p.terminate()
        _, alive = psutil.wait_procs(kids, timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()


# --------------------------------------------------------------------------- measuring


class ForeignLoad:
    """CPU used by processes outside this benchmark's process tree (other jobs on the machine).

    Samples every second: system busy CPU time minus the CPU time of this process and its
    descendants (Voila, kernels, Chromium). A process that exits loses at most its last second.
    """

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.seen: dict[tuple[int, float], float] = {}
        self.samples: list[tuple[float, float, float]] = []  # (monotonic, system busy s, own tree s)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="foreign-load", daemon=True)
        self._thread.start()

    def _own(self) -> float:
        for p in [self.me, *self.me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                self.seen[(p.pid, p.create_time())] = t.user + t.system
        return sum(self.seen.values())

    def sample(self) -> float:
        """Take a sample now (also called at the start and end of every block); returns its time."""
        with self._lock:
            cpu = psutil.cpu_times()
            busy = cpu.user + cpu.system + cpu.nice + getattr(cpu, "irq", 0) + getattr(cpu, "softirq", 0)
            now = time.monotonic()
            self.samples.append((now, busy, self._own()))
            return now

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(1.0)

    def cores_between(self, t0: float, t1: float) -> float | None:
        """Average number of cores kept busy by foreign processes between two monotonic times."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return None
        (a, busy_a, own_a), (b, busy_b, own_b) = inside[0], inside[-1]
        return max(0.0, ((busy_b - busy_a) - (own_b - own_a)) / (b - a))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)



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


class Run:
    def __init__(self, page: Page, contender: str, timeout_ms: float) -> None:
        self.page, self.contender, self.timeout_ms, self.seq = page, contender, timeout_ms, 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def settle(self, ms: int = 50) -> None:
        self.page.evaluate("(ms) => window.__bench.settle(ms)", ms)

    def update(self, size: int) -> dict[str, Any]:
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
        if self.contender == "ipyexplain":
            rec["frame_drawn"], rec["frame_sent"] = draw.get("frame"), res.get("frame")
            rec["kernel_prep_ms"] = res["sent_at"] - t0  # validate, range, pool: before serialising
            rec["ipx_drawn_at_ms"] = draw["drawnAt"] - t0
            if draw.get("callbackStart"):
                rec["draw_start_ms"] = draw["callbackStart"] - t0  # its requestAnimationFrame callback began
                rec["draw_call_ms"] = draw["tDetect"] - draw["callbackStart"]  # draw(): decode, colour, canvas
            if draw.get("api"):
                rec["canvas_api_ms"] = {k: v[0] for k, v in draw["api"].items()}
                rec["canvas_api_calls"] = {k: v[1] for k, v in draw["api"].items()}
        if self.contender == "canvas":
            rec["frame_drawn"], rec["frame_sent"] = draw.get("frame"), res.get("frame")
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
        pushes = res["pushes"]
        first_push, last_push = pushes[0][0], pushes[-1][0]
        # Only draws after the first push belong to the stream.
        draws = [d for d in draws if d.get("tPaint") and d["tDetect"] >= first_push]
        msgs = self.page.evaluate("([a, b]) => window.__bench.messagesBetween(a, b)",
                                  [first_push, draws[-1]["tPaint"] if draws else first_push])
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


def breakdown(page: Page, run: Run, cfg: argparse.Namespace) -> dict[str, Any]:
    """Extra, unmeasured ipyexplain updates with the 2-D canvas calls timed: where draw() spends its time."""
    page.evaluate("() => window.__bench.instrumentCanvas()")
    out: dict[str, Any] = {}
    for size in cfg.sizes:
        recs = [run.update(size) for _ in range(cfg.breakdown)]
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


def open_contender(page: Page, voila: Voila, contender: str) -> str:
    page.goto(voila.url(f"voila/render/latency_{contender}.ipynb"), wait_until="domcontentloaded")
    kernel_id = page.evaluate(
        "() => { const el = document.getElementById('jupyter-config-data');"
        " return el ? JSON.parse(el.textContent).kernelId || null : null; }"
    )
    try:
        page.wait_for_selector(f"{READY_SELECTOR[contender]}, .jupyter-widgets-error-widget, .jp-OutputArea-error",
                               timeout=120_000)
        if page.query_selector(".jupyter-widgets-error-widget, .jp-OutputArea-error"):
            raise RuntimeError(f"{contender}: the notebook failed in Voila:\n{page.inner_text('body')[:3000]}")
        page.wait_for_function("() => window.__bench.attachControl()", timeout=60_000)
        page.locator(VISUAL_SELECTOR[contender]).first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # initial draws, display-size reports, fonts
        ok = page.evaluate("(c) => window.__bench.detectors[c]()", contender)
        if not ok:
            raise RuntimeError(f"{contender}: could not install the draw detector")
    except BaseException:
        if kernel_id:
            voila.shutdown_kernel(kernel_id)
        raise
    return str(kernel_id or "")


class Contender:
    """One contender's Voila page (own browser context, own kernel) and everything measured on it."""

    def __init__(self, browser: Browser, voila: Voila, name: str, cfg: argparse.Namespace, load: ForeignLoad):
        self.name, self.voila, self.cfg, self.load = name, voila, cfg, load
        self.context = browser.new_context(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
        # Voila's template asks a CDN for an icon font: answer it locally (no network here).
        self.context.route("https://cdn.jsdelivr.net/**",
                           lambda route: route.fulfill(status=200, content_type="text/css", body=""))
        self.context.add_init_script(PAGE_PROBE_JS)
        self.page = self.context.new_page()
        self.kernel_id = ""
        self.out: dict[str, Any] = {"contender": name, "label": LABELS[name], "sizes": {}, "updates": [],
                                    "retried_blocks": []}
        t0 = time.monotonic()
        try:
            self.kernel_id = open_contender(self.page, voila, name)
        except BaseException:
            self.context.close()
            raise
        self.out["page_load_s"] = time.monotonic() - t0
        self.out["clock"] = [clock_offset(self.page)]
        box = self.page.locator(VISUAL_SELECTOR[name]).first.bounding_box()
        self.out["css_box"] = box and {k: round(box[k], 1) for k in ("x", "y", "width", "height")}
        self.run = Run(self.page, name, cfg.update_timeout_s * 1000)

    def activate(self) -> None:
        self.page.bring_to_front()
        state = self.page.evaluate("() => document.visibilityState")
        if state != "visible":
            raise RuntimeError(f"{self.name}: page is {state}; rAF would be throttled")

    def _quiet_enough(self, foreign: float | None, wall_s: float, attempt: int) -> bool:
        """Another job on the machine disturbed a short block: measure it again (at most twice)."""
        cheap = wall_s < self.cfg.retry_under_s
        return not (cheap and foreign is not None and foreign > self.cfg.max_foreign and attempt < 2)

    def block(self, size: int) -> None:
        """Warm-up, then the measured updates at one size."""
        self.activate()
        best: tuple[float, list[dict[str, Any]], float, float | None] | None = None
        for attempt in range(3):
            t_size = self.load.sample()
            recs = []
            for i in range(self.cfg.warmup + self.cfg.repeats):
                rec = self.run.update(size)
                rec["warmup"] = i < self.cfg.warmup
                recs.append(rec)
            wall = time.monotonic() - t_size
            foreign = self.load.cores_between(t_size, self.load.sample())
            if best is None or (foreign or 0) < (best[3] or 0):
                best = (t_size, recs, wall, foreign)
            if self._quiet_enough(foreign, wall, attempt):
                break
            self.out["retried_blocks"].append({"size": size, "attempt": attempt, "foreign_cores": foreign})
            print(f"  {self.name:10s} {size:5d}²  other jobs kept {foreign:.1f} cores busy: measuring again",
                  flush=True)
        assert best is not None
        _, recs, wall, foreign = best
        self.out["updates"].extend(recs)
        measured = [r for r in recs if not r["warmup"]]
        summary: dict[str, Any] = {k: stats([r[k] for r in measured if k in r]) for k in
                                   ("latency_ms", "kernel_ms", "message_at_ms", "detect_ms", "paint_ms",
                                    "decode_ms", "kernel_prep_ms", "ipx_drawn_at_ms", "draw_start_ms",
                                    "draw_call_ms")}
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
        self.activate()
        cfg = self.cfg
        lat = self.out["sizes"][str(cfg.stream_size)]["latency_ms"]
        quiet = max(800.0, 3 * lat["median"])
        for key, rate in (("stream", 0.0), ("stream_paced", cfg.paced_rate)):
            for attempt in range(3):
                t_s = self.load.sample()
                s = self.run.stream(cfg.stream_size, cfg.stream_n, quiet, rate)
                wall = time.monotonic() - t_s
                s["foreign_cores"] = foreign = self.load.cores_between(t_s, self.load.sample())
                s["wall_s"] = wall
                self.run.settle(300)
                if key not in self.out or (foreign or 0) < (self.out[key].get("foreign_cores") or 0):
                    self.out[key] = s
                if self._quiet_enough(foreign, wall, attempt):
                    break
                self.out["retried_blocks"].append({"stream": key, "attempt": attempt, "foreign_cores": foreign})
            s = self.out[key]
            print(f"  {self.name:10s} {key} {cfg.stream_n}x{cfg.stream_size}²: {s['draws']} draws, "
                  f"{s.get('redraws_per_s', 0):.1f}/s, backlog {s.get('backlog_ms', float('nan')):.0f} ms "
                  f"(other jobs busy {s['foreign_cores'] or 0:.1f} cores)", flush=True)

    def finish(self) -> dict[str, Any]:
        try:
            if self.name == "ipyexplain" and self.cfg.breakdown:
                self.activate()
                self.out["breakdown"] = breakdown(self.page, self.run, self.cfg)
            RESULTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(RESULTS / f"heatmap_latency_{self.name}.png"))
            self.out["clock"].append(clock_offset(self.page))
            self.out["skipped_afterplots"] = self.page.evaluate("() => window.__bench.skipped")
        finally:
            self.close()
        return self.out

    def close(self) -> None:
        if self.kernel_id:
            self.voila.shutdown_kernel(self.kernel_id)
            self.kernel_id = ""
        with contextlib.suppress(Exception):
            self.context.close()


# --------------------------------------------------------------------------- report


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("ipyexplain", "anywidget", "ipywidgets", "bqplot", "plotly", "voila", "jupyter_server",
                "ipykernel", "numpy", "playwright"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "missing"
    try:
        out["chromium"] = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                                         timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out["chromium"] = "unknown"
    return out


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform()}


def ratios(results: dict[str, Any], size: int) -> dict[str, Any]:
    def med(c: str) -> float | None:
        s = results.get(c, {}).get("sizes", {}).get(str(size), {})
        return s.get("latency_ms", {}).get("median")

    ipx, canvas = med("ipyexplain"), med("canvas")
    peers: dict[str, float] = {c: m for c in ("bqplot", "plotly") if (m := med(c)) is not None}
    out: dict[str, Any] = {"size": size}
    if ipx and peers:
        best = min(peers, key=lambda c: peers[c])
        out["faster_peer"] = best
        out["peer_over_ipyexplain"] = peers[best] / ipx  # target >= 10
    if ipx and canvas:
        out["ipyexplain_over_canvas"] = ipx / canvas  # target <= 1.5
    return out


def print_report(report: dict[str, Any]) -> None:
    res = report["results"]
    sizes = report["config"]["sizes"]
    print("\nKernel assignment -> new pixels on screen, ms (min / median / max over "
          f"{report['config']['repeats']} updates)")
    head = f"{'contender':24s}" + "".join(f"{f'{s}²':>24s}" for s in sizes)
    print(head)
    print("-" * len(head))
    for c in CONTENDERS:
        if c not in res or "sizes" not in res[c]:
            continue
        cells = []
        for s in sizes:
            lat = res[c]["sizes"].get(str(s), {}).get("latency_ms")
            cells.append(f"{lat['min']:.0f} / {lat['median']:.0f} / {lat['max']:.0f}" if lat else "n/a")
        print(f"{LABELS[c]:24s}" + "".join(f"{x:>24s}" for x in cells))
    cfg = report["config"]
    for key, how in (("stream", "as fast as it can"), ("stream_paced", f"paced at {cfg['paced_rate']:.0f}/s")):
        print(f"\nStreaming {cfg['stream_n']} x {cfg['stream_size']}² from a kernel thread, {how}")
        print(f"{'contender':24s}{'pushed/s':>10s}{'drawn':>7s}{'redraws/s':>11s}{'backlog ms':>12s}"
              f"{'lag 1st/last third ms':>24s}{'last shown':>12s}")
        for c in CONTENDERS:
            s = res.get(c, {}).get(key)
            if not s:
                continue
            lag = (f"{s['lag_first_third_ms']:.0f} / {s['lag_last_third_ms']:.0f}" if "lag_first_third_ms" in s
                   else "n/a")
            print(f"{LABELS[c]:24s}{s['kernel_push_per_s']:10.0f}{s['draws']:7d}{s.get('redraws_per_s', 0):11.1f}"
                  f"{s.get('backlog_ms', float('nan')):12.0f}{lag:>24s}{s.get('last_frame_shown')!s:>12s}")
    for r in report["ratios"]:
        target = "  <- the size the targets are stated at" if r["size"] == 1024 else ""
        print(f"\nAt {r['size']}² (medians):{target}")
        if "peer_over_ipyexplain" in r:
            print(f"  ipyexplain is {r['peer_over_ipyexplain']:.1f}x faster than the faster peer "
                  f"({r['faster_peer']})  [target >= 10x]")
        if "ipyexplain_over_canvas" in r:
            print(f"  ipyexplain takes {r['ipyexplain_over_canvas']:.2f}x the bare canvas  [target <= 1.5x]")
    print("\nWhere the time goes (medians, ms after the kernel stamp):")
    print(f"{'contender':24s}{'size':>6s}{'kernel':>9s}{'msg in':>9s}{'drawn':>9s}{'painted':>9s}{'msg MB':>9s}")
    for c in CONTENDERS:
        for s in sizes:
            d = res.get(c, {}).get("sizes", {}).get(str(s))
            if not d:
                continue

            def m(k: str, d: dict[str, Any] = d) -> str:
                return f"{d[k]['median']:.1f}" if k in d else "-"

            print(f"{LABELS[c]:24s}{s:6d}{m('kernel_ms'):>9s}{m('message_at_ms'):>9s}{m('detect_ms'):>9s}"
                  f"{m('latency_ms'):>9s}{d['message_bytes'] / 2**20:9.2f}")

    bd = res.get("ipyexplain", {}).get("breakdown")
    if bd:
        print("\nipyexplain.Heatmap, instrumented extra updates (medians, ms; not in the tables above):")
        print(f"{'size':>6s}{'kernel':>8s}{'prep':>7s}{'msg in':>8s}{'rAF':>7s}{'draw()':>8s}"
              f"{'put':>7s}{'drawImg':>9s}{'text':>7s}{'JS':>7s}{'paint':>7s}{'total':>8s}")
        for size, row in bd.items():
            api = row["canvas_api_ms"]
            text = api.get("measureText", 0) + api.get("fillText", 0)
            put = api.get("putImageData", 0) + api.get("createImageData", 0)

            def g(k: str, row: dict[str, Any] = row) -> float:
                return float(row.get(k, float("nan")))

            print(f"{size:>6s}{g('kernel_ms'):8.1f}{g('kernel_prep_ms'):7.1f}{g('message_at_ms'):8.1f}"
                  f"{g('draw_start_ms'):7.1f}{g('draw_call_ms'):8.1f}{put:7.1f}{api.get('drawImage', 0):9.1f}"
                  f"{text:7.1f}{g('draw_js_ms'):7.1f}{g('paint_ms'):7.1f}{g('latency_ms'):8.1f}")
    fl = report["load"]["foreign_cores_whole_run"]
    print(f"\nOther jobs on this {report['machine']['nproc']}-core machine kept {fl or 0:.2f} cores busy on average "
          f"during the run (load average {report['load']['loadavg_start'][0]:.1f} at start).")


# --------------------------------------------------------------------------- main


def main() -> int:
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

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    t_start = time.monotonic()
    state_dir = Path(tempfile.mkdtemp(prefix="ipyexplain-bench-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    voila: Voila | None = None
    results: dict[str, Any] = {}
    load = ForeignLoad()
    loadavg_start = os.getloadavg()
    try:
        voila = Voila(state_dir, RESULTS / "logs" / "voila.log")
        print(f"voila on port {voila.port} ({time.monotonic() - t_start:.0f} s)", flush=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            pages: dict[str, Contender] = {}
            try:
                # Every contender's page stays open; the blocks are interleaved size by size, so that
                # contenders compared at one size are measured minutes apart at most.
                for name in cfg.contenders:
                    try:
                        pages[name] = Contender(browser, voila, name, cfg, load)
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
                        results[name] = contender.finish()
            finally:
                for contender in pages.values():
                    contender.close()
                browser.close()
    finally:
        load.stop()
        if voila is not None:
            voila.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    report = {
        "benchmark": "heatmap_latency",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items()},
        "load": {"loadavg_start": loadavg_start, "loadavg_end": os.getloadavg(),
                 "foreign_cores_whole_run": load.cores_between(0, time.monotonic())},
        "results": results,
        "ratios": [ratios(results, s) for s in cfg.sizes],  # the targets are stated at 1024²
        "wall_s": time.monotonic() - t_start,
    }
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    cfg.out.write_text(json.dumps(report, indent=1))
    print_report(report)
    print(f"wrote {cfg.out} ({report['wall_s']:.0f} s)")
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
