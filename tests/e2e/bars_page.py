"""Reading and driving a drawn ipyexplain ImportanceBars in the browser (a page object for the tests)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from playwright.sync_api import Locator, Page

_READ_BARS = """root => Array.from(root.querySelectorAll('g.ipx-bar')).map((g) => {
  const rect = g.querySelector('.ipx-bar-rect');
  const box = rect.getBoundingClientRect();
  const name = g.querySelector('.ipx-bar-name');
  return {
    key: g.dataset.key, rank: Number(g.dataset.rank), value: Number(g.dataset.value),
    lo: Number(g.dataset.lo), hi: Number(g.dataset.hi), start: Number(g.dataset.start), sign: g.dataset.sign,
    label: name.querySelector('.ipx-bar-label').textContent,
    feature: name.querySelector('.ipx-bar-feature').textContent,
    text: g.querySelector('.ipx-bar-value').textContent, fill: getComputedStyle(rect).fill,
    aria: g.getAttribute('aria-label'), selected: g.getAttribute('aria-selected') === 'true',
    tabindex: g.getAttribute('tabindex'), other: g.classList.contains('ipx-other'),
    x: box.left, y: box.top + box.height / 2, width: box.width, opacity: Number(g.getAttribute('opacity') ?? 1),
  };
})"""


_LAYOUT_CHECK = """root => {
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
    && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const svgBox = box(root.querySelector('svg.ipx-svg'));
  const plotLeft = box(root.querySelector('.ipx-axis-line')).left;
  const problems = [];
  const texts = Array.from(root.querySelectorAll('svg text')).filter((t) => t.textContent && box(t).width > 0);
  for (const t of texts) {
    const b = box(t);
    if (b.left < svgBox.left - 1 || b.right > svgBox.right + 1) problems.push(`cut off: ${t.textContent}`);
  }
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const [a, b] = [texts[i], texts[j]];
      if (overlap(box(a), box(b))) problems.push(`overlap: ${a.textContent} / ${b.textContent}`);
    }
  }
  for (const name of root.querySelectorAll('.ipx-bar-name')) {
    if (box(name).right > plotLeft) problems.push(`name over the plot: ${name.textContent}`);
  }
  return problems;
}"""


@dataclass
class Bar:
    key: str
    rank: int
    value: float
    lo: float
    hi: float
    start: float
    sign: str
    label: str
    feature: str
    text: str
    fill: str
    aria: str
    selected: bool
    tabindex: str
    other: bool
    x: float
    y: float
    width: float
    opacity: float

    @property
    def rgb(self) -> tuple[int, int, int]:
        inside = self.fill[self.fill.index("(") + 1 : self.fill.index(")")]
        r, g, b = (int(float(v)) for v in inside.split(",")[:3])
        return r, g, b

    @property
    def has_interval(self) -> bool:
        return math.isfinite(self.lo) and math.isfinite(self.hi)


class BarsOnPage:
    def __init__(self, page: Page, root: Locator) -> None:
        self.page = page
        self.root = root
        self.svg = root.locator("svg.ipx-svg")

    @classmethod
    def nth(cls, page: Page, index: int = 0, scope: Locator | None = None, *, settled: bool = True) -> BarsOnPage:
        root = (scope or page.locator("body")).locator(".ipx-bars").nth(index)
        root.wait_for(state="visible")
        self = cls(page, root)
        self.wait_frame(1)
        if settled:
            self.wait_settled()
        return self

    # ------------------------------------------------------------------ reading
    def frame(self) -> int:
        return int(self.root.get_attribute("data-frame") or 0)

    def wait_frame(self, at_least: int, timeout_ms: float = 20_000) -> None:
        self.page.wait_for_function(
            "([el, n]) => Number(el.dataset.frame || 0) >= n",
            arg=[self.root.element_handle(), at_least],
            timeout=timeout_ms,
            polling=50,
        )

    def wait_settled(self, timeout_ms: float = 10_000) -> None:
        """Until the bars stopped moving (the animation ended)."""
        self.page.wait_for_function(
            "el => el.dataset.animating === '0'", arg=self.root.element_handle(), timeout=timeout_ms, polling=50
        )

    def bars(self) -> list[Bar]:
        """Bars in drawn order (by rank), each with what the DOM says about it."""
        found = [Bar(**b) for b in self.root.evaluate(_READ_BARS)]
        return sorted(found, key=lambda b: b.rank)

    def bar(self, key: str) -> Bar:
        return next(b for b in self.bars() if b.key == key)

    def snapshot(self) -> tuple[tuple[str, float], ...]:
        """What the bars show now, cheaply comparable (for counting distinct live states)."""
        raw = self.root.evaluate(
            "root => Array.from(root.querySelectorAll('g.ipx-bar'))"
            ".map((g) => [g.dataset.key, Number(g.dataset.value)])"
        )
        return tuple((str(k), float(v)) for k, v in sorted(raw))

    def domain(self) -> tuple[float, float]:
        lo, hi = (float(v) for v in (self.root.get_attribute("data-domain") or "0,1").split(","))
        return lo, hi

    def status(self) -> str:
        return self.root.locator(".ipx-status").inner_text()

    def job_text(self) -> str:
        return self.root.locator(".ipx-job-text").inner_text()

    def job_status(self) -> str:
        return self.root.get_attribute("data-job-status") or ""

    def tooltip(self) -> Locator:
        return self.root.locator(".ipx-tooltip")

    def tick_labels(self) -> list[str]:
        return self.root.locator(".ipx-tick-label").all_text_contents()

    def axis_label(self) -> str:
        return self.root.locator(".ipx-axis-label").text_content() or ""

    def layout_problems(self) -> list[str]:
        """Text cut off at the widget's edges or drawn over other text or over the plot."""
        problems: list[str] = self.root.evaluate(_LAYOUT_CHECK)
        return problems

    # ------------------------------------------------------------------ acting
    def bar_locator(self, key: str) -> Locator:
        return self.root.locator(f'g.ipx-bar[data-key="{key}"] .ipx-bar-rect')

    def hover(self, key: str) -> None:
        self.svg.scroll_into_view_if_needed()
        self.bar_locator(key).hover(force=True)

    def click(self, key: str) -> None:
        self.svg.scroll_into_view_if_needed()
        self.bar_locator(key).click(force=True)
