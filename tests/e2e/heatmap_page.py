"""Reading and driving a drawn ipyexplain Heatmap in the browser (a page object for the tests)."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, Page


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float


class HeatmapOnPage:
    def __init__(self, page: Page, root: Locator) -> None:
        self.page = page
        self.root = root
        self.canvas = root.locator("canvas.ipx-canvas")

    @classmethod
    def nth(cls, page: Page, index: int = 0, scope: Locator | None = None) -> HeatmapOnPage:
        root = (scope or page.locator("body")).locator(".ipx-heatmap").nth(index)
        root.locator("canvas.ipx-canvas").wait_for(state="visible")
        self = cls(page, root)
        self.wait_frame(1)
        return self

    # ------------------------------------------------------------------ reading
    def frame(self) -> int:
        return int(self.root.get_attribute("data-frame") or 0)

    def wait_frame(self, at_least: int, timeout_ms: float = 20_000) -> None:
        self.root.element_handle().wait_for_element_state("visible")
        self.page.wait_for_function(
            "([el, n]) => Number(el.dataset.frame || 0) >= n",
            arg=[self.root.element_handle(), at_least],
            timeout=timeout_ms,
            polling=50,
        )

    def plot(self) -> Rect:
        x, y, w, h = (float(v) for v in (self.root.get_attribute("data-plot") or "0,0,0,0").split(","))
        return Rect(x, y, w, h)

    def window(self) -> tuple[float, float, float, float]:
        r0, r1, c0, c1 = (float(v) for v in (self.root.get_attribute("data-window") or "").split(","))
        return r0, r1, c0, c1

    def cell_center(self, row: float, col: float) -> tuple[float, float]:
        """Canvas CSS-pixel position of the centre of cell (row, col) in the current zoom window."""
        p, (r0, r1, c0, c1) = self.plot(), self.window()
        return p.x + (col + 0.5 - c0) * p.w / (c1 - c0), p.y + (row + 0.5 - r0) * p.h / (r1 - r0)

    def pixel(self, x: float, y: float) -> tuple[int, int, int]:
        rgba = self.canvas.evaluate(
            """(c, [x, y]) => {
                const dpr = c.width / c.getBoundingClientRect().width;
                return Array.from(c.getContext('2d').getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data);
            }""",
            [x, y],
        )
        return int(rgba[0]), int(rgba[1]), int(rgba[2])

    def cell_pixel(self, row: float, col: float) -> tuple[int, int, int]:
        return self.pixel(*self.cell_center(row, col))

    def status(self) -> str:
        return self.root.locator(".ipx-status").inner_text()

    def tooltip(self) -> Locator:
        return self.root.locator(".ipx-tooltip")

    # ------------------------------------------------------------------ acting
    def _page_xy(self, x: float, y: float) -> tuple[float, float]:
        box = self.canvas.bounding_box()
        assert box is not None
        return box["x"] + x, box["y"] + y

    def hover_cell(self, row: float, col: float) -> None:
        self.canvas.scroll_into_view_if_needed()
        self.page.mouse.move(*self._page_xy(*self.cell_center(row, col)))

    def click_cell(self, row: float, col: float) -> None:
        self.canvas.scroll_into_view_if_needed()
        self.page.mouse.click(*self._page_xy(*self.cell_center(row, col)))

    def drag(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Box-zoom: drag from (x0, y0) to (x1, y1), canvas CSS pixels."""
        self.canvas.scroll_into_view_if_needed()
        self.page.mouse.move(*self._page_xy(x0, y0))
        self.page.mouse.down()
        self.page.mouse.move(*self._page_xy((x0 + x1) / 2, (y0 + y1) / 2), steps=3)
        self.page.mouse.move(*self._page_xy(x1, y1), steps=3)
        self.page.mouse.up()

    def wheel_at(self, x: float, y: float, delta_y: float) -> None:
        self.canvas.scroll_into_view_if_needed()
        self.page.mouse.move(*self._page_xy(x, y))
        self.page.mouse.wheel(0, delta_y)
