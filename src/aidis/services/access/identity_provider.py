"""Single sign-on with the company's OpenID Connect provider: the dashboard's authorization-code sign-in
(with PKCE) and the bearer JWTs an MCP client brings to /mcp as an OAuth 2.1 protected resource.

Invariants: every token is verified by a maintained library (authlib for the flow, joserfc for JWS and
claims) against the provider's published keys — signature, issuer, audience, expiry with one minute of
leeway — and only with the asymmetric algorithms the provider announces (never `none`, never an HMAC
key made of a public key). An id token must carry the nonce its sign-in sent. A token that fails says
which check failed, to its holder only. Keys are fetched once and again when a token names an unknown
key (at most once a minute), so a provider's key rotation needs no restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from aidis.errors import InvalidInput, Unauthorized, Unavailable
from aidis.records import Identity

ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60
KEY_REFRESH_SECONDS = 60.0
TIMEOUT_SECONDS = 10.0
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True, slots=True)
class SignInRequest:
    """What a dashboard sign-in must remember until the provider sends the person back."""

    url: str
    state: str
    nonce: str
    verifier: str


class IdentityProvider:
    """One OpenID Connect provider: discovery, keys, the sign-in flow and token checks."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        audience: str | None = None,
        groups_claim: str = "groups",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.audience = audience
        self.groups_claim = groups_claim
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._lock = threading.Lock()

    # --- what the provider publishes --------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once; its issuer must be the configured one)."""
        if self._metadata is None:
            found = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                raise Unavailable(
                    f"the identity provider at {self.issuer} names another issuer ({found.get('issuer')!r})",
                    field="oidc_issuer",
                )
            self._metadata = found
        return self._metadata

    def algorithms(self) -> list[str]:
        """The asymmetric signing algorithms the provider announces (RS256 when it says nothing)."""
        announced = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in announced if alg in ASYMMETRIC] or ["RS256"]

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            stale = refresh and time.monotonic() - self._keys_at > KEY_REFRESH_SECONDS
            if self._keys is None or stale:
                self._keys = KeySet.import_key_set(self._get_json(str(self.metadata()["jwks_uri"])))  # type: ignore[arg-type]
                self._keys_at = time.monotonic()
            return self._keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(
                f"the identity provider cannot be reached ({url}: {exc})", field="oidc_issuer"
            ) from exc
        if not isinstance(body, dict):
            raise Unavailable(f"the identity provider sent no JSON object at {url}", field="oidc_issuer")
        return body

    # --- the dashboard's sign-in ------------------------------------------------------------------

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            self.client_id,
            self.client_secret,
            scope=f"openid email profile {self.groups_claim}",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
            timeout=TIMEOUT_SECONDS,
        )

    def sign_in_request(self, redirect_uri: str, *, resource: str | None = None) -> SignInRequest:
        """Where to send a person to sign in (authorization code with PKCE, a fresh state and nonce)."""
        verifier, state, nonce = generate_token(64), generate_token(32), generate_token(32)
        extra = {"resource": resource} if resource else {}
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                str(self.metadata()["authorization_endpoint"]),
                state=state,
                nonce=nonce,
                code_verifier=verifier,
                **extra,
            )
        return SignInRequest(url, state, nonce, verifier)

    def finish_sign_in(self, code: str, *, verifier: str, nonce: str, redirect_uri: str) -> Identity:
        """Exchange the code the provider sent back for tokens; the id token names the person."""
        if not code or len(code) > 2048:
            raise InvalidInput("the sign-in came back without a usable code", field="code")
        with self._client(redirect_uri) as client:
            try:
                tokens = client.fetch_token(
                    str(self.metadata()["token_endpoint"]), code=code, code_verifier=verifier
                )
            except Exception as exc:  # authlib raises its own errors and httpx's; both mean the same here
                raise Unauthorized(f"the identity provider refused the sign-in: {exc}", field="code") from exc
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthorized("the identity provider sent no id token", field="code")
        claims = self._verified(id_token, audience=self.client_id, field="code")
        if claims.get("nonce") != nonce:
            raise Unauthorized("the id token does not answer this sign-in (nonce)", field="code")
        return self._identity(claims)

    # --- bearer tokens for /mcp -------------------------------------------------------------------

    def verify_access_token(self, token: str) -> Identity:
        """The person a bearer JWT names, once its signature, issuer, audience and lifetime check out."""
        if self.audience is None:
            raise Unauthorized("this server takes no provider tokens (AIDIS_PUBLIC_URL is not set)")
        return self._identity(self._verified(token, audience=self.audience, field="Authorization"))

    def _verified(self, token: str, *, audience: str, field: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("token too long", field=field)
        try:
            try:
                decoded = jwt.decode(token, self._key_set(), algorithms=self.algorithms())
            except InvalidKeyIdError:  # a key the provider rotated in since we last fetched its keys
                decoded = jwt.decode(token, self._key_set(refresh=True), algorithms=self.algorithms())
            registry = jwt.JWTClaimsRegistry(
                now=int(self.clock()),
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": audience},
                exp={"essential": True},
                sub={"essential": True},
            )
            registry.validate(decoded.claims)
        except ExpiredTokenError:
            raise Unauthorized("the token has expired", field=field) from None
        except (InvalidClaimError, MissingClaimError) as exc:
            raise Unauthorized(f"the token's claims do not fit this server: {exc}", field=field) from None
        except (ValueError, JoseError) as exc:
            raise Unauthorized(f"the token cannot be verified: {exc}", field=field) from None
        return dict(decoded.claims)

    def _identity(self, claims: dict[str, Any]) -> Identity:
        groups = claims.get(self.groups_claim) or ()
        if isinstance(groups, str):
            groups = groups.split()
        email = claims.get("email")
        return Identity(
            subject=str(claims["sub"])[:255],
            email=email if isinstance(email, str) and "@" in email else None,
            groups=tuple(str(g)[:200] for g in groups if isinstance(g, str | int))[:100]
            if isinstance(groups, Sequence)
            else (),
        )
