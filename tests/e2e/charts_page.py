"""Reading bqplot chart panels drawn by ipyexplain (page objects for the e2e tests).

bqplot draws each mark as a ``<g>`` in ``svg.svg-figure > g > g`` (in the order of ``Figure.marks``);
d3 keeps each drawn datum on its element (``__data__``), so tests read what was drawn, in data
units, and where (the ``transform`` of a dot, in plot-area pixels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page

_MARKS_JS = """(fig) => {
  const groups = fig.querySelectorAll('svg.svg-figure > g > g');
  return Array.from(groups[0] ? groups[0].children : []).filter((g) => !g.classList.contains('g_legend'));
}"""


@dataclass
class Dot:
    x: float  # data units
    y: float
    px: float  # plot-area pixels
    py: float
    name: str


def luminance(css: str) -> float:
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


class ChartOnPage:
    """One bqplot figure, found by its ipyexplain class (``ipx-roc``, ``ipx-monitor-loss``, ...)."""

    def __init__(self, page: Page, root: Locator) -> None:
        self.page = page
        self.root = root

    @classmethod
    def find(cls, page: Page, kind: str, index: int = 0, scope: Locator | None = None) -> ChartOnPage:
        root = (scope or page.locator("body")).locator(f".ipx-{kind}").nth(index)
        root.locator("svg.svg-figure").wait_for(state="attached")
        return cls(page, root)

    def plot_size(self) -> tuple[float, float]:
        rect = self.root.locator("rect.plotarea_background")
        return float(rect.get_attribute("width") or 0), float(rect.get_attribute("height") or 0)

    def dots(self, mark: int) -> list[Dot]:
        """The dots of the ``mark``-th mark (negative counts from the end) with data and pixel positions."""
        raw = self.root.evaluate(
            f"""(fig, mark) => {{
              const marks = ({_MARKS_JS})(fig);
              const g = marks[mark < 0 ? marks.length + mark : mark];
              return Array.from(g ? g.querySelectorAll('path.dot') : []).map((d) => {{
                const tf = d.getAttribute('transform') || d.parentNode.getAttribute('transform') || '';
                const m = /translate\\(([-\\d.e]+)[ ,]+([-\\d.e]+)\\)/.exec(tf);
                return [d.__data__.x, d.__data__.y, m ? Number(m[1]) : NaN, m ? Number(m[2]) : NaN,
                        String(d.__data__.name ?? '')];
              }});
            }}""",
            mark,
        )
        return [Dot(float(x), float(y), float(px), float(py), name) for x, y, px, py, name in raw]

    def line_points(self, mark: int) -> list[tuple[float, float]]:
        """The (x, y) data of a Lines mark's first line, as drawn."""
        raw = self.root.evaluate(
            f"""(fig, mark) => {{
              const marks = ({_MARKS_JS})(fig);
              const g = marks[mark < 0 ? marks.length + mark : mark];
              const path = g ? g.querySelector('path.line') : null;
              return path && path.__data__ ? path.__data__.values.map((v) => [v.x, v.y]) : [];
            }}""",
            mark,
        )
        return [(float(x) if x is not None else float("nan"), float(y) if y is not None else float("nan"))
                for x, y in raw]

    def split_line_points(self, head: int) -> list[tuple[float, float]]:
        """A training-monitor line drawn as two marks (``head``, then its tail at ``head + 1``, which starts at
        the head's last point): the whole line, as drawn."""
        first, rest = self.line_points(head), self.line_points(head + 1)
        if first and rest:
            assert rest[0] == first[-1], f"the tail does not start where the head ends: {rest[0]} vs {first[-1]}"
            rest = rest[1:]
        return first + rest

    def ticks(self, vertical: bool = False) -> list[tuple[float, float]]:
        """(value, pixel) of the labelled ticks of the x (or y) axis, from the drawn axis."""
        raw = self.root.evaluate(
            """(fig, vertical) => Array.from(fig.querySelectorAll('svg.svg-background g.axis')).filter((a) =>
                 a.querySelector('path.domain') && /^M-?6/.test(a.querySelector('path.domain').getAttribute('d'))
                   === vertical)
               .flatMap((a) => Array.from(a.querySelectorAll('g.tick'))).map((t) => {
                 const m = /translate\\(([-\\d.e]+)[ ,]+([-\\d.e]+)\\)/.exec(t.getAttribute('transform'));
                 return [t.textContent, m ? Number(m[vertical ? 2 : 1]) : NaN];
               })""",
            vertical,
        )
        out = []
        for text, px in raw:
            try:
                out.append((float(str(text).replace("\u2212", "-").replace(",", "")), float(px)))
            except ValueError:
                continue
        return out

    def to_px(self, value: float, vertical: bool = False) -> float:
        """Pixel position of a data value on the linear x (or y) axis, fitted through its ticks."""
        ticks = self.ticks(vertical)
        (v0, p0), (v1, p1) = ticks[0], ticks[-1]
        return p0 + (value - v0) * (p1 - p0) / (v1 - v0)

    def title(self) -> str:
        return str(self.root.locator("text.mainheading").text_content())

    def tick_color(self) -> str:
        return str(self.root.locator("g.tick text").first.evaluate("e => getComputedStyle(e).fill"))

    def background(self) -> str:
        return str(self.root.evaluate(
            """(fig) => { let e = fig; while (e) { const c = getComputedStyle(e).backgroundColor;
                 if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; e = e.parentElement; }
                 return 'rgb(255, 255, 255)'; }"""
        ))

    def hover_dot(self, mark: int, index: int) -> Locator:
        """Move the mouse onto a dot of a mark; returns the tooltip locator."""
        dot = self.root.evaluate_handle(
            f"""(fig, [mark, index]) => {{
              const marks = ({_MARKS_JS})(fig);
              const g = marks[mark < 0 ? marks.length + mark : mark];
              return g.querySelectorAll('path.dot')[index];
            }}""",
            [mark, index],
        ).as_element()
        assert dot is not None
        box = dot.bounding_box()
        assert box is not None
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        return self.page.locator(".bqplot_mark_tooltip:visible").first
