"""People, their tokens and their project grants (a credential becomes a principal in `authentication`).

Invariants: a user name is plain (letters, digits, `. _ @ -`, at most 64) so it can never smuggle
control characters into a log or a table; a token is printed once and stored as a hash; a grant
names a project that exists; `authenticate` answers every bad token with `Unauthorized` and a
message that says what was wrong only to someone who holds the token's secret; a disabled user, a
revoked or an expired token authenticate nobody, at once. A server is in team mode once it has a
user: from then on every network surface needs a credential.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Connection

from aidis.enums import AuditKind, Role
from aidis.errors import AidisError, Conflict, InvalidInput, NotFound
from aidis.repositories import team as repo
from aidis.repositories.team import GrantRow, TokenRow, UserRow
from aidis.services.access import tokens
from aidis.services.access.authentication import Authentication
from aidis.services.principal import current_principal, require, require_server_admin
from aidis.services.projects.catalog import find_project
from aidis.services.text.lookalikes import lookalike_of

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}")
GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@/:\-]{0,199}")
MIN_LIFETIME = timedelta(hours=1)
MAX_LIFETIME = timedelta(days=5 * 365)
TEAM_MODE_SECONDS = 2.0  # how long "are there users?" is remembered


def check_user_name(name: str, field: str = "name") -> str:
    """A valid user name, or InvalidInput naming `field`."""
    if USER_NAME.fullmatch(name) is None:
        raise InvalidInput(
            "a user name is 1-64 letters, digits or . _ @ - (starting with a letter or digit)", field=field
        )
    return name


def parse_role(value: str, field: str = "role") -> Role:
    """A role from its name, or InvalidInput naming `field`."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput("role must be read, write or admin", field=field) from None


