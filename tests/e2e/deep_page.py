"""Page objects for the deep-model views: ImageOverlay, TokenView, AttentionView, ActMaxView."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def luminance(rgb: tuple[int, int, int] | str) -> float:
    if isinstance(rgb, str):
        parts = [float(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
        rgb = (int(parts[0]), int(parts[1]), int(parts[2]))
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


class LiveOnPage:
    """What every LiveView shows: frame counter, job text, Cancel, badge."""

    selector = ".ipx-view"

    def __init__(self, page: Page, root: Locator) -> None:
        self.page = page
        self.root = root

    @classmethod
    def nth(cls, page: Page, index: int = 0, *, drawn: bool = True) -> LiveOnPage:
        root = page.locator(cls.selector).nth(index)
        root.wait_for(state="attached")
        view = cls(page, root)
        if drawn:
            view.wait_frame(1)
        return view

    def frame(self) -> int:
        return int(self.root.get_attribute("data-frame") or 0)

    def wait_frame(self, at_least: int, timeout_ms: float = 30_000) -> None:
        self.page.wait_for_function("([el, n]) => Number(el.dataset.frame || 0) >= n",
                                    arg=[self.root.element_handle(), at_least], timeout=timeout_ms, polling=50)

    def job_status(self) -> str:
        return self.root.locator(".ipx-job").get_attribute("data-status") or ""

    def job_text(self) -> str:
        return self.root.locator(".ipx-job-text").inner_text()

    def status(self) -> str:
        return self.root.locator(".ipx-status").inner_text()


class OverlayOnPage(LiveOnPage):
    selector = ".ipx-overlay"

    def cell(self, panel: int, sample: int) -> Locator:
        return self.root.locator(f'canvas.ipx-overlay-cell[data-panel="{panel}"][data-sample="{sample}"]')

    def pixels(self, panel: int, sample: int) -> list[list[tuple[int, int, int]]]:
        """The cell's pixels at data resolution (one canvas pixel per drawn map pixel)."""
        rows = self.cell(panel, sample).evaluate(
            """c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, out = [];
                for (let y = 0; y < c.height; y++) {
                  const row = [];
                  for (let x = 0; x < c.width; x++) {
                    const i = (y * c.width + x) * 4;
                    row.push([d[i], d[i + 1], d[i + 2]]);
                  }
                  out.push(row);
                }
                return out;
            }"""
        )
        return [[(int(p[0]), int(p[1]), int(p[2])) for p in row] for row in rows]

    def hover(self, panel: int, sample: int, x: float, y: float) -> None:
        """Hover the centre of data pixel (x, y) of a cell."""
        cell = self.cell(panel, sample)
        cell.scroll_into_view_if_needed()
        box = cell.bounding_box()
        w, h = cell.evaluate("c => [c.width, c.height]")
        assert box is not None
        self.page.mouse.move(box["x"] + (x + 0.5) * box["width"] / w, box["y"] + (y + 0.5) * box["height"] / h)

    def tooltip(self) -> Locator:
        return self.root.locator(".ipx-tooltip")

    def set_opacity(self, value: float) -> None:
        self.root.locator("input.ipx-opacity").fill(str(value))

    def set_mode(self, label: str) -> None:
        self.root.locator(".ipx-seg button", has_text=label).click()


class TokensOnPage(LiveOnPage):
    selector = ".ipx-tokens"

    def tokens(self, row: int = 0) -> Locator:
        return self.root.locator(f'.ipx-token[data-row="{row}"]')

    def read(self, row: int = 0) -> list[dict[str, str]]:
        return self.tokens(row).evaluate_all(
            """els => els.map((e) => ({ text: e.textContent, value: e.dataset.value,
                 background: getComputedStyle(e).backgroundColor, color: getComputedStyle(e).color,
                 joined: String(e.classList.contains('ipx-joined')) }))"""
        )


class AttentionOnPage(LiveOnPage):
    selector = ".ipx-attention"

    def matrix_digest(self) -> str:
        return str(self.root.locator("canvas.ipx-attn-matrix").evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0; return h; }"""))

    def select(self, which: str, value: str) -> None:
        frame = self.frame()
        self.root.locator(f"select.ipx-attn-{which}").select_option(value)
        self.wait_frame(frame + 1)

    def hover_cell(self, row: int, col: int) -> None:
        canvas = self.root.locator("canvas.ipx-attn-matrix")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        x, y, cell = (float(v) for v in (canvas.get_attribute("data-layout") or "0,0,0").split(",")[:3])
        self.page.mouse.move(box["x"] + x + (col + 0.5) * cell, box["y"] + y + (row + 0.5) * cell)

    def strip_weights(self) -> list[tuple[str, str]]:
        return self.root.locator(".ipx-attn-token").evaluate_all(
            "els => els.map((e) => [e.textContent, e.dataset.weight])")
