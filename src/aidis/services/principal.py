"""Who a request acts for, and what they may do in each project — carried with the request.

Invariants: on a team server every request acts for a `Principal` (set by the surface that
authenticated it, with `acting_as`) or for nobody in particular (`None`: a local single-user server,
an operator's command, a background job); a principal's roles are fixed when it is made — the user's
grants (direct and through groups), capped by the token's role and limited to the token's projects
— so nothing below the surfaces can widen them. Unassigned belongs to everyone row by row: a member
sees and changes only their own sessions there (`owns_unassigned`), a server admin all of them.
A read-only token records nothing anywhere, Unassigned included (no session, no context, no hook
event: `require_recording`); a token limited to projects acts in those projects only — it neither
reads nor writes Unassigned, so a session whose workspace names none of its projects is refused.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from aidis.enums import SENTINEL_PROJECT_ID, Role, Surface
from aidis.errors import Forbidden, NotFound


def connection_prefix(principal: Principal | None) -> str:
    """The part of a connection id that keeps two people's connections apart on a team server."""
    return f"u:{principal.user_id}/" if principal is not None else ""


@dataclass(frozen=True)
class Principal:
    """A person acting through one credential, on one surface."""

    user_id: uuid.UUID
    name: str
    is_admin: bool  # a server admin: every project, every Unassigned session
    roles: Mapping[uuid.UUID, Role] = field(default_factory=dict)  # project → the most they may do
    token_id: uuid.UUID | None = None
    surface: Surface = Surface.API
    address: str | None = None
    cap: Role = Role.ADMIN  # the token's role: the most this credential may do anywhere
    limited: bool = False  # the token names its projects: nothing elsewhere, Unassigned included

    @property
    def may_create(self) -> bool:
        """Whether this credential may bring anything into being (a project, a session, a note)."""
        return self.cap.rank >= Role.WRITE.rank and not self.limited

    @property
    def records(self) -> bool:
        """Whether this credential may write anything at all (a read-only token writes nothing)."""
        return self.cap.rank >= Role.WRITE.rank

    def role_in(self, project_id: uuid.UUID) -> Role | None:
        """The most this principal may do in a project (None: nothing, not even see it)."""
        if self.is_admin:
            return Role.ADMIN
        if project_id == SENTINEL_PROJECT_ID:  # their own Unassigned sessions (filtered row by row)
            return None if self.limited else min(Role.WRITE, self.cap, key=lambda r: r.rank)
        return self.roles.get(project_id)

    def may(self, project_id: uuid.UUID, role: Role) -> bool:
        """Whether this principal may do `role`'s work in a project."""
        held = self.role_in(project_id)
        return held is not None and held.rank >= role.rank

    def projects(self, role: Role = Role.READ) -> frozenset[uuid.UUID]:
        """The projects (other than Unassigned) where this principal may do `role`'s work."""
        return frozenset(p for p, held in self.roles.items() if held.rank >= role.rank)

    @property
    def owns_unassigned(self) -> bool:
        """True when Unassigned shows only this principal's own sessions (everyone but server admins)."""
        return not self.is_admin


@dataclass(frozen=True, slots=True)
class Request:
    """What the audit trail says a request was: who, through what, asking for what."""

    principal: Principal
    action: str  # the tool or route


_CURRENT: ContextVar[Request | None] = ContextVar("aidis_request", default=None)


def current_principal() -> Principal | None:
    """Who the current request acts for (None: nobody in particular)."""
    request = _CURRENT.get()
    return request.principal if request is not None else None


def current_request() -> Request | None:
    """The current request, when it acts for someone."""
    return _CURRENT.get()


@contextmanager
def acting_as(principal: Principal | None, action: str = "") -> Iterator[Principal | None]:
    """Run the block for `principal` doing `action` (surfaces call this once a request is
    authenticated; None: nobody in particular)."""
    token = _CURRENT.set(Request(principal, action) if principal is not None else None)
    try:
        yield principal
    finally:
        _CURRENT.reset(token)


def require_recording(*, field: str = "token") -> None:
    """Refuse (Forbidden, naming the token's role) any write by a read-only credential: it records
    nothing in the person's name anywhere, their own Unassigned sessions included."""
    principal = current_principal()
    if principal is not None and not principal.records:
        raise Forbidden(
            f"this token's role is {principal.cap.value}: it may only read, and records nothing "
            "(no session, no note, no hook event); use a write token",
            field=field,
        )


def require(project_id: uuid.UUID, role: Role, name: str, *, field: str = "project") -> None:
    """Refuse unless the current request may do `role`'s work in the project: a project it may not
    even read is "not found" (never "forbidden": a name must not leak), one it may only read is
    forbidden. Nobody in particular may do anything."""
    principal = current_principal()
    if principal is None or principal.may(project_id, role):
        return
    if role.rank >= Role.WRITE.rank:
        require_recording()
    if project_id == SENTINEL_PROJECT_ID and principal.limited:
        raise Forbidden(
            "this token acts only in the projects it names, never in Unassigned: name one of them "
            "(or work in one of their folders)",
            field=field,
        )
    if not principal.may(project_id, Role.READ):
        raise NotFound(f"no project named {name!r}", field=field)
    raise Forbidden(
        f"you may {principal.role_in(project_id) or 'not'} in {name!r}, not {role.value}", field=field
    )


def readable_filter(project_ids: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    """Narrow a read's projects (None: every project) to what the current request may read."""
    principal = current_principal()
    if principal is None or principal.is_admin:
        return project_ids
    allowed = principal.projects(Role.READ) | (
        {SENTINEL_PROJECT_ID} if principal.role_in(SENTINEL_PROJECT_ID) else set()
    )
    if project_ids is None:
        return sorted(allowed)
    return [p for p in project_ids if p in allowed]


def own_sessions_only() -> uuid.UUID | None:
    """The user whose Unassigned sessions alone the current request may see (None: all of them)."""
    principal = current_principal()
    return principal.user_id if principal is not None and principal.owns_unassigned else None


def require_server_admin(what: str, *, field: str = "project") -> None:
    """Refuse a whole-server job (export, import, prune, merge, backfill) to anyone but a server admin."""
    principal = current_principal()
    if principal is not None and not principal.is_admin:
        raise Forbidden(f"{what} is for server admins", field=field)


def grant_in_request(project_id: uuid.UUID, role: Role) -> None:
    """The current request's person now holds `role` in a project they just made (for the rest of the
    request: the next request reads their grants afresh)."""
    request = _CURRENT.get()
    if request is None or request.principal.is_admin:
        return
    roles = {**request.principal.roles, project_id: role}
    _CURRENT.set(Request(dataclasses.replace(request.principal, roles=roles), request.action))
