"""The deep-model views in JupyterLab: the overlay draws where the attribution is, the kernel and the browser
agree on the controls, and the dark theme is legible."""

from __future__ import annotations

import pytest
from deep_page import OverlayOnPage, TokensOnPage, luminance
from playwright.sync_api import Page
from servers import LabServer
from ui import DARK_THEME, PageLog, lab_execute, lab_run_all, lab_set_theme, open_lab, open_lab_notebook, screenshot

pytestmark = pytest.mark.e2e


def grey(row: int) -> tuple[int, int, int]:
    g = round(row / 15 * 255)
    return (g, g, g)


def test_lab_overlay_controls_reach_the_kernel_and_dark_theme(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "deep_overlay.ipynb")
    lab_run_all(page)
    panel = page.locator(".jp-NotebookPanel")
    view = OverlayOnPage(page, panel.locator(".ipx-overlay").first)
    view.wait_frame(1)
    page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                           arg=view.root.element_handle(), timeout=30_000)
    pixels = view.pixels(1, 0)  # integrated gradients, first image
    assert pixels[4][10] != grey(4) and pixels[4][10][0] > pixels[4][10][2] + 25
    assert pixels[0][0] == grey(0) and pixels[12][2] == grey(12)

    view.set_mode("|Absolute|")
    assert lab_execute(page, "import time; time.sleep(0.3); print(view.mode)").strip() == "absolute"
    frame = view.frame()
    lab_execute(page, "view.update(opacity=0.0)")
    page.wait_for_function("el => el.querySelector('input.ipx-opacity').value === '0'", arg=view.root.element_handle())
    page.wait_for_timeout(200)
    assert view.pixels(1, 0)[4][10] == grey(4) and view.frame() >= frame
    lab_execute(page, "view.update(opacity=0.8)")
    page.wait_for_timeout(300)
    screenshot(panel.first, "deep-lab-light")

    lab_set_theme(page, DARK_THEME)
    page.wait_for_timeout(800)
    label = view.root.locator(".ipx-overlay-label").first.evaluate("el => getComputedStyle(el).color")
    assert luminance(label) > 0.6, label
    assert luminance(view.root.evaluate("el => getComputedStyle(el).backgroundColor")) < 0.3
    screenshot(panel.first, "deep-lab-dark")
    assert not page_log.errors(), page_log.summary()


def test_lab_tokens_from_the_text_notebook(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "notebooks/attributions_text.ipynb")
    lab_run_all(page, timeout_ms=120_000)
    panel = page.locator(".jp-NotebookPanel")
    view = TokensOnPage(page, panel.locator(".ipx-tokens").first)
    view.wait_frame(1)
    page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                           arg=view.root.element_handle(), timeout=60_000)
    tokens = view.read(0)
    assert tokens and "[PAD]" not in [t["text"] for t in tokens]
    # The drawn scores are the kernel's.
    kernel = lab_execute(page, "e = view.job.result; print(' '.join(f'{v:.4f}' for v, t in "
                               "zip(e.values[0], e.data[0]) if t != '[PAD]'))").split()
    assert [f"{float(t['value']):.4f}" for t in tokens] == kernel
    screenshot(view.root, "deep-lab-tokens")
    assert not page_log.errors(), page_log.summary()
