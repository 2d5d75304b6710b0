"""A real OpenID Connect provider for the single sign-on tests (oidc-provider from npm, offline)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.agents.agent_installs import REQUIRE_AGENTS, ROOT
from tests.mcp.transports import free_port, wait_until

SCRIPT = Path(__file__).with_name("provider.mjs")
MODULE = ROOT / ".agents" / "node_modules" / "oidc-provider" / "lib" / "index.js"
UID = re.compile(r"/interaction/([A-Za-z0-9_-]+)")


def _require_provider() -> str:
    node = shutil.which("node")
    reason = (
        None
        if node and MODULE.exists()
        else "oidc-provider 9.13.3 (and node) are not installed (make agents)"
    )
    if reason is None and node is not None:
        return node
    if REQUIRE_AGENTS:
        pytest.fail(f"AIDIS_REQUIRE_AGENTS is set but {reason}", pytrace=False)
    pytest.skip(str(reason))


@contextmanager
def running_provider(aidis_url: str) -> Iterator[str]:
    """Start the provider for an AIDIS reachable at `aidis_url`; yield its issuer URL."""
    node = _require_provider()
    port = free_port()
    env = {**os.environ, "OIDC_PROVIDER_MODULE": str(MODULE), "NODE_ENV": "development"}
    process = subprocess.Popen(
        [node, str(SCRIPT), str(port), aidis_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", (
            f"provider did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
        )
        issuer = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_in_at_provider(authorization_url: str, account: str) -> str:
    """Go through the provider's login and consent pages as `account`; return the URL it sends the
    browser back to (the redirect URI with the code and state)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        url = authorization_url
        for _ in range(12):
            response = browser.get(url)
            if response.status_code in (302, 303):
                target = urljoin(url, response.headers["location"])
                if "/interaction/" not in target and not target.startswith(url.split("/auth")[0]):
                    return target
                url = target
                continue
            found = UID.search(url)
            assert response.status_code == 200 and found, (response.status_code, url, response.text[:300])
            prompt = "login" if 'name="login"' in response.text else "consent"
            form = (
                {"prompt": prompt, "login": account, "password": "any"}
                if prompt == "login"
                else {"prompt": prompt}
            )
            submitted = browser.post(url, data=form)
            assert submitted.status_code in (302, 303), submitted.text[:300]
            url = urljoin(url, submitted.headers["location"])
        raise AssertionError("the provider never sent the browser back")
