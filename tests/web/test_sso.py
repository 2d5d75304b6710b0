"""Single sign-on against a real OpenID Connect provider run locally: the dashboard signs people in with
authorization code + PKCE, /mcp and /api take the provider's bearer JWTs for this server's audience,
groups map onto group grants, and every forged, misdirected or stale token is refused with a reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import RSAKey
from mcp.client.streamable_http import streamable_http_client

from aidis.app import AppContext, build_app
from aidis.services.access.identity_provider import IdentityProvider
from mcp import Client
from tests.mcp.conftest import call
from tests.mcp.transports import free_port, running_http_server
from tests.support import FakeClock
from tests.web.forms import asgi_client
from tests.web.oidc import running_provider, sign_in_at_provider

CLIENT_ID = "aidis-dashboard"


@pytest.fixture
def aidis_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def issuer(aidis_url: str) -> Iterator[str]:
    with running_provider(aidis_url) as url:
        yield url


@pytest.fixture
def sso(app: AppContext, clock: FakeClock, issuer: str, aidis_url: str) -> Iterator[AppContext]:
    """A team server signing people in through the provider: ada (payments via her group), bob."""
    settings = app.settings.model_copy(
        update={"public_url": aidis_url, "oidc_issuer": issuer, "oidc_client_id": CLIENT_ID}
    )
    served = build_app(settings, migrate=False, clock=clock)
    served.projects.create("payments")
    served.projects.create("secret")
    served.team.add_user("ada", email="ada@example.com")
    served.team.add_user("bob", email="bob@example.com")
    served.team.grant("payments", "write", group="payments-team")
    yield served
    served.close()


def _access_token(provider: IdentityProvider, aidis_url: str, account: str) -> str:
    """What an MCP client does: the code flow with a resource indicator for /mcp, then the token."""
    redirect = f"{aidis_url}/login/sso/callback"
    request = provider.sign_in_request(redirect, resource=f"{aidis_url}/mcp")
    back = parse_qs(urlsplit(sign_in_at_provider(request.url, account)).query)
    with OAuth2Client(CLIENT_ID, None, redirect_uri=redirect, token_endpoint_auth_method="none") as client:
        tokens = client.fetch_token(
            provider.metadata()["token_endpoint"],
            code=back["code"][0],
            code_verifier=request.verifier,
            resource=f"{aidis_url}/mcp",
        )
    token = tokens["access_token"]
    assert token.count(".") == 2, "the provider should issue a JWT access token for the resource"
    return str(token)


async def test_the_dashboard_signs_a_person_in_through_the_provider(sso: AppContext, aidis_url: str) -> None:
    async with asgi_client(sso) as http:
        http.base_url = httpx.URL(aidis_url)
        login = await http.get("/login")
        assert "/login/sso" in login.text
        started = await http.get("/login/sso", params={"next": "/projects"})
        assert started.status_code == 303 and "code_challenge=" in started.headers["location"]
        assert "code_challenge_method=S256" in started.headers["location"]
        back = sign_in_at_provider(started.headers["location"], "ada")
        finished = await http.get(back.removeprefix(aidis_url))
        assert finished.status_code == 303 and finished.headers["location"] == "/projects", finished.text
        assert "aidis_session" in http.cookies
        page = await http.get("/projects")
        assert page.status_code == 200 and "payments" in page.text and "secret" not in page.text
        replayed = await http.get(back.removeprefix(aidis_url))  # the pending sign-in was spent
        assert replayed.status_code == 401


async def test_a_forged_state_or_an_unknown_person_is_refused(sso: AppContext, aidis_url: str) -> None:
    async with asgi_client(sso) as http:
        http.base_url = httpx.URL(aidis_url)
        started = await http.get("/login/sso")
        back = sign_in_at_provider(started.headers["location"], "ada")
        forged = back.replace("state=", "state=x")
        refused = await http.get(forged.removeprefix(aidis_url))
        assert refused.status_code == 401 and "state" in refused.text
        again = await http.get("/login/sso")
        stranger = sign_in_at_provider(again.headers["location"], "mallory")
        unknown = await http.get(stranger.removeprefix(aidis_url))
        assert unknown.status_code == 401 and "no enabled AIDIS user" in unknown.text
        assert "aidis_session" not in http.cookies


async def test_mcp_takes_the_providers_jwt_and_publishes_where_to_get_one(
    sso: AppContext, aidis_url: str
) -> None:
    assert sso.identity_provider is not None
    token = _access_token(sso.identity_provider, aidis_url, "ada")
    with running_http_server(sso) as url:
        async with httpx.AsyncClient(base_url=url) as plain:
            metadata = (await plain.get("/.well-known/oauth-protected-resource")).json()
            assert metadata["resource"] == f"{aidis_url}/mcp"
            assert metadata["authorization_servers"] == [sso.identity_provider.issuer]
            challenge = await plain.post("/mcp", json={})
            assert challenge.status_code == 401
            assert "resource_metadata=" in challenge.headers["www-authenticate"]
            listed = await plain.get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
            assert {p["name"] for p in listed.json()["items"]} == {"payments", "Unassigned"}
        transport = streamable_http_client(
            f"{url}/mcp", http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        )
        async with Client(transport) as client:  # type: ignore[arg-type]
            stored = await call(client, "context_store", {"content": "sso works", "project": "payments"})
    assert stored["session"]["project_name"] == "payments"


def _b64(data: dict[str, object] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_forged_misdirected_and_stale_tokens_are_refused(sso: AppContext, aidis_url: str) -> None:
    provider = sso.identity_provider
    assert provider is not None
    real = _access_token(provider, aidis_url, "ada")
    claims = {
        "iss": provider.issuer,
        "aud": f"{aidis_url}/mcp",
        "sub": "sub-ada",
        "exp": int(time.time()) + 600,
    }
    public = provider._key_set().keys[0]  # the provider's own public key
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    confused = hmac.new(public.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    own_key = RSAKey.generate_key(2048)
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "HS256 keyed with the public key": f"{signing_input}.{_b64(confused)}",
        "someone else's key": jwt.encode({"alg": "RS256", "kid": public.kid}, claims, own_key),
        "garbage": "a.b.c",
    }
    async with asgi_client(sso) as http:
        for label, token in forged.items():
            refused = await http.get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401, label
            assert refused.json()["error"]["field"] == "Authorization", label
        skewed = provider.clock
        provider.clock = lambda: time.time() + 600 + 30  # just past expiry, within the leeway
        assert (
            await http.get("/api/v1/projects", headers={"Authorization": f"Bearer {real}"})
        ).status_code == 200
        provider.clock = lambda: time.time() + 600 + 300
        stale = await http.get("/api/v1/projects", headers={"Authorization": f"Bearer {real}"})
        assert stale.status_code == 401 and "expired" in stale.json()["error"]["message"]
        provider.clock = skewed
        provider.audience = "https://elsewhere.example/mcp"
        wrong = await http.get("/api/v1/projects", headers={"Authorization": f"Bearer {real}"})
        assert wrong.status_code == 401 and "aud" in wrong.json()["error"]["message"]
