import sys

import numpy as np
import pytest

import ipyexplain
from ipyexplain import display as display_module
from ipyexplain.views import _base


@pytest.fixture
def shown(monkeypatch):
    calls = []
    monkeypatch.setattr(display_module, "display", lambda w: calls.append(w))
    monkeypatch.delenv("VOILA_KERNEL_ID", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    return calls


def test_inline_displays_the_widget(shown):
    h = ipyexplain.Heatmap(np.ones((2, 2)))
    assert ipyexplain.show(h) is None
    assert shown == [h]


def test_unknown_place_is_an_error(shown):
    with pytest.raises(ValueError, match=r"where must be one of \('inline', 'sidebar'\)"):
        ipyexplain.show(ipyexplain.Heatmap(np.ones((2, 2))), where="left")


def test_sidebar_in_voila_falls_back_inline_with_a_warning(shown, monkeypatch):
    monkeypatch.setenv("VOILA_KERNEL_ID", "abc")
    h = ipyexplain.Heatmap(np.ones((2, 2)))
    with pytest.warns(UserWarning, match="Voila has no sidebar"):
        assert h.show(where="sidebar") is None
    assert shown == [h]


def test_sidebar_without_sidecar_says_how_to_get_it(shown, monkeypatch):
    monkeypatch.setitem(sys.modules, "sidecar", None)  # makes `import sidecar` fail
    h = ipyexplain.Heatmap(np.ones((2, 2)))
    with pytest.warns(UserWarning, match=r"pip install 'ipyexplain\[sidebar\]'"):
        h.show(where="sidebar")
    assert shown == [h]


def test_sidebar_uses_a_sidecar_titled_after_the_widget(shown):
    h = ipyexplain.Heatmap(np.ones((2, 2)), title="Attributions")
    panel = h.show(where="sidebar")
    assert type(panel).__name__ == "Sidecar" and panel.title == "Attributions"
    assert shown == [h]


def test_a_missing_bundle_renders_a_readable_message(monkeypatch, tmp_path):
    monkeypatch.setattr(_base, "STATIC", tmp_path)
    module = _base.bundle("heatmap")
    assert "heatmap.js is missing" in module and "npm run build" in module
    assert "textContent" in module  # shown as text in the widget, not a blank output
