"""Start and stop the Jupyter servers (Voila, JupyterLab) that the e2e tests drive.

Every server runs in its own process group on a free 127.0.0.1 port, with its own
config/runtime/settings directories, and logs to ``tests/e2e/artifacts/logs/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
NOTEBOOKS_DIR = E2E_DIR / "notebooks"
ARTIFACTS_DIR = E2E_DIR / "artifacts"
LOG_DIR = ARTIFACTS_DIR / "logs"
# The venv's binaries sit next to the interpreter running pytest.
VENV_BIN = Path(sys.executable).parent

SERVER_START_TIMEOUT_S = 60.0

# Lab user settings that keep the UI offline, quiet and deterministic in tests.
LAB_SETTINGS: dict[str, dict[str, object]] = {
    # No news/update requests (no internet here) and no toasts over screenshots.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    # Attach every cell to the DOM so offscreen outputs can be read and drawn.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # Tests restore pristine notebooks themselves; autosave would race with that.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # The extension manager would query PyPI.
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def venv_bin(name: str) -> str:
    """Path of a console script installed next to the running interpreter."""
    path = VENV_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; is it installed in this venv?")
    return str(path)


def isolated_env(state_dir: Path) -> dict[str, str]:
    """Environment for a server that ignores the user's ~/.jupyter and ~/.ipython."""
    env = os.environ.copy()
    for name in ("JUPYTER_TOKEN", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        env.pop(name, None)
    dirs = {
        "JUPYTER_CONFIG_DIR": state_dir / "config",
        "JUPYTER_RUNTIME_DIR": state_dir / "runtime",
        "IPYTHONDIR": state_dir / "ipython",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env["ANYWIDGET_HMR"] = "0"  # no file watchers in tests (DESIGN.md pitfall)
    return env


def copy_notebooks(dest: Path) -> Path:
    """Fresh copy of the e2e notebooks (+ the repo's ``notebooks/`` as ``notebooks/``).

    Servers get a copy so kernels and autosave never write into the checkout.
    """
    shutil.copytree(NOTEBOOKS_DIR, dest, dirs_exist_ok=True)
    demos = REPO_ROOT / "notebooks"
    if demos.is_dir():
        shutil.copytree(demos, dest / "notebooks", dirs_exist_ok=True)
    return dest


@dataclass
class ServerProcess:
    """A server subprocess in its own process group, logging to a file."""

    name: str
    proc: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    shutdown_path: str | None = None
    started_in_s: float = 0.0

    def log_tail(self, lines: int = 60) -> str:
        """Last lines of the server log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"
        return "\n".join(text.splitlines()[-lines:])

    def url(self, path: str = "") -> str:
        return self.base_url + path.lstrip("/")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask politely, then TERM the process group, then KILL whatever is left.

        Kernels run in their own sessions (jupyter_client sets start_new_session),
        so they are collected as descendants and killed explicitly.
        """
        if self.proc.poll() is not None:
            return
        descendants = _descendants(self.proc.pid)
        if self.shutdown_path:
            with contextlib.suppress(OSError, urllib.error.URLError):
                http_request(self.url(self.shutdown_path), method="POST", timeout_s=3)
                _wait_exit(self.proc, 5)
        _signal_group(self.proc.pid, signal.SIGTERM)
        if not _wait_exit(self.proc, timeout_s):
            _signal_group(self.proc.pid, signal.SIGKILL)
            _wait_exit(self.proc, 5)
        _kill_processes(descendants)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _kill_processes(procs: list[psutil.Process]) -> None:
    alive = [p for p in procs if p.is_running()]
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, still = psutil.wait_procs(alive, timeout=5)
    for p in still:
        with contextlib.suppress(psutil.Error):
            p.kill()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # pid == pgid because of start_new_session=True


def _wait_exit(proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return False
    return True


def http_request(
    url: str, *, method: str = "GET", timeout_s: float = 5.0, data: bytes | None = None
) -> tuple[int, bytes]:
    """Tiny urllib wrapper; returns (status, body) and raises on connection errors."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def start_server(
    name: str,
    cmd: list[str],
    *,
    port: int,
    env: dict[str, str],
    cwd: Path,
    ready_path: str,
    shutdown_path: str | None = None,
    timeout_s: float = SERVER_START_TIMEOUT_S,
) -> ServerProcess:
    """Start ``cmd`` in a new process group and wait until ``ready_path`` answers 200."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    t0 = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ServerProcess(name, proc, f"http://127.0.0.1:{port}/", log_path, shutdown_path)
    try:
        _wait_http_ready(server, server.url(ready_path), timeout_s)
    except BaseException:
        server.stop()
        raise
    server.started_in_s = time.monotonic() - t0
    return server


def _wait_http_ready(server: ServerProcess, url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with code {server.proc.returncode} before it was "
                f"ready.\n--- log tail ({server.log_path}) ---\n{server.log_tail()}"
            )
        try:
            status, _ = http_request(url, timeout_s=2)
            if status == 200:
                return
            last_error = f"HTTP {status}"
        except (OSError, urllib.error.URLError) as exc:
            last_error = repr(exc)
        time.sleep(0.1)
    raise TimeoutError(
        f"{server.name} not ready at {url} after {timeout_s:.0f}s ({last_error}).\n"
        f"--- log tail ({server.log_path}) ---\n{server.log_tail()}"
    )


def start_on_free_port(start: Callable[[int], ServerProcess], attempts: int = 3) -> ServerProcess:
    """Call ``start(port)`` with a free port, retrying if another process grabbed it
    first (free_port() cannot reserve it, and servers run with port_retries=0)."""
    for attempt in range(1, attempts + 1):
        try:
            return start(free_port())
        except RuntimeError as exc:
            if "already in use" not in str(exc) or attempt == attempts:
                raise
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- Voila


@dataclass
class VoilaServers:
    """One Voila server per theme, each started on first use (``--theme=<theme>``)."""

    root: Path
    state_dir: Path
    servers: dict[str, ServerProcess] = field(default_factory=dict)

    def server(self, theme: str = "light") -> ServerProcess:
        if theme not in self.servers:
            self.servers[theme] = start_voila(self.root, self.state_dir, theme=theme)
        return self.servers[theme]

    def url(self, notebook_relpath: str, theme: str = "light") -> str:
        """URL that renders ``notebook_relpath`` (relative to the served root)."""
        return self.server(theme).url(f"voila/render/{notebook_relpath.lstrip('/')}")

    def shutdown_kernel(self, theme: str, kernel_id: str) -> int:
        """Shut down a page's kernel (Voila keeps it until the page unloads); returns HTTP status."""
        server = self.servers.get(theme)
        if server is None or server.proc.poll() is not None:
            return 0
        try:
            status, _ = http_request(server.url(f"voila/api/shutdown/{kernel_id}"), method="POST", data=b"")
        except (OSError, urllib.error.URLError):
            return 0  # server already gone: its kernels went with it
        return status

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def start_voila(root: Path, state_dir: Path, *, theme: str = "light") -> ServerProcess:
    """Serve directory ``root`` with Voila: no token, no browser, given theme."""
    env = isolated_env(state_dir / f"voila-{theme}")
    return start_on_free_port(lambda port: _start_voila_on(port, root, env, theme))


def _start_voila_on(port: int, root: Path, env: dict[str, str], theme: str) -> ServerProcess:
    cmd = [
        venv_bin("voila"),
        str(root),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        f"--theme={theme}",
        "--show_tracebacks=True",  # a failing notebook shows why, in the page
        # Lets the tests shut a page's kernel down by plain POST (like Lab's flag).
        "--Voila.tornado_settings=disable_check_xsrf=True",
    ]
    return start_server(f"voila-{theme}", cmd, port=port, env=env, cwd=root, ready_path="")


# ----------------------------------------------------------------------- JupyterLab


@dataclass
class LabServer:
    """A JupyterLab server whose root is a scratch copy of the e2e notebooks."""

    server: ServerProcess
    root: Path
    settings_dir: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def use_theme(self, theme: str) -> None:
        """Make the next page load start in ``theme``.

        Switching theme in a loaded page shows Lab's splash screen; two overlapping splashes make
        Lab's own code throw "removeChild ... not a child of this node". Loading in the right
        theme avoids the switch.
        """
        target = self.settings_dir / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        # Lab rewrites this file as JSON5 with comments: start from our defaults, not from its text.
        values = LAB_SETTINGS.get("@jupyterlab/apputils-extension/themes", {})
        target.write_text(json.dumps({**values, "theme": theme}, indent=2))

    def url(self, path: str = "") -> str:
        return self.server.url(path)

    def shutdown_sessions(self) -> None:
        """Stop every kernel so the next test starts from a fresh one."""
        _, body = http_request(self.url("api/sessions"))
        for session in json.loads(body):
            http_request(self.url(f"api/sessions/{session['id']}"), method="DELETE")
        _, body = http_request(self.url("api/kernels"))
        for kernel in json.loads(body):
            http_request(self.url(f"api/kernels/{kernel['id']}"), method="DELETE")

    def restore_notebooks(self) -> None:
        """Overwrite the root with pristine notebooks (undo earlier tests' saves)."""
        copy_notebooks(self.root)

    def reset(self) -> None:
        self.shutdown_sessions()
        self.restore_notebooks()

    def stop(self) -> None:
        self.server.stop()


def write_lab_page_config(config_dir: Path) -> None:
    """Turn off Lab's build check: it runs node on every page load, which costs time in every test."""
    target = config_dir / "labconfig" / "page_config.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"buildCheck": False, "buildAvailable": False}))


def write_lab_settings(settings_dir: Path) -> None:
    """Write ``LAB_SETTINGS`` as ``<plugin>.jupyterlab-settings`` files."""
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2))


def start_lab(root: Path, state_dir: Path) -> LabServer:
    """Start JupyterLab 4 as root on a free port, offline, driveable via window.jupyterapp."""
    settings_dir = state_dir / "lab-settings"
    workspaces_dir = state_dir / "lab-workspaces"
    write_lab_settings(settings_dir)
    workspaces_dir.mkdir(parents=True, exist_ok=True)
    env = isolated_env(state_dir / "lab")
    write_lab_page_config(Path(env["JUPYTER_CONFIG_DIR"]))
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings_dir)
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(workspaces_dir)
    extra = [f"--LabApp.user_settings_dir={settings_dir}", f"--LabApp.workspaces_dir={workspaces_dir}"]
    server = start_on_free_port(lambda port: _start_lab_on(port, root, env, extra))
    return LabServer(server, root, settings_dir)


def _start_lab_on(port: int, root: Path, env: dict[str, str], extra: list[str]) -> ServerProcess:
    cmd = [
        venv_bin("jupyter"),
        "lab",
        "--allow-root",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",  # ServerApp.token is deprecated in jupyter_server 2
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *extra,
    ]
    return start_server(
        "lab",
        cmd,
        port=port,
        env=env,
        cwd=root,
        ready_path="api/status",
        shutdown_path="api/shutdown",
    )


def safe_name(name: str) -> str:
    """File-system-safe version of a test or artifact name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "unnamed"
