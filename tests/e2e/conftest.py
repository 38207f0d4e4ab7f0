"""Fixtures for the end-to-end tests: Voila, JupyterLab and headless Chromium.

Servers and the browser start once per session; each test gets a fresh browser
context and page. Helpers live in ``servers.py`` (processes) and ``ui.py``
(Playwright); tests import them directly (``from ui import open_voila``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

# No __init__.py here: make the helper modules importable whatever --import-mode is.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from servers import LabServer, VoilaServers, copy_notebooks, safe_name, start_lab
from ui import PageLog, screenshot, stub_known_cdn_requests

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# Playwright's own browser download does not work here; these flags keep the
# system Chromium quiet and offline. Never pass --user-data-dir (Playwright owns it).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1200, "height": 900}

T = TypeVar("T")
_startup_times: dict[str, float] = {}


def _timed(name: str, start: Callable[[], T]) -> T:
    """Run ``start`` and remember how long it took, for the terminal summary."""
    t0 = time.monotonic()
    value = start()
    _startup_times[name] = time.monotonic() - t0
    return value


# ---------------------------------------------------------------------------- hooks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end test in Chromium against Voila/JupyterLab (slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as e2e (so ``-m "not e2e"`` skips them)."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the item so the page fixture knows a test failed.
    report: pytest.TestReport = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _startup_times:
        times = ", ".join(f"{k} {v:.1f}s" for k, v in _startup_times.items())
        terminalreporter.write_line(f"e2e start-up times: {times}")


# ------------------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def e2e_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scratch dir for server config/runtime/settings and notebook copies."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def voila(e2e_state_dir: Path) -> Iterator[VoilaServers]:
    """Voila servers (one per theme, started on first use) over a copy of the notebooks."""
    root = copy_notebooks(e2e_state_dir / "voila-root")
    servers = VoilaServers(root, e2e_state_dir)
    yield servers
    for theme, server in servers.servers.items():
        _startup_times[f"voila[{theme}]"] = server.started_in_s
    servers.stop_all()


@pytest.fixture(scope="session")
def lab(e2e_state_dir: Path) -> Iterator[LabServer]:
    """A JupyterLab server over a copy of the notebooks (see servers.start_lab)."""
    root = copy_notebooks(e2e_state_dir / "lab-root")
    server = _timed("lab", lambda: start_lab(root, e2e_state_dir))
    yield server
    server.stop()


# ------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """System Chromium, headless (Playwright's browser download does not work here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install it or set E2E_CHROMIUM")
    launched = _timed(
        "chromium",
        lambda: playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS),
    )
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    stub_known_cdn_requests(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def page_log() -> PageLog:
    """Console errors, page errors and network attempts of the test's ``page``."""
    return PageLog()


@pytest.fixture
def page(context: BrowserContext, page_log: PageLog, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page; ``page.console_errors`` is ``page_log.console_errors``.

    Fails nothing by itself; on a failed test it saves a screenshot and prints the log.
    """
    pg = context.new_page()
    page_log.attach(pg)
    # Convenience alias; not page_errors: Playwright >= 1.56 has a method of that name.
    pg.console_errors = page_log.console_errors  # type: ignore[attr-defined]
    yield pg
    reports = request.node.stash.get(_reports_key, {})
    if any(r.failed for r in reports.values()):
        try:
            shot = str(screenshot(pg, f"failed-{safe_name(request.node.nodeid)}"))
        except PlaywrightError as exc:  # crashed or closed page: still print the log
            shot = f"<none: {exc}>"
        print(f"\nfailure screenshot: {shot}\npage log: {page_log.summary()}")
    pg.close()
