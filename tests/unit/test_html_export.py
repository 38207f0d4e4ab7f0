"""save_html / to_html: errors, a page that loads nothing, the state and its buffers, escaping, size."""

from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess
import sys
import threading
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import bqplot as bq
import ipywidgets as W
import numpy as np
import pytest
import shap

import ipyexplain
from ipyexplain import _html_page
from ipyexplain._html_export import KERNEL_ONLY
from ipyexplain._html_page import PACKED
from ipyexplain._jobs import Job, Partial
from ipyexplain.views._base import STATIC

XSS = "<img src=x onerror=window.__pwned=1>"
BREAKOUT = "</script><script>window.__pwned=2</script>"
MB = 1024 * 1024


class Page(HTMLParser):
    """The document's tags (outside scripts), the text of each script and style, and the CSP."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: tuple[str, dict[str, str | None], list[str]] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, dict(attrs), [])

    def handle_endtag(self, tag: str) -> None:
        if self._in is not None and tag == self._in[0]:
            content = "".join(self._in[2])
            if tag == "script":
                self.scripts.append((self._in[1], content))
            else:
                self.styles.append(content)
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is None:
            self.text.append(data)
        else:
            self._in[2].append(data)

    def code(self) -> list[tuple[dict[str, str | None], str]]:
        """Every script's code, the packed ones (gzip + base64) unpacked."""
        return [(attrs, gzip.decompress(base64.b64decode(text)).decode("utf-8") if attrs.get("type") == PACKED
                 else text) for attrs, text in self.scripts]

    def data(self) -> dict:
        (found,) = [text for attrs, text in self.code() if attrs.get("id") == "ipyexplain-export-data"]
        return json.loads(found)

    def csp(self) -> str:
        (meta,) = [a for t, a in self.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
        return str(meta["content"])


def heatmap(values=None, **kw) -> ipyexplain.Heatmap:
    values = np.arange(12, dtype=np.float64).reshape(3, 4) if values is None else values
    return ipyexplain.Heatmap(values, col_labels=["a", "b", XSS, "d"], title="Attributions", **kw)


def models(data: dict, name: str) -> list[dict]:
    return [m for m in data["state"]["state"].values() if m["model_name"] == name]


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("bad", [42, "a string", np.zeros(3), W.Layout(width="10px"), bq.LinearScale()])
def test_a_non_widget_is_refused_saying_what_is_accepted(bad):
    with pytest.raises(TypeError, match=r"widget must be a displayable ipywidgets widget.*VBox.*; got "):
        ipyexplain.to_html(bad)


@pytest.mark.parametrize("fn", [ipyexplain.to_html, lambda w, **kw: ipyexplain.save_html(w, "x.html", **kw)])
def test_an_unknown_keyword_names_the_valid_ones(fn):
    with pytest.raises(TypeError, match=r"'colour'.*valid keywords are: theme, title"):
        fn(heatmap(), colour="red")


def test_theme_and_title_are_checked():
    with pytest.raises(ValueError, match=r"theme must be one of \('light', 'dark'\); got 'blue'"):
        ipyexplain.to_html(heatmap(), theme="blue")
    with pytest.raises(TypeError, match="title must be a str or None; got int"):
        ipyexplain.to_html(heatmap(), title=3)
    with pytest.raises(TypeError, match=r"path must be a str or pathlib\.Path; got int"):
        ipyexplain.save_html(heatmap(), 3)


def test_a_library_whose_javascript_is_missing_is_an_error_that_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(_html_page, "nbextension_dirs", lambda: [tmp_path])
    fig = bq.Figure(marks=[bq.Lines(x=[0, 1], y=[0, 1], scales={"x": bq.LinearScale(), "y": bq.LinearScale()})])
    with pytest.raises(_html_page.ExportError, match=rf"'bqplot'.*bqplot/index\.js.*{re.escape(str(tmp_path))}"):
        ipyexplain.to_html(fig)


# ----------------------------------------------------------------------------- nothing from the network

URL = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", re.IGNORECASE)
# Ways a page can load something: markup attributes, CSS url()/@import, JS import()/fetch/XHR/workers/src=.
LOADS = re.compile(
    r"""(?:url\(\s*|@import\s+|import\(\s*|fetch\(\s*|\.open\(\s*["'][A-Z]+["']\s*,\s*|Worker\(\s*|\bsrc\s*=\s*|"""
    r"""\bhref\s*=\s*)["'`]?(?:https?:)?//""",
    re.IGNORECASE,
)


def without_comments(text: str) -> str:
    """CSS/JS block comments out (a commented-out ``@import url(https://...)`` loads nothing)."""
    return re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)


