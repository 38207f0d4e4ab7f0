"""NetworkDiagram benchmark: a ~1,000-node model fully expanded, laid out and drawn in headless Chromium,
against torchview's Graphviz rendering of the same model, in the same run.

ipyexplain (Voila, headless Chromium, 1200 x 900, device scale factor 1; a fresh page and kernel per repeat):
- first draw: the view's render() -> the rendering update that paints the diagram (ELK layout in a
  Web Worker started by the bundle, SVG built, painted); the ELK and SVG parts are reported apart;
- new graph: the kernel assigns a different ~1,000-node graph to the shown diagram (a structure the
  browser has not laid out before) -> painted; Python -> browser transfer included;
- 6,000 nodes: first draw collapsed to fit max_nodes, then opening one block found by search.

torchview (same model, same machine, same run): ``draw_graph(model, input, depth=inf,
expand_nested=True)`` (its own forward-pass trace), then Graphviz ``dot -Tsvg`` (layout + SVG),
then the SVG shown inline in a Chromium page until painted. Its trace is compared with ours
(``ModelGraph.from_model``) separately from layout + drawing.

Usage::

    .venv/bin/python benchmarks/network_layout.py            # ~3 min on 2 cores
    .venv/bin/python benchmarks/network_layout.py --repeats 2

Needs torchview and Graphviz's ``dot`` (benchmark-only: ``pip install torchview graphviz``,
``apt-get install graphviz``). Writes benchmarks/results/network_layout.json and screenshots.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from _harness import launch_chromium, new_context, open_notebook, shutdown_kernel, start_voila
from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MODELS_PY = HERE.parent / "tests" / "e2e" / "notebooks" / "network_models.py"
STAGES, BLOCKS = 8, 21  # 8 + 168 blocks + 168 x 5 ops + input + output = 1,018 nodes

PROBE = """
window.__net = { drawn: [] };
document.addEventListener("ipyexplain:drawn", (e) => window.__net.drawn.push(e.detail));
"""

NOTEBOOK = f"""
import torch, ipywidgets as W
from network_models import deep, MLPBlock
from ipyexplain.views.network import NetworkDiagram
from ipyexplain.structure import ModelGraph
torch.manual_seed(0)
model = deep({STAGES}, {BLOCKS})
d = NetworkDiagram(model, torch.randn(1, 8), depth=10, max_nodes=5000, height=700)

# Other ~1,000-node graphs, each of a structure the browser has not laid out: blocks with 1-5 more layers.
others = [ModelGraph.from_model(deep({STAGES}, max(4, round({BLOCKS} * 5 / (5 + 2 * h))), hidden=h), torch.randn(1, 8))
          for h in (1, 2, 3, 4, 5)]
state = {{"next": 0}}
def swap(_):
    d.update(others[state["next"] % len(others)])
    state["next"] += 1
