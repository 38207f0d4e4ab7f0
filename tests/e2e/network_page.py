"""Reading and driving a drawn ipyexplain NetworkDiagram in the browser (a page object for the tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from playwright.sync_api import Locator, Page


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def _sel(css_class: str, node_id: str) -> str:
    return f"{css_class}[data-id={json.dumps(node_id)}]"


class NetworkOnPage:
    def __init__(self, page: Page, root: Locator) -> None:
        self.page = page
        self.root = root
        self.stage = root.locator(".ipx-net-stage")

    @classmethod
    def nth(cls, page: Page, index: int = 0, scope: Locator | None = None, timeout_ms: float = 60_000) -> NetworkOnPage:
        root = (scope or page.locator("body")).locator(".ipx-network").nth(index)
        root.wait_for(state="attached", timeout=timeout_ms)
        self = cls(page, root)
        self.wait_frame(1, timeout_ms)
        return self

    # ------------------------------------------------------------------ reading
    def wait_frame(self, at_least: int, timeout_ms: float = 30_000) -> None:
        self.page.wait_for_function(
            "([el, n]) => Number(el.dataset.frame || 0) >= n",
            arg=[self.root.element_handle(), at_least], timeout=timeout_ms, polling=50,
        )

    def wait_visible_count(self, predicate: str, timeout_ms: float = 20_000) -> int:
        """Wait until ``data-visible`` satisfies the JS expression ``predicate`` of ``n``; settle; return it."""
        self.page.wait_for_function(
            f"(el) => {{ const n = Number(el.dataset.visible || 0); return {predicate}; }}",
            arg=self.root.element_handle(), timeout=timeout_ms, polling=50,
        )
        self.settle()
        return self.visible_count()

    def settle(self) -> None:
        """Let an expand/collapse or centring animation finish (they last ~0.3 s)."""
        self.page.wait_for_timeout(700)

    def visible_count(self) -> int:
        return int(self.root.get_attribute("data-visible") or 0)

    def drawn_ids(self) -> list[str]:
        ids: list[str] = self.root.evaluate(
            "el => [...el.querySelectorAll('.ipx-net-node, .ipx-net-frame')].map((n) => n.dataset.id)"
        )
        return ids

    def node(self, node_id: str) -> Locator:
        return self.root.locator(_sel(".ipx-net-node", node_id))

    def frame_head(self, node_id: str) -> Locator:
        return self.root.locator(_sel(".ipx-net-frame-top", node_id))

    def texts(self, node_id: str) -> list[str]:
        texts: list[str] = self.node(node_id).locator("text").all_text_contents()
        return texts

    def all_texts(self) -> str:
        return " | ".join(self.root.locator(".ipx-net-svg text").all_text_contents())

    def box(self, node_id: str) -> Box:
        drawn = self.root.locator(f"{_sel('.ipx-net-node', node_id)}, {_sel('.ipx-net-frame', node_id)}")
        b = drawn.first.bounding_box()
        assert b is not None, f"{node_id} is not drawn"
        return Box(b["x"], b["y"], b["width"], b["height"])

    def positions(self) -> dict[str, str]:
        """Every drawn node's transform attribute (its place in the layout)."""
        pos: dict[str, str] = self.root.evaluate(
            "el => Object.fromEntries([...el.querySelectorAll('.ipx-net-node')]"
            ".map((n) => [n.dataset.id, n.getAttribute('transform')]))"
        )
        return pos

    def fill(self, node_id: str) -> tuple[int, int, int]:
        rgb: str = self.node(node_id).locator(".ipx-net-box").evaluate("r => getComputedStyle(r).fill")
        parts = rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")
        return int(float(parts[0])), int(float(parts[1])), int(float(parts[2]))

    def stage_box(self) -> Box:
        b = self.stage.bounding_box()
        assert b is not None
        return Box(b["x"], b["y"], b["width"], b["height"])

    def status(self) -> str:
        return self.root.locator(".ipx-status").inner_text()

    def timings(self) -> dict[str, float]:
        return {k: float(self.root.get_attribute(f"data-{k}") or "nan") for k in ("layout-ms", "draw-ms")}

    # ------------------------------------------------------------------ acting
    def click(self, target: Locator) -> None:
        box = target.bounding_box()
        assert box is not None
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 10))

    def search(self, text: str) -> None:
        box = self.root.locator(".ipx-net-search")
        box.fill(text)
        box.press("Enter")
