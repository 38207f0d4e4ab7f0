"""Smoke tests of the e2e infrastructure itself, with plain ipywidgets.

Prove that Voila (light/dark), JupyterLab, kernel round trips, screenshots and
sidecar detection work independently of any ipyexplain view, so a view test that fails points at the view.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers, free_port, start_server
from ui import (
    DARK_THEME,
    E2EError,
    PageLog,
    lab_execute,
    lab_run_all,
    lab_set_theme,
    lab_sidecar_contains,
    lab_sidecar_locator,
    lab_theme,
    open_lab,
    open_lab_notebook,
    open_voila,
    screenshot,
)

pytestmark = pytest.mark.e2e

SLIDER = ".widget-slider"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_voila_renders_slider(page: Page, page_log: PageLog, voila: VoilaServers, theme: str) -> None:
    open_voila(page, voila, "smoke.ipynb", theme, selector=SLIDER)
    expect(page.locator(".widget-label", has_text="value=3")).to_be_visible()
    is_light = page.evaluate("() => document.body.dataset.jpThemeLight")
    assert is_light == ("true" if theme == "light" else "false")
    screenshot(page, f"smoke-voila-{theme}")
    # Nothing but known-harmless noise: no errors, no request leaving the machine.
    assert not page_log.errors(), page_log.summary()
    assert not page_log.external_requests, page_log.summary()


def test_lab_run_all_and_kernel_round_trip(page: Page, page_log: PageLog, lab: LabServer) -> None:
    open_lab(page, lab)
    open_lab_notebook(page, "smoke.ipynb")
    lab_run_all(page)
    readout = page.locator(".jp-OutputArea-output .widget-readout").first
    expect(readout).to_have_text("3")

    # Kernel -> DOM: change the value from Python and see the slider follow.
    lab_execute(page, "slider.value = 7")
    expect(readout).to_have_text("7")
    expect(page.locator(".widget-label", has_text="value=7")).to_be_visible()
    # Python-side state is readable as text.
    assert lab_execute(page, "print(slider.value, label.value)").strip() == "7 value=7"
    assert lab_execute(page, "slider.max").strip() == "10"
    with pytest.raises(E2EError, match="ZeroDivisionError"):
        lab_execute(page, "1 / 0")
    screenshot(page.locator(".jp-NotebookPanel").first, "smoke-lab-light")

    lab_set_theme(page, DARK_THEME)
    assert lab_theme(page) == DARK_THEME
    screenshot(page, "smoke-lab-dark")
    assert not page_log.errors(), page_log.summary()
    assert not page_log.external_requests, page_log.summary()


def test_lab_sidecar_from_kernel(page: Page, lab: LabServer) -> None:
    open_lab(page, lab)  # also proves open_lab resets the theme to light
    assert lab_theme(page) != DARK_THEME
    open_lab_notebook(page, "smoke.ipynb")
    lab_run_all(page)
    assert not lab_sidecar_contains(page, SLIDER, timeout_ms=500)

    lab_execute(
        page,
        "from sidecar import Sidecar\nsc = Sidecar(title='x')\nwith sc:\n    display(slider)",
    )
    assert lab_sidecar_contains(page, SLIDER, title="x")
    assert not lab_sidecar_contains(page, SLIDER, title="other", timeout_ms=200)
    panel = lab_sidecar_locator(page, "x", area="right")
    expect(panel.locator(SLIDER)).to_be_visible()
    screenshot(panel, "smoke-lab-sidecar")


def test_lab_sidecar_notebook(page: Page, lab: LabServer) -> None:
    open_lab(page, lab)
    open_lab_notebook(page, "sidecar.ipynb")
    lab_run_all(page)
    assert lab_sidecar_contains(page, SLIDER, title="e2e-sidecar")
    # The slider went to the sidebar, not into the cell's output.
    expect(page.locator(".jp-Notebook .widget-slider")).to_have_count(0)


def test_voila_sidecar_lands_inline(page: Page, page_log: PageLog, voila: VoilaServers) -> None:
    # Voila's shell has no right sidebar: SidecarView.render throws (swallowed and
    # logged), and nbclient only captures real OutputModel widgets, so the
    # `with sc: display(...)` output stays in the cell's output, inline.
    open_voila(page, voila, "sidecar.ipynb", selector=SLIDER, allow_errors=True)
    expect(page.locator(".jp-OutputArea-output .widget-slider")).to_have_count(1)
    expect(page.locator(".jupyterlab-sidecar")).to_have_count(0)
    expect(page.locator(".widget-label", has_text="inline-after-sidecar")).to_be_visible()
    page_log.wait_for_error(page, "Could not create a view for model id")


def test_server_failure_reports_log_tail(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; print('boom-from-server'); sys.exit(3)"]
    with pytest.raises(RuntimeError, match=r"(?s)exited with code 3.*boom-from-server"):
        start_server("failing", cmd, port=free_port(), env={}, cwd=tmp_path, ready_path="")


def test_voila_reports_missing_widget_module(page: Page, voila: VoilaServers) -> None:
    # A widget whose JS module is not registered renders as its text repr plus a
    # console error (no error view): open_voila must fail fast and say so.
    code = (
        "import ipywidgets as w\nfrom traitlets import Unicode\n"
        "class Orphan(w.DOMWidget):\n"
        "    _model_module = Unicode('no-such-module').tag(sync=True)\n"
        "    _view_module = Unicode('no-such-module').tag(sync=True)\n"
        "Orphan()"
    )
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, voila.root / "orphan_widget.ipynb")
    with pytest.raises(E2EError, match="No version of module no-such-module is registered"):
        open_voila(page, voila, "orphan_widget.ipynb", timeout_ms=30_000)
