"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright; never `playwright install`."""

from __future__ import annotations

import os
import shutil
import warnings

import pytest

CHROMIUM = os.environ.get("AIDIS_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("AIDIS_REQUIRE_BROWSER", "") not in ("", "0", "false")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> None:
    """Skip loudly (or fail, in CI) when Chromium is not installed."""
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if REQUIRE_BROWSER:
        pytest.fail(f"AIDIS_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    warnings.warn(f"SKIPPING browser tests: {reason}", stacklevel=1)
    pytest.skip(reason)
