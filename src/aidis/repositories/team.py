"""SQL for the people of a team server: users, their token hashes, and project grants.

Invariant: a token's secret is never stored — only the SHA-256 of the whole token, looked up by its
public id — and a grant names exactly one grantee (a user or an identity-provider group) per project.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, exists, func, insert, select, update

from aidis.db.schema import api_tokens, project_grants, projects, users


@dataclass(frozen=True, slots=True)
class UserRow:
    """A person who may use a team server."""

    id: uuid.UUID
    name: str
    email: str | None
    oidc_subject: str | None
    is_admin: bool
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A personal token, as stored (no secret)."""

    id: uuid.UUID
    user_id: uuid.UUID
    public_id: str
    secret_hash: str
    label: str | None
    role: str
    projects: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class GrantRow:
    """One grant: a user's or a group's role in a project."""

    project_id: uuid.UUID
    project_name: str
    user_id: uuid.UUID | None
    user_name: str | None
    group_name: str | None
    role: str


def _user(row: Row[Any]) -> UserRow:
    return UserRow(
        row.id, row.name, row.email, row.oidc_subject, bool(row.is_admin), row.created_at, row.disabled_at
    )


def _token(row: Row[Any]) -> TokenRow:
    return TokenRow(
        row.id,
        row.user_id,
        row.public_id,
        row.secret_hash,
        row.label,
        row.role,
        list(row.projects) if row.projects is not None else None,
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


def any_users(conn: Connection) -> bool:
    """True once a team has been set up (a server with users needs a token on every surface)."""
    return bool(conn.execute(select(exists().where(users.c.id.is_not(None)))).scalar())


def insert_user(conn: Connection, *, name: str, email: str | None, is_admin: bool, now: datetime) -> UserRow:
    """A new user."""
    user_id = uuid.uuid4()
    conn.execute(insert(users).values(id=user_id, name=name, email=email, is_admin=is_admin, created_at=now))
    found = user_by_id(conn, user_id)
    assert found is not None
    return found


def user_by_id(conn: Connection, user_id: uuid.UUID) -> UserRow | None:
    """A user by id."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def user_by_name(conn: Connection, name: str) -> UserRow | None:
    """A user by exact name."""
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return _user(row) if row else None


def user_by_identity(conn: Connection, subject: str, email: str | None) -> UserRow | None:
    """The user an identity provider's subject (else verified email) belongs to."""
    row = conn.execute(select(users).where(users.c.oidc_subject == subject)).first()
    if row is None and email:
        row = conn.execute(
            select(users).where(func.lower(users.c.email) == email.lower(), users.c.oidc_subject.is_(None))
        ).first()
    return _user(row) if row else None


def link_subject(conn: Connection, user_id: uuid.UUID, subject: str) -> None:
    """Remember the identity provider's subject of a user (first sign-in by email)."""
    conn.execute(update(users).where(users.c.id == user_id).values(oidc_subject=subject))


def all_users(conn: Connection) -> list[UserRow]:
    """Every user, by name."""
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]


def set_disabled(conn: Connection, user_id: uuid.UUID, when: datetime | None) -> None:
    """Disable (a time) or enable (None) a user."""
    conn.execute(update(users).where(users.c.id == user_id).values(disabled_at=when))


def insert_token(
    conn: Connection,
    *,
    user_id: uuid.UUID,
    public_id: str,
    secret_hash: str,
    label: str | None,
    role: str,
    project_ids: Sequence[uuid.UUID] | None,
    now: datetime,
    expires_at: datetime | None,
) -> TokenRow:
    """A new token row (its secret is already hashed)."""
    token_id = uuid.uuid4()
    conn.execute(
        insert(api_tokens).values(
            id=token_id,
            user_id=user_id,
            public_id=public_id,
            secret_hash=secret_hash,
            label=label,
            role=role,
            projects=[str(p) for p in project_ids] if project_ids is not None else None,
            created_at=now,
            expires_at=expires_at,
        )
    )
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).one()
    return _token(row)


def token_by_public_id(conn: Connection, public_id: str) -> TokenRow | None:
    """A token by the public part of its text."""
    row = conn.execute(select(api_tokens).where(api_tokens.c.public_id == public_id)).first()
    return _token(row) if row else None


def tokens_of(conn: Connection, user_id: uuid.UUID | None) -> list[tuple[TokenRow, str]]:
    """Tokens (of one user, or all) with their user's name, newest first."""
    query = (
        select(api_tokens, users.c.name.label("user_name"))
        .join(users, users.c.id == api_tokens.c.user_id)
        .order_by(api_tokens.c.created_at.desc())
    )
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return [(_token(r), r.user_name) for r in conn.execute(query)]


def revoke_token(conn: Connection, token_id: uuid.UUID, now: datetime) -> int:
    """Revoke one token (once); returns 1 when it was live."""
    result = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)


def touch_token(conn: Connection, token_id: uuid.UUID, now: datetime) -> None:
    """Record a token's use."""
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))


def set_grant(
    conn: Connection,
    *,
    project_id: uuid.UUID,
    user_id: uuid.UUID | None,
    group_name: str | None,
    role: str,
    now: datetime,
) -> None:
    """Give a user or group a role in a project (replacing its earlier one)."""
    remove_grant(conn, project_id=project_id, user_id=user_id, group_name=group_name)
    conn.execute(
        insert(project_grants).values(
            project_id=project_id, user_id=user_id, group_name=group_name, role=role, created_at=now
        )
    )


def remove_grant(
    conn: Connection, *, project_id: uuid.UUID, user_id: uuid.UUID | None, group_name: str | None
) -> int:
    """Take a user's or group's grant in a project away; returns how many went."""
    grantee = (
        project_grants.c.user_id == user_id
        if user_id is not None
        else project_grants.c.group_name == group_name
    )
    return int(
        conn.execute(
            delete(project_grants).where(project_grants.c.project_id == project_id, grantee)
        ).rowcount
    )


def grants_for(conn: Connection, user_id: uuid.UUID, groups: Sequence[str]) -> dict[uuid.UUID, str]:
    """project id → the strongest role the user holds there, directly or through a group."""
    grantee = project_grants.c.user_id == user_id
    if groups:
        grantee = grantee | project_grants.c.group_name.in_(list(groups))
    rank = {"read": 1, "write": 2, "admin": 3}
    held: dict[uuid.UUID, str] = {}
    for row in conn.execute(select(project_grants.c.project_id, project_grants.c.role).where(grantee)):
        if rank[row.role] > rank.get(held.get(row.project_id, ""), 0):
            held[row.project_id] = row.role
    return held


def all_grants(conn: Connection, project_id: uuid.UUID | None = None) -> list[GrantRow]:
    """Grants (of one project, or all), by project and grantee."""
    query = (
        select(
            project_grants.c.project_id,
            projects.c.name.label("project_name"),
            project_grants.c.user_id,
            users.c.name.label("user_name"),
            project_grants.c.group_name,
            project_grants.c.role,
        )
        .join(projects, projects.c.id == project_grants.c.project_id)
        .outerjoin(users, users.c.id == project_grants.c.user_id)
        .order_by(projects.c.name, users.c.name, project_grants.c.group_name)
    )
    if project_id is not None:
        query = query.where(project_grants.c.project_id == project_id)
    return [
        GrantRow(r.project_id, r.project_name, r.user_id, r.user_name, r.group_name, r.role)
        for r in conn.execute(query)
    ]


def all_project_ids(conn: Connection) -> list[uuid.UUID]:
    """Every project's id (a server admin's readable set)."""
    return list(conn.execute(select(projects.c.id)).scalars())