def test_the_page_loads_nothing_from_the_network():
    fig = bq.Figure(marks=[bq.Lines(x=[0, 1], y=[0, 1], scales={"x": bq.LinearScale(), "y": bq.LinearScale()})])
    button = W.Button(description="go", icon="search")
    text = ipyexplain.to_html(W.VBox([heatmap(), fig, button]), title="All kinds")
    page = Page(text)
    # The browser may load nothing remote: the policy allows inline code and data:/blob: URLs only.
    csp = dict(part.strip().split(" ", 1) for part in page.csp().split(";"))
    assert csp["default-src"] == "'none'"
    for directive, sources in csp.items():
        assert not URL.search(sources) and "*" not in sources and "http" not in sources, (directive, sources)
    # No element points anywhere (no <script src>, <link href>, <img src>).
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert name not in ("src", "href", "srcset", "action", "poster"), (tag, name, value)
    # No code or style asks for a remote URL (comments and plain strings such as license links may mention one).
    assert {a.get("type") for a, _ in page.scripts} == {PACKED, None}  # data and libraries packed; boot inline
    for code in [s for _, s in page.code()] + page.styles:
        found = LOADS.search(without_comments(code))
        assert found is None, code[max(0, found.start() - 200): found.end() + 100]
    assert page.styles and any("Font Awesome" in s for s in page.styles)  # the button's icon font is inline
    assert "url(data:font/woff2;base64," in text


def test_the_network_check_catches_a_remote_load():
    assert LOADS.search('x = import("https://cdn.example.com/a.js")')
    assert LOADS.search("s.src = '//unpkg.com/x'")
    assert LOADS.search("@import url(https://fonts.googleapis.com/css)")
    assert not LOADS.search(without_comments("/* @import url('https://fonts.googleapis.com/css'); */"))
    assert not LOADS.search('ns = "http://www.w3.org/2000/svg"')


# ---------------------------------------------------------------------------------- state and buffers


def test_the_state_holds_the_values_as_binary_buffers_and_each_module_once():
    values = np.linspace(-1, 1, 12).reshape(3, 4)
    page = Page(ipyexplain.to_html(W.HBox([heatmap(values), heatmap(values * 2)])))
    data = page.data()
    maps = models(data, "AnyModel")
    assert len(maps) == 2
    assert data["esm"] == [(STATIC / "heatmap.js").read_text(encoding="utf-8")]
    assert all(m["state"]["_esm"] == {"ipyexplain_esm": 0} for m in maps)
    decoded = []
    for m in maps:
        (buf,) = [b for b in m["buffers"] if b["encoding"] == "base64"]
        holder = m["state"]
        for key in buf["path"][:-1]:
            holder = holder[key]
        assert holder["dtype"] == "float32" and holder["shape"] == [3, 4]
        decoded.append(np.frombuffer(base64.b64decode(buf["data"]), dtype="<f4").reshape(3, 4))
    assert any(np.allclose(d, values) for d in decoded) and any(np.allclose(d, values * 2) for d in decoded)
    (box,) = models(data, "HBoxModel")
    assert data["views"] == [{"version_major": 2, "version_minor": 0, "model_id": box_id(data, box)}]


def box_id(data: dict, model: dict) -> str:
    return next(k for k, v in data["state"]["state"].items() if v is model)


def test_bqplot_figures_bring_their_libraries_and_our_views_do_not():
    fig = bq.Figure(marks=[bq.Lines(x=[0, 1], y=[0, 1], scales={"x": bq.LinearScale(), "y": bq.LinearScale()})])
    with_fig = Page(ipyexplain.to_html(fig))
    assert sorted(str(a["data-amd-module"]) for a, _ in with_fig.scripts if "data-amd-module" in a) == [
        "bqplot", "bqscales"]
    alone = Page(ipyexplain.to_html(heatmap()))
    assert [a["data-amd-module"] for a, _ in alone.scripts if "data-amd-module" in a] == ["anywidget"]


def test_nan_in_the_state_is_written_as_null():
    label = W.FloatText(value=float("nan"))
    page = Page(ipyexplain.to_html(label))
    (model,) = models(page.data(), "FloatTextModel")
    assert model["state"]["value"] is None


# ------------------------------------------------------------------------------------------ escaping


def test_user_strings_stay_text():
    names = [XSS, BREAKOUT, "tenure"]
    exp = shap.Explanation(values=np.array([[1.0, 2.0, 3.0]]), feature_names=names)
    bars = ipyexplain.ImportanceBars(exp, title=BREAKOUT)
    text = ipyexplain.to_html(bars, title=XSS + BREAKOUT)
    assert XSS not in text and BREAKOUT not in text  # neither appears raw anywhere in the file
    page = Page(text)
    # Exactly our scripts: the data, html-manager, anywidget's bundle, the boot script (last, inline).
    assert len([a for t, a in page.tags if t == "script"]) == 4
    assert page.scripts[-1][0] == {} and "DecompressionStream" in page.scripts[-1][1]
    assert "".join(page.text).count(XSS + BREAKOUT) == 2  # <title> and the heading, as text
    (model,) = models(page.data(), "AnyModel")
    assert sorted(model["state"]["_names"]) == sorted(names)  # and the data reads back exactly


def test_packed_parts_are_deterministic_and_cannot_hold_markup():
    payload = _html_page.pack("</script>" * 3)
    assert payload == _html_page.pack("</script>" * 3) and re.fullmatch(r"[A-Za-z0-9+/=]+", payload)
    assert gzip.decompress(base64.b64decode(payload)) == b"</script>" * 3


