"""The provider's keys are fetched again when a token names a key not seen yet (at most once a minute),
so a key rotation at the provider needs no restart; a token signed with a key it never published is
refused either way."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from aidis.errors import Unauthorized
from aidis.services.access.identity_provider import IdentityProvider

ISSUER = "https://login.example.com"
AUDIENCE = "https://aidis.example/mcp"


def _provider(published: list[RSAKey]) -> tuple[IdentityProvider, list[int]]:
    fetched: list[int] = []
    provider = IdentityProvider(ISSUER, "aidis", audience=AUDIENCE)

    def get_json(url: str) -> dict[str, Any]:
        if url.endswith("/.well-known/openid-configuration"):
            return {
                "issuer": ISSUER,
                "jwks_uri": f"{ISSUER}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        fetched.append(len(published))
        return KeySet(list(published)).as_dict(private=False)

    provider._get_json = get_json  # type: ignore[method-assign]
    return provider, fetched


def _token(key: RSAKey) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "sub-ada", "exp": int(time.time()) + 300}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def test_a_rotated_key_is_fetched_once_it_is_older_than_a_minute() -> None:
    old = RSAKey.generate_key(2048, parameters={"kid": "old"})
    new = RSAKey.generate_key(2048, parameters={"kid": "new"})
    published = [old]
    provider, fetched = _provider(published)
    assert provider.verify_access_token(_token(old)).subject == "sub-ada"
    published.append(new)  # the provider rotates
    with pytest.raises(Unauthorized, match="cannot be verified"):
        provider.verify_access_token(_token(new))  # keys fetched under a minute ago: not again yet
    provider._keys_at -= 61
    assert provider.verify_access_token(_token(new)).subject == "sub-ada"
    assert fetched == [1, 2]


def test_a_key_the_provider_never_published_is_refused() -> None:
    published = [RSAKey.generate_key(2048, parameters={"kid": "real"})]
    provider, _ = _provider(published)
    stranger = RSAKey.generate_key(2048, parameters={"kid": "real"})  # same kid, other key
    with pytest.raises(Unauthorized, match="cannot be verified"):
        provider.verify_access_token(_token(stranger))
