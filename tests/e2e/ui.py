"""Playwright helpers that drive Voila and JupyterLab pages for the e2e tests.

Lab is driven through ``window.jupyterapp`` (the server runs with
``--LabApp.expose_app_in_browser=True``) rather than through clicks, so tests do
not depend on menu layout.
"""

from __future__ import annotations

import re
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, Request
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from servers import ARTIFACTS_DIR, LabServer, VoilaServers, safe_name

DEFAULT_WIDGET_SELECTOR = ".jupyter-widgets"
WIDGET_ERROR_SELECTOR = ".jupyter-widgets-error-widget"
VOILA_RENDER_TIMEOUT_MS = 90_000  # Voila executes the whole notebook first
LAB_TIMEOUT_MS = 60_000
LIGHT_THEME = "JupyterLab Light"
DARK_THEME = "JupyterLab Dark"

# What ipywidgets' manager logs when a widget cannot be built or shown. The output
# then silently falls back to the text repr (e.g. "Heatmap(...)"), with no error view.
WIDGET_FAILURE = re.compile(
    r"No version of module|Failed to load (model|view) class|Could not (create|instantiate)"
    r"|Error displaying widget|not found in module"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LOCAL_URL = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)[:/]")
# Voila's lab template links Font Awesome CSS from this CDN (harmless, DESIGN.md);
# the context fixture answers it with empty CSS so it logs no console error.
VOILA_FONT_CDN = "https://cdn.jsdelivr.net/npm/@fortawesome/**"
_VOILA_FONT_PREFIX = "https://cdn.jsdelivr.net/npm/@fortawesome/"


class E2EError(AssertionError):
    """A page did not reach the state a helper waits for; message says why."""


# ------------------------------------------------------------------- console capture


@dataclass
class PageLog:
    """What a page reported: console errors, uncaught errors, network attempts."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        _PAGE_LOGS[page] = self
        page.on("console", self._on_console)
        # With the stack: an uncaught error in a widget is only fixable when we know where it came from.
        page.on("pageerror", lambda exc: self.page_errors.append(f"{exc}\n{exc.stack or ''}".strip()))
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_request_failed)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _on_request(self, request: Request) -> None:
        # Our bundles must load nothing remote; record attempts so tests can assert it.
        url = request.url
        if not _LOCAL_URL.match(url) and not url.startswith(("data:", "blob:", _VOILA_FONT_PREFIX)):
            self.external_requests.append(request.url)

    def _on_request_failed(self, request: Request) -> None:
        self.failed_requests.append(f"{request.url} ({request.failure})")

    def errors(self) -> list[str]:
        """Console errors and uncaught page errors together."""
        return [*self.console_errors, *self.page_errors]

    def wait_for_error(self, page: Page, substring: str, *, timeout_ms: float = 5_000) -> str:
        """Wait until a console/page error containing ``substring`` was logged; return it."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            found = next((e for e in self.errors() if substring in e), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise E2EError(f"no error containing {substring!r}; {self.summary()}")
            page.wait_for_timeout(100)  # lets Playwright deliver pending events

    def summary(self) -> str:
        parts = [
            ("console errors", self.console_errors),
            ("page errors", self.page_errors),
            ("external requests", self.external_requests),
            ("failed requests", self.failed_requests),
        ]
        return "\n".join(f"{title}: {items}" for title, items in parts if items) or "clean"


_PAGE_LOGS: weakref.WeakKeyDictionary[Page, PageLog] = weakref.WeakKeyDictionary()


def page_log_of(page: Page) -> PageLog | None:
    """The PageLog attached to ``page`` (the ``page`` fixture attaches one)."""
    return _PAGE_LOGS.get(page)


def stub_known_cdn_requests(context: BrowserContext) -> None:
    """Answer Voila's Font Awesome CDN request with empty CSS (no network here)."""
    context.route(
        VOILA_FONT_CDN,
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )


# ---------------------------------------------------------------------- screenshots


