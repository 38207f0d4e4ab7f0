"""TokenView in Voila: tokens drawn as text, coloured by sign, sub-words joined, hover scores, streaming."""

from __future__ import annotations

import re
import time

import pytest
from deep_page import TokensOnPage, luminance
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


def rgba(css: str) -> tuple[float, float, float, float]:
    parts = [float(v) for v in css[css.index("(") + 1:css.index(")")].split(",")]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def test_tokens_are_text_coloured_by_sign_with_hover(page: Page, page_log: PageLog, voila: VoilaServers):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "deep_tokens.ipynb", selector=".ipx-tokens .ipx-token")
    view = TokensOnPage.nth(page, 0)
    first = view.read(0)
    # Padding hidden; WordPiece pieces shown without their markers, joined to the word before.
    assert [t["text"] for t in first] == ["[CLS]", "the", "film", "was", "un", "believ", "able", XSS, "[SEP]"]
    assert [t["joined"] for t in first][4:7] == ["false", "true", "true"]
    text = view.root.locator(".ipx-tokens-text").first.inner_text()
    assert "unbelievable" in text and "the film was" in text
    # HTML stays text: no element was made from it, no script ran.
    assert view.root.locator("img").count() == 0 and not dialogs
    # Colours by sign: red for positive, blue for negative, stronger for larger |score|.
    pos, neg, weak = rgba(first[5]["background"]), rgba(first[7]["background"]), rgba(first[1]["background"])
    assert pos[0] > pos[2] + 60 and neg[2] > neg[0] + 60, (pos, neg)
    assert weak[3] < pos[3]
    second = view.read(1)
    assert [t["text"] for t in second] == ["a", "dull", "plot", "and", "boring", "actors"]
    assert rgba(second[1]["background"])[2] > rgba(second[1]["background"])[0]
    expect(view.root.locator(".ipx-tokens-label")).to_have_text(["positive review", "negative review"])

    view.tokens(0).nth(5).hover()
    tip = view.root.locator(".ipx-tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("##believ")
    expect(tip).to_contain_text("unbelievable")
    expect(tip).to_contain_text("0.9")
    screenshot(view.root, "deep-tokens-known")
    assert not page_log.errors(), page_log.summary()


def test_tokens_stream_from_a_job_and_dark_theme(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "deep_tokens.ipynb", "dark", selector=".ipx-tokens .ipx-token")
    page.get_by_role("button", name="start IG").click()
    live = TokensOnPage.nth(page, 1)
    states: set[str] = set()
    deadline = time.monotonic() + 30
    while live.job_status() != "done" and time.monotonic() < deadline:
        if live.job_status() == "running":
            states.add(repr([t["value"] for t in live.read(0)]))
        page.wait_for_timeout(50)
    assert live.job_status() == "done" and len(states) >= 2, states
    assert [t["text"] for t in live.read(0)] == ["good", "film", "s", XSS, "plot", "bad", "fine"]
    assert re.fullmatch(r"done: 6 steps in \d+\.\d s", live.job_text())
    known = TokensOnPage.nth(page, 0)
    assert luminance(known.root.evaluate("el => getComputedStyle(el).backgroundColor")) < 0.25
    assert luminance(known.read(0)[2]["color"]) > 0.6  # a pale token: light text on the dark page
    screenshot(page, "deep-tokens-dark")
    assert not page_log.errors(), page_log.summary()