def test_a_bundle_cannot_end_its_script_element():
    source = 'const a = "</SCRIPT><!-- x";\n//# sourceMappingURL=a.js.map'
    tag = _html_page.inline_script(source, data_amd_module='m"')
    assert tag == '<script data-amd-module="m&quot;">const a = "<\\/SCRIPT><\\!-- x";\n</script>'


# ----------------------------------------------------------------------------- snapshots and controls


def stream(gate: threading.Event, n: int = 3):
    for i in range(n):
        yield Partial(shap.Explanation(values=np.ones((1, 3)) * (i + 1), feature_names=["a", "b", "c"]), i + 1, n)
        gate.wait(5)


def test_a_running_job_is_saved_as_a_snapshot_and_a_finished_one_is_not():
    gate = threading.Event()
    bars = ipyexplain.ImportanceBars()
    job = Job(stream(gate), max_rate=1000)
    bars.bind(job)
    job.start()
    try:
        while job.progress.done < 1:
            job.wait(0.01)
        page = Page(ipyexplain.to_html(bars))
        notes = [a for t, a in page.tags if t == "p" and a.get("class") == "ipx-export-note"]
        assert len(notes) == 1 and "while 1 job was still running" in "".join(page.text)
        (model,) = models(page.data(), "AnyModel")
        assert model["state"]["_job_status"] == "running" and model["state"]["_eta"] is None
    finally:
        gate.set()
        job.wait(5)
    assert job.status == "done"
    done = Page(ipyexplain.to_html(bars))
    assert not [a for t, a in done.tags if t == "p" and a.get("class") == "ipx-export-note"]
    assert ".ipx-cancel { display: none !important; }" in done.styles[0]


def test_a_pooled_heatmap_is_noted_and_a_small_one_is_not():
    big = Page(ipyexplain.to_html(ipyexplain.Heatmap(np.zeros((3000, 40)))))
    assert "The 3,000 × 40 heatmap is saved pooled to " in "".join(big.text)
    assert "saved pooled" not in "".join(Page(ipyexplain.to_html(heatmap())).text)


def test_controls_that_need_the_kernel_are_disabled_and_jslinked_ones_stay_live():
    slider, mirror, lonely = W.FloatSlider(), W.FloatText(), W.Dropdown(options=["a", "b"])
    link = W.jslink((slider, "value"), (mirror, "value"))
    try:
        page = Page(ipyexplain.to_html(W.VBox([slider, mirror, lonely])))
    finally:
        link.unlink()
    data = page.data()
    (s,), (m,), (d,) = (models(data, n) for n in ("FloatSliderModel", "FloatTextModel", "DropdownModel"))
    assert s["state"]["disabled"] is False and m["state"]["disabled"] is False
    assert d["state"]["disabled"] is True and d["state"]["tooltip"] == KERNEL_ONLY
    assert models(data, "LinkModel")
    assert "controls that need the Python kernel are disabled" in "".join(page.text)
    assert lonely.disabled is False  # the live widget is untouched


# ------------------------------------------------------------------------------------------ the file


def test_save_html_writes_utf8_and_returns_the_path(tmp_path):
    target = ipyexplain.save_html(heatmap(), tmp_path / "map.html", title="Ünïcode map", theme="dark")
    assert target == tmp_path / "map.html"
    text = target.read_text(encoding="utf-8")
    assert "<h1 class=\"ipx-export-title\">Ünïcode map</h1>" in text
    assert 'data-jp-theme-light="false"' in text and "--jp-layout-color0: #111;" in text
    assert ipyexplain.save_html(heatmap(), str(tmp_path / "light.html")).read_text().count(
        'data-jp-theme-light="true"') == 1


def test_size_of_a_typical_export():
    """A view alone is html-manager (2.4 MB, 0.8 MB packed) plus its bundle and data; bqplot adds ~0.4 MB."""
    alone = len(ipyexplain.to_html(heatmap()).encode())
    assert 0.6 * MB < alone < 1.0 * MB, alone
    fig = bq.Figure(marks=[bq.Lines(x=np.arange(100), y=np.arange(100), scales={"x": bq.LinearScale(),
                                                                                 "y": bq.LinearScale()})])
    with_chart = len(ipyexplain.to_html(W.VBox([heatmap(), fig])).encode())
    assert with_chart - alone < 0.5 * MB, with_chart


def test_the_wheel_ships_what_an_export_needs(tmp_path):
    """The vendored runtime and the theme palettes are in the wheel a user installs (not only in a checkout)."""
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(root)],
                   check=True, capture_output=True, text=True)
    (wheel,) = tmp_path.glob("ipyexplain-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("export/html_manager.js", "export/export_page.js", "export/fontawesome.css",
                 "export/fa-solid-900.woff2"):
        assert f"ipyexplain/static/{name}" in names, name
    assert {"ipyexplain/html_themes.json", "ipyexplain/_html_page.py", "ipyexplain/_html_export.py"} <= names
