"""Processes and pages for the browser benchmarks: Voila, headless Chromium, opening a notebook.

Voila is started and stopped by tests/e2e/servers.py, the e2e tests' own helpers (used read-only):
own process group on a free 127.0.0.1 port, config dirs isolated from ~/.jupyter, kernels killed
explicitly on stop. A benchmark adds only what differs: where the log goes and no bytecode files.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

# tests/e2e has no __init__.py: make servers.py importable the way the tests' conftest does.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "e2e"))

import servers
from servers import VoilaServers

THEME = "light"
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
# The same offline, quiet flags as tests/e2e/conftest.py (not imported: that would pull in pytest).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Every page is measured at the same size and scale, so that pixel work is comparable.
VIEWPORT: ViewportSize = {"width": 1200, "height": 900}
NOTEBOOK_ERROR_SELECTOR = ".jupyter-widgets-error-widget, .jp-OutputArea-error"
_KERNEL_ID_JS = (
    "() => { const el = document.getElementById('jupyter-config-data');"
    " return el ? JSON.parse(el.textContent).kernelId || null : null; }"
)


def start_voila(root: Path, state_dir: Path, log_dir: Path) -> VoilaServers:
    """Serve ``root`` with Voila and wait until it answers; ``stop_all()`` stops it and its kernels."""
    # servers.py logs to tests/e2e/artifacts/logs/. A benchmark keeps its log next to its results,
    # and must not overwrite the log of an e2e run going on at the same time.
    servers.LOG_DIR = log_dir
    # Kernels import helper modules from ``root``, which is the checkout: write no __pycache__ there.
    # servers.isolated_env() copies os.environ, so this reaches Voila and its kernels.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    voila = VoilaServers(root, state_dir)
    voila.server(THEME)  # start now: page loads should not include the server start
    return voila


def voila_port(voila: VoilaServers) -> int:
    return int(urllib.parse.urlsplit(voila.server(THEME).base_url).port or 0)


def shutdown_kernel(voila: VoilaServers, kernel_id: str) -> None:
    """Voila keeps a page's kernel until the page unloads; closing a context does not always tell it."""
    voila.shutdown_kernel(THEME, kernel_id)


def launch_chromium(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_context(browser: Browser, init_script: str) -> BrowserContext:
    """A fresh browser context (own page, own kernel) with ``init_script`` run before any page script."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    # Voila's template asks a CDN for an icon font: answer it locally (no network here).
    context.route("https://cdn.jsdelivr.net/**",
                  lambda route: route.fulfill(status=200, content_type="text/css", body=""))
    context.add_init_script(init_script)
    return context


def open_notebook(page: Page, voila: VoilaServers, notebook: str, ready_selector: str, name: str,
                  setup: Callable[[Page], None]) -> str:
    """Render ``notebook`` in Voila, wait for ``ready_selector``, then run ``setup(page)``.

    Returns the page's kernel id (or ""). If anything fails, the kernel is shut down first: Voila
    would otherwise keep it running after the page is gone.
    """
    page.goto(voila.url(notebook, THEME), wait_until="domcontentloaded")
    kernel_id = page.evaluate(_KERNEL_ID_JS)
    try:
        page.wait_for_selector(f"{ready_selector}, {NOTEBOOK_ERROR_SELECTOR}", timeout=120_000)
        if page.query_selector(NOTEBOOK_ERROR_SELECTOR):
            raise RuntimeError(f"{name}: the notebook failed in Voila:\n{page.inner_text('body')[:3000]}")
        setup(page)
    except BaseException:
        if kernel_id:
            shutdown_kernel(voila, str(kernel_id))
        raise
    return str(kernel_id or "")