def screenshot(target: Page | Locator, name: str) -> Path:
    """Write ``tests/e2e/artifacts/<name>.png`` from a page or a locator; return its path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{safe_name(name)}.png"
    target.screenshot(path=str(path), animations="disabled")
    return path


# --------------------------------------------------------------------------- Voila


def open_voila(
    page: Page,
    voila: VoilaServers,
    notebook_relpath: str,
    theme: str = "light",
    *,
    selector: str = DEFAULT_WIDGET_SELECTOR,
    timeout_ms: float = VOILA_RENDER_TIMEOUT_MS,
    allow_errors: bool = False,
) -> None:
    """Open a notebook in Voila and wait until ``selector`` is in the page.

    Raises ``E2EError`` (with the page's error text) on timeout and, unless
    ``allow_errors``, when a cell raised or a widget failed to render (e.g.
    "No version of module anywidget is registered").
    """
    page.goto(voila.url(notebook_relpath, theme), wait_until="domcontentloaded")
    _shutdown_kernel_on_close(page, voila, theme)
    wait_for_widgets(page, selector, timeout_ms=timeout_ms, fail_fast=not allow_errors)
    if not allow_errors:
        raise_on_cell_errors(page)
        raise_on_widget_errors(page)


def _shutdown_kernel_on_close(page: Page, voila: VoilaServers, theme: str) -> None:
    """Voila keeps a page's kernel until ``beforeunload``, which Playwright's close
    skips; without this every Voila test would leave a kernel running."""
    kernel_id = page.evaluate(
        """() => {
          const el = document.getElementById('jupyter-config-data');
          return el ? JSON.parse(el.textContent).kernelId || null : null;
        }"""
    )
    if not kernel_id:
        return

    def shutdown(_: Page) -> None:
        voila.shutdown_kernel(theme, str(kernel_id))

    page.once("close", shutdown)


def wait_for_widgets(
    page: Page,
    selector: str = DEFAULT_WIDGET_SELECTOR,
    *,
    timeout_ms: float = LAB_TIMEOUT_MS,
    fail_fast: bool = True,
) -> None:
    """Wait until ``selector`` (or ipywidgets' error view) is attached.

    With ``fail_fast``, stops early once the console shows a widget failure (a
    widget whose JS module is missing never appears, so waiting is pointless).
    Timeouts explain themselves with the page's error output.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        chunk_ms = max(1.0, min(500.0, (deadline - time.monotonic()) * 1000))
        try:
            page.wait_for_function(
                "([sel, err]) => !!(document.querySelector(sel) || document.querySelector(err))",
                arg=[selector, WIDGET_ERROR_SELECTOR],
                timeout=chunk_ms,
                polling=100,
            )
            return
        except PlaywrightTimeoutError:
            pass
        failures = _console_widget_failures(page) if fail_fast else []
        if failures or time.monotonic() >= deadline:
            raise E2EError(
                f"{selector!r} did not appear at {page.url} "
                f"({'widget failure' if failures else f'timeout {timeout_ms / 1000:.0f}s'}).\n"
                f"{page_diagnostics(page)}"
            )


def raise_on_cell_errors(page: Page) -> None:
    """Fail if an output shows a Python traceback (Voila stops at the first one)."""
    tracebacks = [t for t in _stderr_texts(page) if "Traceback" in t]
    if tracebacks:
        raise E2EError(f"a cell raised at {page.url}:\n{tracebacks[0]}")


def raise_on_widget_errors(page: Page) -> None:
    """Fail if any widget failed to build or render; say why."""
    failures = widget_failures(page)
    if failures:
        raise E2EError(f"{len(failures)} widget failure(s) at {page.url}:\n" + "\n---\n".join(failures))


def widget_failures(page: Page) -> list[str]:
    """Widget failures visible in the page (error views, "Error displaying widget")
    or in its console (e.g. "No version of module anywidget is registered")."""
    failures = _console_widget_failures(page)
    failures += page.eval_on_selector_all(
        ".jp-OutputArea-output",
        "els => els.map((e) => e.innerText.trim()).filter((t) => t.startsWith('Error displaying widget'))",
    )
    error_views = page.locator(WIDGET_ERROR_SELECTOR)
    if error_views.count():
        error_views.first.click()  # ipywidgets puts the message in the DOM only on click
        failures.append(f"{error_views.count()} error view(s); first: {error_views.first.inner_text()}")
    return failures


def _console_widget_failures(page: Page) -> list[str]:
    log = page_log_of(page)
    errors = log.errors() if log else []
    return [e[:500] for e in errors if WIDGET_FAILURE.search(e)]


def _stderr_texts(page: Page) -> list[str]:
    texts: list[str] = page.eval_on_selector_all(
        "[data-mime-type='application/vnd.jupyter.stderr']", "els => els.map((e) => e.innerText)"
    )
    return texts


def page_diagnostics(page: Page) -> str:
    """Error output on the page and widget errors in its console, for failure messages."""
    try:
        texts: list[str] = page.eval_on_selector_all(
            f"[data-mime-type='application/vnd.jupyter.stderr'], {WIDGET_ERROR_SELECTOR}",
            "els => [...new Set(els.map((e) => e.innerText.trim()).filter(Boolean))].slice(-5)",
        )
    except PlaywrightError as exc:
        texts = [f"<page not readable: {exc}>"]
    texts += [f"console: {e}" for e in _console_widget_failures(page)]
    return "page errors:\n" + "\n---\n".join(texts) if texts else "no error output on the page"


# ---------------------------------------------------------------------- JupyterLab

# Finds a notebook panel by path, else the current one, else the last opened one.
# Prefixed to every Lab snippet so helpers stay stateless across reloads.
_FIND_NOTEBOOK_JS = """
const app = window.jupyterapp;
const isNotebook = (w) => !!(w && w.sessionContext && w.context && w.content && w.content.widgets);
const findNotebook = (path) => {
  const main = Array.from(app.shell.widgets('main')).filter(isNotebook);
  if (path) return main.find((w) => w.context.path === path);
  return isNotebook(app.shell.currentWidget) ? app.shell.currentWidget : main.pop();
};
const requireNotebook = (path) => {
  const nb = findNotebook(path);
  if (!nb) throw new Error(`no open notebook ${path || ''}`);
  return nb;
};
// page.evaluate has no timeout of its own: bound every await on Lab/kernel state.
const within = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`${what}: no answer within ${arg.ms} ms`)), arg.ms))]);
"""


def _lab_js(body: str) -> str:
    """An async page function with the notebook-finding prelude, for page.evaluate."""
    return f"async (arg) => {{ {_FIND_NOTEBOOK_JS}\n{body} }}"


def _lab_predicate(body: str) -> str:
    """Same, but synchronous: wait_for_function treats a returned Promise as truthy."""
    return f"(arg) => {{ {_FIND_NOTEBOOK_JS}\n{body} }}"


def open_lab(page: Page, lab: LabServer, *, theme: str = LIGHT_THEME, fresh: bool = True) -> None:
    """Load JupyterLab with an empty workspace and wait until it is restored.

    ``fresh`` stops all kernels and restores pristine notebooks first, so each test
    starts from the same state. The theme is set explicitly because theme changes
    persist in the (session-wide) settings dir.
    """
    if fresh:
        lab.reset()
    lab.use_theme(theme)
    page.goto(lab.url("lab?reset"), wait_until="domcontentloaded")
    page.wait_for_function("() => !!window.jupyterapp", timeout=LAB_TIMEOUT_MS, polling=100)
    page.evaluate(
        _lab_js("await within(Promise.all([app.started, app.restored]), 'Lab start');"), {"ms": LAB_TIMEOUT_MS}
    )
    if lab_theme(page) != theme:
        lab_set_theme(page, theme)


def open_lab_notebook(
    page: Page, path: str, *, lab: LabServer | None = None, timeout_ms: float = LAB_TIMEOUT_MS
) -> None:
    """Open ``path`` (relative to the Lab root) and wait until its kernel is idle.

    With ``lab`` given, first loads a fresh Lab in ``page`` (see ``open_lab``).
    """
    if lab is not None:
        open_lab(page, lab)
    page.evaluate(
        _lab_js(
            """
            const nb = await within(app.commands.execute('docmanager:open', { path: arg.path }), 'open');
            await within(nb.context.ready, 'notebook load');
            await within(nb.sessionContext.ready, 'kernel session');
            app.shell.activateById(nb.id);
            """
        ),
        {"path": path, "ms": timeout_ms},
    )
    lab_wait_kernel_idle(page, path, timeout_ms=timeout_ms)


def lab_wait_kernel_idle(page: Page, path: str | None = None, *, timeout_ms: float = LAB_TIMEOUT_MS) -> None:
    """Wait until the notebook's kernel answered kernel_info and reports idle."""
    page.evaluate(
        _lab_js("await within(requireNotebook(arg.path).sessionContext.session.kernel.info, 'kernel_info');"),
        {"path": path, "ms": timeout_ms},
    )
    try:
        page.wait_for_function(
            _lab_predicate(
                """
                const k = findNotebook(arg.path)?.sessionContext?.session?.kernel;
                return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
                """
            ),
            arg={"path": path, "ms": timeout_ms},
            timeout=timeout_ms,
            polling=100,
        )
    except PlaywrightTimeoutError:
        raise E2EError(f"kernel of {path or 'current notebook'} not idle in time") from None


def lab_run_all(page: Page, path: str | None = None, *, timeout_ms: float = LAB_TIMEOUT_MS) -> None:
    """Run all cells of the notebook, wait for the kernel to be idle; fail on cell errors."""
    errors: list[str] = page.evaluate(
        _lab_js(
            """
            const nb = requireNotebook(arg.path);
            app.shell.activateById(nb.id);
            await within(app.commands.execute('notebook:run-all-cells'), 'run all cells');
            const errors = [];
            for (const cell of nb.content.widgets) {
              if (cell.model.type !== 'code') continue;
              for (const out of cell.model.outputs.toJSON()) {
                if (out.output_type === 'error') errors.push(`${out.ename}: ${out.evalue}`);
              }
            }
            return errors;
            """
        ),
        {"path": path, "ms": timeout_ms},
    )
    lab_wait_kernel_idle(page, path, timeout_ms=timeout_ms)
    if errors:
        raise E2EError(f"cells raised in {path or 'current notebook'}: {errors}")


@dataclass
class ExecResult:
    stdout: str
    stderr: str
    result: str | None  # text/plain of the execute_result, if any

    @property
    def text(self) -> str:
        """stdout followed by the result's text/plain (what a cell would show)."""
        return self.stdout + (self.result or "")


def lab_execute_full(
    page: Page, code: str, path: str | None = None, *, timeout_ms: float = LAB_TIMEOUT_MS
) -> ExecResult:
    """Execute ``code`` in the notebook's kernel; raise E2EError with the traceback on error."""
    out: dict[str, object] = page.evaluate(
        _lab_js(
            """
            const kernel = requireNotebook(arg.path).sessionContext.session.kernel;
            const out = { stdout: '', stderr: '', result: null, error: null };
            const future = kernel.requestExecute(
              { code: arg.code, stop_on_error: true, store_history: false, allow_stdin: false });
            future.onIOPub = (msg) => {
              const c = msg.content;
              switch (msg.header.msg_type) {
                case 'stream': out[c.name] += c.text; break;
                case 'execute_result': out.result = c.data['text/plain'] ?? null; break;
                case 'error': out.error = c.traceback.join('\\n') || `${c.ename}: ${c.evalue}`; break;
              }
            };
            await within(future.done, 'execute');
            return out;
            """
        ),
        {"code": code, "path": path, "ms": timeout_ms},
    )
    if out["error"]:
        raise E2EError(f"kernel error running {code!r}:\n{_ANSI.sub('', str(out['error']))}")
    result = out["result"]
    return ExecResult(str(out["stdout"]), str(out["stderr"]), None if result is None else str(result))


def lab_execute(page: Page, code: str, path: str | None = None, *, timeout_ms: float = LAB_TIMEOUT_MS) -> str:
    """Execute ``code`` in the notebook's kernel; return stdout + text/plain result."""
    return lab_execute_full(page, code, path, timeout_ms=timeout_ms).text


def lab_theme(page: Page) -> str:
    return str(page.evaluate("() => document.body.dataset.jpThemeName || ''"))


def lab_set_theme(page: Page, theme: str = DARK_THEME) -> None:
    """Switch Lab's theme and wait until its CSS is applied."""
    page.evaluate(
        "async (theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })",
        theme,
    )
    page.wait_for_function("(theme) => document.body.dataset.jpThemeName === theme", arg=theme, timeout=LAB_TIMEOUT_MS)


# ------------------------------------------------------------------- sidecar in Lab

SidecarArea = Literal["right", "main"]


def lab_sidecar_locator(page: Page, title: str | None = None, *, area: SidecarArea | None = None) -> Locator:
    """Locator for Sidecar panels (``.jupyterlab-sidecar``), optionally by tab title/area.

    sidecar's default ``anchor='right'`` puts the panel in Lab's right sidebar
    (``#jp-right-stack``); the ``split-*``/``tab-*`` anchors put it in the main dock.
    """
    scope = {"right": "#jp-right-stack ", "main": "#jp-main-dock-panel ", None: ""}[area]
    panels = page.locator(f"{scope}.jupyterlab-sidecar")
    if title is None:
        return panels
    ids: list[str] = page.evaluate(
        """(title) => ['right', 'main'].flatMap((a) => Array.from(window.jupyterapp.shell.widgets(a)))
             .filter((w) => w.hasClass('jupyterlab-sidecar') && w.title.label === title)
             .map((w) => w.id)""",
        title,
    )
    if not ids:
        return panels.filter(has=page.locator("#__no_such_sidecar__"))  # empty, lazily
    return panels.and_(page.locator(", ".join(f'[id="{i}"]' for i in ids)))


def lab_sidecar_contains(page: Page, selector: str, title: str | None = None, *, timeout_ms: float = 10_000) -> bool:
    """Whether a (visible) Sidecar panel, optionally with tab ``title``, holds ``selector``.

    Polls up to ``timeout_ms`` because the panel appears only once the kernel's
    Sidecar model reached the page.
    """
    try:
        page.wait_for_function(
            """([title, sel]) => ['right', 'main']
                 .flatMap((a) => Array.from(window.jupyterapp.shell.widgets(a)))
                 .some((w) => w.hasClass('jupyterlab-sidecar') && w.isVisible
                   && (title === null || w.title.label === title) && !!w.node.querySelector(sel))""",
            arg=[title, selector],
            timeout=timeout_ms,
            polling=100,
        )
    except PlaywrightTimeoutError:
        return False
    return True
