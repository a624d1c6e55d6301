"""The published reports in a real browser, at a laptop's and a phone's width (issue #13)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import CHROMIUM, WIDTHS, check_version
from conftest import ROOT

pytestmark = pytest.mark.slow

# the suite fails without a browser where the CI machine must have one, as it does without Spark
REQUIRED = os.environ.get("WORKBOOK_REQUIRE_BROWSER") == "1"
SHOTS = Path(os.environ.get("WORKBOOK_SCREENSHOTS", ROOT / "tests" / "artifacts" / "screenshots"))


@pytest.fixture(scope="module")
def pages(site):
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("headless Chromium is required here (WORKBOOK_REQUIRE_BROWSER=1): install chromium")
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    return check_version(site["reports"] / "demo" / "v2", shots=SHOTS)


def test_every_page_is_read_at_both_widths(pages):
    names = {p.page for p in pages}
    assert {"index.html", "demo/v2/index.html", "demo/v2/personas.html", "demo/v2/02_filter.html"} <= names
    assert {p.width for p in pages} == set(WIDTHS)
    assert all(p.screenshot is not None and p.screenshot.stat().st_size > 10_000 for p in pages)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_stumbles(pages, width):
    problems = [f"{p.page}: {x}" for p in pages if p.width == width for x in p.problems]
    assert not problems, "\n".join(problems[:40])
