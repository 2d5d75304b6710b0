"""The README shows every dashboard page: each page of the dashboard's menu has a screenshot in the
README's Dashboard section, and every page the README lists there has its picture in docs/screenshots
(a PNG that `make screenshots` made, not a missing or empty file)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = re.compile(r"!\[([^\]]+)\]\((docs/screenshots/[^)\s]+)\)")
MENU = re.compile(r'<a href="(/[^"]*)"[^>]*>([^<]+)</a>')
NOT_A_PAGE = {"API"}  # the menu's link to the API reference, documented in docs/api.md


def dashboard_section() -> str:
    """The README's Dashboard section."""
    text = (ROOT / "README.md").read_text()
    start = text.index("## Dashboard")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_every_page_the_readme_lists_has_its_screenshot() -> None:
    listed = IMAGE.findall(dashboard_section())
    assert listed, "the README's Dashboard section shows no screenshot"
    for label, path in listed:
        picture = ROOT / path
        assert picture.is_file(), f"{label}: {path} is missing"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{label}: {path} is not a PNG"
        assert picture.stat().st_size > 10_000, f"{label}: {path} is too small to show a page"


def test_every_page_of_the_dashboard_menu_is_shown_in_the_readme() -> None:
    menu = MENU.findall((ROOT / "src" / "aidis" / "web" / "templates" / "base.html").read_text())
    pages = [label.strip() for _, label in menu if label.strip() not in NOT_A_PAGE]
    assert len(pages) >= 5, menu
    labels = [label for label, _ in IMAGE.findall(dashboard_section())]
    missing = [page for page in pages if not any(label.startswith(page) for label in labels)]
    assert not missing, f"dashboard pages without a screenshot in the README: {missing}"