class TeamService(Authentication):
    """Users, tokens and grants (operators, through `aidis users|tokens|grants`), and authentication."""

    _team_mode: tuple[float, bool] = (0.0, False)
    _last_known: bool | None = None
    _team_lock = threading.Lock()

    # --- team mode -------------------------------------------------------------------------------

    def team_mode(self) -> bool:
        """True once the server has users (remembered for a moment: asked on every request). While the
        database cannot be asked, the last answer stands; before any answer, the error is raised."""
        checked_at, answer = self._team_mode
        if time.monotonic() - checked_at < TEAM_MODE_SECONDS:
            return answer
        try:
            with self._team_lock, self.reading() as conn:
                answer = repo.any_users(conn)
        except AidisError:
            if self._last_known is None:
                raise
            return self._last_known
        self._team_mode = (time.monotonic(), answer)
        self._last_known = answer
        return answer

    def _forget_team_mode(self) -> None:
        self._team_mode = (0.0, False)

    # --- users -----------------------------------------------------------------------------------

    def add_user(self, name: str, *, email: str | None = None, admin: bool = False) -> UserRow:
        """A new user (with no grants yet)."""
        require_server_admin("managing users", field="name")
        check_user_name(name)
        if email is not None and (len(email) > 320 or "@" not in email or not email.isprintable()):
            raise InvalidInput("email must be an address like ada@example.com", field="email")
        with self.unit_of_work() as conn:
            if repo.user_by_name(conn, name) is not None:
                raise Conflict(f"there is already a user named {name!r}", field="name")
            similar = lookalike_of(name, (u.name for u in repo.all_users(conn)))
            if similar is not None:  # `bob1` beside `bobl`, `ADA` beside `ada`: grants would be misread
                raise Conflict(f"user name {name!r} looks like the existing user {similar!r}", field="name")
            user = repo.insert_user(conn, name=name, email=email, is_admin=admin, now=self.clock())
            self.audited(conn, AuditKind.CHANGE, None, [user.id], operator_action="add user")
        self._forget_team_mode()
        return user

    def users(self) -> list[UserRow]:
        """Every user."""
        with self.reading() as conn:
            return repo.all_users(conn)

    def set_disabled(self, name: str, disabled: bool) -> UserRow:
        """Disable (every token stops at once) or enable a user."""
        require_server_admin("managing users", field="name")
        with self.unit_of_work() as conn:
            user = self._user(conn, name)
            repo.set_disabled(conn, user.id, self.clock() if disabled else None)
            action = "disable user" if disabled else "enable user"
            self.audited(conn, AuditKind.CHANGE, None, [user.id], operator_action=action)
            found = repo.user_by_id(conn, user.id)
        assert found is not None
        return found

    def _user(self, conn: Connection, name: str, field: str = "name") -> UserRow:
        check_user_name(name, field)
        user = repo.user_by_name(conn, name)
        if user is None:
            raise NotFound(f"no user named {name!r}", field=field)
        return user

    # --- tokens ----------------------------------------------------------------------------------

    def create_token(
        self,
        user_name: str,
        *,
        role: str | None = None,
        projects: Sequence[str] = (),
        expires_in: timedelta | None = timedelta(days=90),
        label: str | None = None,
    ) -> tuple[TokenRow, str]:
        """A new token for a user; returns the row and the token's text (shown once, never again). Without
        a role the token may do all its user may (their grants decide)."""
        me = current_principal()
        if me is None or me.name != user_name:  # anyone may make a token for themselves
            require_server_admin("making tokens for others", field="user")
        cap = parse_role(role) if role is not None else None
        if expires_in is not None and not MIN_LIFETIME <= expires_in <= MAX_LIFETIME:
            raise InvalidInput("a token lives between one hour and five years", field="expires")
        if label is not None and (len(label) > 100 or not label.isprintable()):
            raise InvalidInput("a label is at most 100 printable characters", field="name")
        made = tokens.make_token()
        now = self.clock()
        with self.unit_of_work() as conn:
            user = self._user(conn, user_name, "user")
            if user.disabled_at is not None:
                raise Conflict(f"user {user_name!r} is disabled", field="user")
            if cap is None:
                cap = Role.ADMIN  # no cap: the person's grants alone decide
            project_ids = [find_project(conn, p, field="project").id for p in projects] if projects else None
            row = repo.insert_token(
                conn,
                user_id=user.id,
                public_id=made.public_id,
                secret_hash=made.secret_hash,
                label=label,
                role=cap.value,
                project_ids=project_ids,
                now=now,
                expires_at=now + expires_in if expires_in is not None else None,
            )
            self.audited(conn, AuditKind.CHANGE, None, [row.id], operator_action="create token")
        return row, made.text

    def tokens(self, user_name: str | None = None) -> list[tuple[TokenRow, str]]:
        """Tokens (of one user, or everyone's) with their user's name."""
        with self.reading() as conn:
            user_id = self._user(conn, user_name, "user").id if user_name else None
            return repo.tokens_of(conn, user_id)

    def revoke_token(self, public_id: str) -> TokenRow:
        """Revoke a token by its public id (the 12 characters after `aidis_pat_`)."""
        ident = public_id.removeprefix(tokens.PREFIX).split("_")[0]
        with self.unit_of_work() as conn:
            row = repo.token_by_public_id(conn, ident)
            if row is None:
                raise NotFound(f"no token {ident!r}", field="token")
            if not repo.revoke_token(conn, row.id, self.clock()):
                raise Conflict("that token was already revoked", field="token")
            self.audited(conn, AuditKind.CHANGE, None, [row.id], operator_action="revoke token")
            found = repo.token_by_public_id(conn, ident)
        assert found is not None
        return found

    # --- grants ----------------------------------------------------------------------------------

    def grant(
        self, project: str, role: str, *, user: str | None = None, group: str | None = None
    ) -> GrantRow:
        """Give a user or an identity-provider group a role in a project (replacing an earlier one); for
        the project's admins and server admins."""
        granted = parse_role(role)
        user_id, group_name = self._grantee(user, group)
        with self.unit_of_work() as conn:
            found = find_project(conn, project, field="project")
            require(found.id, Role.ADMIN, project)  # before the grantee is looked up: nothing leaks
            if user is not None:
                user_id = self._user(conn, user, "user").id
            if found.is_sentinel:
                raise InvalidInput(
                    "Unassigned cannot be granted: everyone sees their own sessions there", field="project"
                )
            repo.set_grant(
                conn,
                project_id=found.id,
                user_id=user_id,
                group_name=group_name,
                role=granted.value,
                now=self.clock(),
            )
            self.audited(
                conn,
                AuditKind.CHANGE,
                found.id,
                [user_id or group_name],
                operator_action=f"grant {granted.value}",
            )
            rows = [
                g
                for g in repo.all_grants(conn, found.id)
                if (g.user_id, g.group_name) == (user_id, group_name)
            ]
        return rows[0]

    def revoke_grant(self, project: str, *, user: str | None = None, group: str | None = None) -> int:
        """Take a user's or group's grant in a project away (its admins and server admins)."""
        user_id, group_name = self._grantee(user, group)
        with self.unit_of_work() as conn:
            found = find_project(conn, project, field="project")
            require(found.id, Role.ADMIN, project)
            if user is not None:
                user_id = self._user(conn, user, "user").id
            removed = repo.remove_grant(conn, project_id=found.id, user_id=user_id, group_name=group_name)
            self.audited(
                conn, AuditKind.CHANGE, found.id, [user_id or group_name], operator_action="revoke grant"
            )
        if not removed:
            raise NotFound("no such grant", field="user" if user is not None else "group")
        return removed

    def grants(self, project: str | None = None) -> list[GrantRow]:
        """The grants of one project (its admins), or of every project the caller administers."""
        with self.reading() as conn:
            if project is None:
                principal = current_principal()
                rows = repo.all_grants(conn)
                return [g for g in rows if principal is None or principal.may(g.project_id, Role.ADMIN)]
            found = find_project(conn, project, field="project")
            require(found.id, Role.ADMIN, project)
            return repo.all_grants(conn, found.id)

    @staticmethod
    def _grantee(user: str | None, group: str | None) -> tuple[uuid.UUID | None, str | None]:
        if (user is None) == (group is None):
            raise InvalidInput("name exactly one of user or group", field="user")
        if group is not None and GROUP_NAME.fullmatch(group) is None:
            raise InvalidInput("a group name is 1-200 letters, digits or . _ @ / : -", field="group")
        return None, group


def expires_from(text: str | None, field: str = "expires") -> timedelta | None:
    """A lifetime like `90d`, `12h`, `2w` or `never`; InvalidInput naming `field` otherwise."""
    if text is None:
        return timedelta(days=90)
    if text.strip().lower() == "never":
        return None
    match = re.fullmatch(r"\s*(\d{1,5})\s*([hdw])\s*", text.lower())
    if match is None:
        raise InvalidInput("expires must look like 12h, 90d, 2w or never", field=field)
    count, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=count), "d": timedelta(days=count), "w": timedelta(weeks=count)}[unit]
