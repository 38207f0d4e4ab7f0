"""The run's record and its printed report: machine, versions, target ratios, tables.

``machine()`` and ``versions()`` describe any run (BENCHMARKS.md records them with the numbers);
``ratios()`` and ``print_report()`` read the heatmap benchmark's JSON results.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

import psutil

PACKAGES = ("ipyexplain", "anywidget", "ipywidgets", "bqplot", "plotly", "voila", "jupyter_server", "ipykernel",
            "numpy", "playwright")


def versions(chromium: str, packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "missing"
    try:
        out["chromium"] = subprocess.run([chromium, "--version"], capture_output=True, text=True,
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


def overhead_row(case: str, times: dict[str, dict[str, list[float]]], peer: str, target: float, *,
                 width: int = 48, judged: bool = True) -> dict[str, Any]:
    """The row of a wrapper-vs-peer case from each side's CPU and wall times (``times[side][kind]``, sides
    ``"ours"`` and ``peer``): medians, ratios ours / peer, printed; ``judged``: flag a ratio over ``target``."""
    med = {w: {k: statistics.median(v) for k, v in t.items()} for w, t in times.items()}
    row: dict[str, Any] = {"case": case, "ours_cpu_s": med["ours"]["cpu"], f"{peer}_cpu_s": med[peer]["cpu"],
                           "ours_wall_s": med["ours"]["wall"], f"{peer}_wall_s": med[peer]["wall"], "all": times}
    row["ratio_cpu"] = row["ours_cpu_s"] / row[f"{peer}_cpu_s"]
    row["ratio_wall"] = row["ours_wall_s"] / row[f"{peer}_wall_s"]
    print(f"{case:{width}s} CPU ours {row['ours_cpu_s']:6.4f} s {peer} {row[f'{peer}_cpu_s']:6.4f} s ratio "
          f"{row['ratio_cpu']:.3f} | wall ratio {row['ratio_wall']:.3f}"
          f"{'' if not judged or row['ratio_cpu'] <= target else '  (over target)'}", flush=True)
    return row


def ratios(results: dict[str, Any], size: int) -> dict[str, Any]:
    """ipyexplain against the faster peer and the floor at one size (medians); the targets' numbers."""
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


def print_report(report: dict[str, Any], labels: dict[str, str]) -> None:
    """The tables on stdout; ``labels`` names the contenders, in table order."""
    res, cfg = report["results"], report["config"]
    _latency_table(res, cfg, labels)
    for key, how in (("stream", "as fast as it can"), ("stream_paced", f"paced at {cfg['paced_rate']:.0f}/s")):
        _stream_table(res, cfg, labels, key, how)
    for r in report["ratios"]:
        _ratio_lines(r)
    _stage_table(res, cfg["sizes"], labels)
    bd = res.get("ipyexplain", {}).get("breakdown")
    if bd:
        _breakdown_table(bd)
    fl = report["load"]["foreign_cores_whole_run"]
    print(f"\nOther jobs on this {report['machine']['nproc']}-core machine kept {fl or 0:.2f} cores busy on average "
          f"during the run (load average {report['load']['loadavg_start'][0]:.1f} at start).")


def _latency_table(res: dict[str, Any], cfg: dict[str, Any], labels: dict[str, str]) -> None:
    sizes = cfg["sizes"]
    print("\nKernel assignment -> new pixels on screen, ms (min / median / max over "
          f"{cfg['repeats']} updates)")
    head = f"{'contender':24s}" + "".join(f"{f'{s}²':>24s}" for s in sizes)
    print(head)
    print("-" * len(head))
    for c in labels:
        if c not in res or "sizes" not in res[c]:
            continue
        cells = []
        for s in sizes:
            lat = res[c]["sizes"].get(str(s), {}).get("latency_ms")
            cells.append(f"{lat['min']:.0f} / {lat['median']:.0f} / {lat['max']:.0f}" if lat else "n/a")
        print(f"{labels[c]:24s}" + "".join(f"{x:>24s}" for x in cells))


def _stream_table(res: dict[str, Any], cfg: dict[str, Any], labels: dict[str, str], key: str, how: str) -> None:
    print(f"\nStreaming {cfg['stream_n']} x {cfg['stream_size']}² from a kernel thread, {how}")
    print(f"{'contender':24s}{'pushed/s':>10s}{'drawn':>7s}{'redraws/s':>11s}{'backlog ms':>12s}"
          f"{'lag 1st/last third ms':>24s}{'last shown':>12s}")
    for c in labels:
        s = res.get(c, {}).get(key)
        if not s:
            continue
        lag = (f"{s['lag_first_third_ms']:.0f} / {s['lag_last_third_ms']:.0f}" if "lag_first_third_ms" in s
               else "n/a")
        print(f"{labels[c]:24s}{s['kernel_push_per_s']:10.0f}{s['draws']:7d}{s.get('redraws_per_s', 0):11.1f}"
              f"{s.get('backlog_ms', float('nan')):12.0f}{lag:>24s}{s.get('last_frame_shown')!s:>12s}")


def _ratio_lines(r: dict[str, Any]) -> None:
    target = "  <- the size the targets are stated at" if r["size"] == 1024 else ""
    print(f"\nAt {r['size']}² (medians):{target}")
    if "peer_over_ipyexplain" in r:
        print(f"  ipyexplain is {r['peer_over_ipyexplain']:.1f}x faster than the faster peer "
              f"({r['faster_peer']})  [target >= 10x]")
    if "ipyexplain_over_canvas" in r:
        print(f"  ipyexplain takes {r['ipyexplain_over_canvas']:.2f}x the bare canvas  [target <= 1.5x]")


def _stage_table(res: dict[str, Any], sizes: list[int], labels: dict[str, str]) -> None:
    print("\nWhere the time goes (medians, ms after the kernel stamp):")
    print(f"{'contender':24s}{'size':>6s}{'kernel':>9s}{'msg in':>9s}{'drawn':>9s}{'painted':>9s}{'msg MB':>9s}")
    for c in labels:
        for s in sizes:
            d = res.get(c, {}).get("sizes", {}).get(str(s))
            if not d:
                continue

            def m(k: str, d: dict[str, Any] = d) -> str:
                return f"{d[k]['median']:.1f}" if k in d else "-"

            print(f"{labels[c]:24s}{s:6d}{m('kernel_ms'):>9s}{m('message_at_ms'):>9s}{m('detect_ms'):>9s}"
                  f"{m('latency_ms'):>9s}{d['message_bytes'] / 2**20:9.2f}")


def _breakdown_table(bd: dict[str, Any]) -> None:
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
