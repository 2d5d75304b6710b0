"""Helpers for talking to the web app in-process and posting dashboard forms the way a browser does
(cookie + hidden form token)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from aidis.app import AppContext
from aidis.web.app import create_web_app

LOCAL = "http://127.0.0.1:8765"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def form_token(http: httpx.AsyncClient, page: str) -> str:
    """Open `page` (which sets the form-token cookie on `http`) and return the token its forms carry."""
    response = await http.get(page)
    found = TOKEN_FIELD.search(response.text)
    assert found, f"no form token on {page} ({response.status_code})"
    return found.group(1)


@asynccontextmanager
async def asgi_client(app: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the whole web app in-process, as a local browser or script would."""
    web = create_web_app(app, run_maintenance=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url=LOCAL) as client:
        yield client
