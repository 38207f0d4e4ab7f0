"""The wheel a user installs holds every view's JavaScript and does not pull torch."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIEWS = sorted(p.stem for p in (ROOT / "js" / "src" / "views").glob("*.ts"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (built,) = out.glob("ipyexplain-*.whl")
    return built


def test_wheel_contains_every_view_bundle(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert VIEWS, "no views found in js/src/views"
    for view in VIEWS:
        assert f"ipyexplain/static/{view}.js" in names, f"{view}.js missing from {wheel.name}"
    assert "ipyexplain/colormaps.json" in names


def test_wheel_installs_into_a_fresh_venv_without_torch(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True, text=True)
    probe = (
        "import importlib.util, pathlib, ipyexplain;"
        "static = pathlib.Path(ipyexplain.__file__).parent / 'static';"
        "print(ipyexplain.__version__, sorted(p.stem for p in static.glob('*.js')),"
        " importlib.util.find_spec('torch') is None)"
    )
    out = subprocess.run([str(py), "-c", probe], check=True, capture_output=True, text=True).stdout.split(" ", 1)
    from ipyexplain import __version__

    assert out[0] == __version__
    assert out[1].strip() == f"{VIEWS} True"