button = W.Button(description="new graph")
button.on_click(swap)
W.VBox([d, button])
"""
BIG = """
import torch
from network_models import deep
from ipyexplain.views.network import NetworkDiagram
d = NetworkDiagram(deep(50, 20), torch.randn(1, 8), depth=3, height=700)
d
"""


def write_notebooks(root: Path) -> None:
    shutil.copy(MODELS_PY, root / "network_models.py")
    for name, source in (("net_bench.ipynb", NOTEBOOK), ("net_big.ipynb", BIG)):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nb.cells = [nbformat.v4.new_code_cell(source.strip())]
        nbformat.write(nb, root / name)


def wait_drawn(page: Page, count: int, timeout_ms: float = 120_000) -> dict[str, Any]:
    page.wait_for_function("(n) => window.__net.drawn.length >= n", arg=count, timeout=timeout_ms, polling=20)
    detail: dict[str, Any] = page.evaluate("(n) => window.__net.drawn[n - 1]", count)
    return detail


def ours(voila: Any, browser: Any, repeats: int, shots: Path) -> dict[str, Any]:
    first, swaps = [], []
    for r in range(repeats):
        context = new_context(browser, PROBE)
        page = context.new_page()
        kernel = open_notebook(page, voila, "net_bench.ipynb", ".ipx-network", "ipyexplain", lambda p: None)
        try:
            d = wait_drawn(page, 1)
            first.append({"total_ms": d["paintedAt"] - d["renderedAt"], "layout_ms": d["layoutMs"],
                          "draw_ms": d["drawMs"], "nodes": d["nodes"], "elk_calls": d["elkCalls"]})
            if r == 0:
                page.locator(".ipx-network").screenshot(path=str(shots / "network_ours_1000.png"))
            for k in range(3):
                page.get_by_role("button", name="new graph").click()
                d = wait_drawn(page, 2 + k)
                swaps.append({"total_ms": d["paintedAt"] - d["sentAt"], "layout_ms": d["layoutMs"],
                              "draw_ms": d["drawMs"], "nodes": d["nodes"]})
        finally:
            context.close()
            if kernel:
                shutdown_kernel(voila, kernel)
    return {"first_draw": first, "new_graph": swaps}


def big(voila: Any, browser: Any, shots: Path) -> dict[str, Any]:
    context = new_context(browser, PROBE)
    page = context.new_page()
    kernel = open_notebook(page, voila, "net_big.ipynb", ".ipx-network", "big", lambda p: None)
    try:
        d = wait_drawn(page, 1, 180_000)
        out = {"first_draw_ms": d["paintedAt"] - d["renderedAt"], "visible": d["nodes"], "layout_ms": d["layoutMs"]}
        search = page.locator(".ipx-net-search")
        search.fill("31.7.fc2")
        search.press("Enter")
        d = wait_drawn(page, 2)
        out.update(expand_layout_ms=d["layoutMs"], expand_draw_ms=d["drawMs"], expand_visible=d["nodes"])
        page.wait_for_timeout(800)
        page.locator(".ipx-network").screenshot(path=str(shots / "network_ours_6000.png"))
        return out
    finally:
        context.close()
        if kernel:
            shutdown_kernel(voila, kernel)


def torchview_run(browser: Any, repeats: int, shots: Path) -> dict[str, Any]:
    import torch
    from torchview import draw_graph

    sys.path.insert(0, str(MODELS_PY.parent))
    from network_models import deep

    from ipyexplain.structure import ModelGraph

    model, x = deep(STAGES, BLOCKS), torch.randn(1, 8)
    rows = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        g = draw_graph(model, input_data=x, depth=float("inf"), expand_nested=True, save_graph=False)
        t1 = time.perf_counter()
        svg = g.visual_graph.pipe(format="svg").decode()
        t2 = time.perf_counter()
        ModelGraph.from_model(model, x)
        t3 = time.perf_counter()
        context = browser.new_context(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
        page = context.new_page()
        page.set_content("<html><body><div id=host></div></body></html>")
        shown = page.evaluate(
            """(svg) => new Promise((resolve) => {
                const t0 = performance.now();
                document.getElementById("host").innerHTML = svg;  // our own trusted SVG text, benchmark only
                requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
            })""",
            svg,
        )
        if not rows:
            page.screenshot(path=str(shots / "network_torchview_1000.png"))
        context.close()
        rows.append({"trace_ms": (t1 - t0) * 1e3, "dot_ms": (t2 - t1) * 1e3, "browser_ms": shown,
                     "ours_trace_ms": (t3 - t2) * 1e3, "nodes": svg.count('class="node"'),
                     "svg_bytes": len(svg)})
    return {"runs": rows}


def med(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    shots = RESULTS
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = Path(tmp) / "root"
        root.mkdir()
        write_notebooks(root)
        voila = start_voila(root, Path(tmp) / "state", RESULTS / "logs")
        browser = launch_chromium(pw)
        try:
            tv = torchview_run(browser, args.repeats, shots)
            mine = ours(voila, browser, args.repeats, shots)
            large = big(voila, browser, shots)
        finally:
            browser.close()
            voila.stop_all()
    report = {
        "date": dt.date.today().isoformat(), "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "torchview": tv, "ipyexplain": mine, "ipyexplain_6000": large,
    }
    (RESULTS / "network_layout.json").write_text(json.dumps(report, indent=2))
    fd, sw, tvr = mine["first_draw"], mine["new_graph"], tv["runs"]
    print(f"\nNetworkDiagram, {fd[0]['nodes']} nodes fully expanded (median of {len(fd)}; {report['machine']})")
    print(f"  ipyexplain first draw (render -> painted): {med(fd, 'total_ms'):7.0f} ms "
          f"(ELK in worker {med(fd, 'layout_ms'):.0f} ms incl. worker start, SVG {med(fd, 'draw_ms'):.0f} ms)")
    print(f"  ipyexplain new graph (kernel -> painted):  {med(sw, 'total_ms'):7.0f} ms "
          f"(layout {med(sw, 'layout_ms'):.0f} ms, SVG {med(sw, 'draw_ms'):.0f} ms)")
    print(f"  torchview dot -Tsvg + browser draw:        {med(tvr, 'dot_ms') + med(tvr, 'browser_ms'):7.0f} ms "
          f"(dot {med(tvr, 'dot_ms'):.0f} ms, browser {med(tvr, 'browser_ms'):.0f} ms; {tvr[0]['nodes']} nodes)")
    print(f"  trace: torchview {med(tvr, 'trace_ms'):.0f} ms, ipyexplain ModelGraph.from_model "
          f"{med(tvr, 'ours_trace_ms'):.0f} ms")
    peer = med(tvr, "dot_ms") + med(tvr, "browser_ms")
    print(f"  layout + draw vs torchview (dot + SVG shown): first draw {med(fd, 'total_ms') / peer:.2f}x its time "
          f"(ELK's worker starts cold), a new graph {med(sw, 'total_ms') / peer:.2f}x")
    print(f"6,052 nodes: first draw {large['first_draw_ms']:.0f} ms with {large['visible']} visible; "
          f"opening a block: layout {large['expand_layout_ms']:.0f} ms, SVG {large['expand_draw_ms']:.0f} ms")


if __name__ == "__main__":
    main()
