"""Authentication: the one place a credential — a personal token, a dashboard sign-in, or the identity
provider's word — becomes a principal.

Invariants: every bad token is answered with `Unauthorized` and a message that says what was wrong only
to someone who holds the token's secret (an unknown id compares a dummy hash, in constant time); a
disabled user, a revoked or an expired token authenticate nobody, at once; a principal holds exactly its
person's grants, capped by the token's role and projects. A request only reads: it writes just to note
a token's use (at most once a minute) or to link a first single sign-on to its user.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from aidis.enums import Role, Surface
from aidis.errors import InvalidInput, Unauthorized
from aidis.records import Identity
from aidis.repositories import team as repo
from aidis.repositories.team import TokenRow, UserRow
from aidis.services.access import tokens
from aidis.services.base import ServiceBase
from aidis.services.principal import Principal


class Authentication(ServiceBase):
    """Turns credentials into principals (the team service's half that every request uses)."""

    def authenticate(self, text: str, *, surface: Surface, address: str | None = None) -> Principal:
        """The principal a bearer token acts for; Unauthorized (saying what, to the token's holder
        only) for anything else."""
        try:
            public_id = tokens.public_id_of(text)
        except InvalidInput as exc:
            raise Unauthorized(exc.message, field="Authorization") from None
        now = self.clock()
        with self.reading() as conn:  # a request reads; it writes only to note a use, once a minute
            row = repo.token_by_public_id(conn, public_id)
            if not tokens.secret_matches(text, row.secret_hash if row else None) or row is None:
                raise Unauthorized("unknown token", field="Authorization")
            refusal = _token_refusal(row, now)
            if refusal is not None:
                raise Unauthorized(refusal, field="Authorization")
            user = repo.user_by_id(conn, row.user_id)
            if user is None or user.disabled_at is not None:
                raise Unauthorized("this token's user is disabled", field="Authorization")
            held = repo.grants_for(conn, user.id, ())
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            with self.unit_of_work() as conn:
                repo.touch_token(conn, row.id, now)
        return _principal(user, held, row, surface=surface, address=address)

    def principal_for(
        self, user: UserRow, *, groups: Sequence[str] = (), surface: Surface, address: str | None = None
    ) -> Principal:
        """The principal of a user signed in some other way (the identity provider), with their groups."""
        with self.reading() as conn:
            held = repo.grants_for(conn, user.id, groups)
        return _principal(user, held, None, surface=surface, address=address)

    def principal_for_sign_in(
        self,
        user_id: uuid.UUID,
        *,
        token_public_id: str | None,
        groups: Sequence[str] = (),
        surface: Surface = Surface.WEB,
        address: str | None = None,
    ) -> Principal:
        """The principal of a dashboard sign-in (re-checked on every request: a disabled user or a
        revoked or expired token ends it)."""
        now = self.clock()
        with self.reading() as conn:
            user = repo.user_by_id(conn, user_id)
            if user is None or user.disabled_at is not None:
                raise Unauthorized("signed out: the user is disabled", field="session")
            token = repo.token_by_public_id(conn, token_public_id) if token_public_id else None
            if token_public_id is not None and (
                token is None or token.user_id != user.id or _token_refusal(token, now) is not None
            ):
                raise Unauthorized("signed out: the token was revoked or expired", field="session")
            held = repo.grants_for(conn, user.id, groups)
        return _principal(user, held, token, surface=surface, address=address)

    def principal_for_identity(
        self, identity: Identity, *, surface: Surface, address: str | None = None
    ) -> Principal:
        """The principal of a person the identity provider vouches for (matched by subject, or the first
        time by email), with the provider's groups; Unauthorized when no enabled AIDIS user matches."""
        user = self.user_for_identity(identity.subject, identity.email)
        if user is None:
            raise Unauthorized(
                "no enabled AIDIS user for this identity: an admin adds one with `aidis users add NAME "
                "--email <the address the provider reports>`",
                field="Authorization",
            )
        return self.principal_for(user, groups=identity.groups, surface=surface, address=address)

    def public_id_of(self, text: str) -> str | None:
        """The public id of a well-formed token text (for rate limiting by user), else None."""
        try:
            return tokens.public_id_of(text)
        except InvalidInput:
            return None

    def user_for_identity(self, subject: str, email: str | None) -> UserRow | None:
        """The enabled user an identity provider's subject (or, the first time, email) belongs to."""
        with self.reading() as conn:  # every provider-token request asks; only a first sign-in writes
            user = repo.user_by_identity(conn, subject, email)
        if user is not None and user.oidc_subject is None:
            with self.unit_of_work() as conn:
                repo.link_subject(conn, user.id, subject)
        if user is None or user.disabled_at is not None:
            return None
        return user


def _token_refusal(token: TokenRow, now: datetime) -> str | None:
    """Why a known token no longer works (revoked, expired), or None."""
    if token.revoked_at is not None:
        return "this token was revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return f"this token expired on {token.expires_at:%Y-%m-%d}"
    return None


def _principal(
    user: UserRow,
    held: dict[uuid.UUID, str],
    token: TokenRow | None,
    *,
    surface: Surface,
    address: str | None,
) -> Principal:
    """A principal from a user's grants, capped by a token's role and projects."""
    roles = {project: Role(role) for project, role in held.items()}
    if token is not None:
        cap = Role(token.role)
        limited = {uuid.UUID(p) for p in token.projects} if token.projects is not None else None
        roles = {
            project: min(role, cap, key=lambda r: r.rank)
            for project, role in roles.items()
            if limited is None or project in limited
        }
    is_admin = user.is_admin and (
        token is None or (Role(token.role) is Role.ADMIN and token.projects is None)
    )
    return Principal(
        user_id=user.id,
        name=user.name,
        is_admin=is_admin,
        roles=roles,
        token_id=token.id if token else None,
        surface=surface,
        address=address,
        cap=Role(token.role) if token is not None else Role.ADMIN,
        limited=token is not None and token.projects is not None,
    )
