"""Helpers for posting dashboard forms the way a browser does (cookie + hidden form token)."""

from __future__ import annotations

import re

import httpx

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def form_token(http: httpx.AsyncClient, page: str) -> str:
    """Open `page` (which sets the form-token cookie on `http`) and return the token its forms carry."""
    response = await http.get(page)
    found = TOKEN_FIELD.search(response.text)
    assert found, f"no form token on {page} ({response.status_code})"
    return found.group(1)
