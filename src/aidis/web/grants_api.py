"""JSON API for a project's grants under /api/v1/projects/{ref}/grants: list, set, revoke.

Thin: each handler calls one TeamService method, which lets a project's admins (and server admins)
manage that project's grants and answers anyone else as if the project did not exist (404), or —
for someone who may read it — forbidden (403), with nothing changed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from aidis.enums import Role
from aidis.web.api import ERRORS, App, no_nul_input, only_query

router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(no_nul_input)], tags=["grants"])

ProjectPath = Annotated[str, Field(max_length=200)]


class GrantOut(BaseModel):
    project: str
    user: str | None = Field(description="The person granted (or null for a group grant)")
    group: str | None = Field(description="The identity-provider group granted (or null)")
    role: Role

    @classmethod
    def of(cls, grant: Any) -> GrantOut:
        """A grant record as the API shows it."""
        return cls(project=grant.project_name, user=grant.user_name, group=grant.group_name, role=grant.role)


class GrantList(BaseModel):
    items: list[GrantOut]


class GranteeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, min_length=1, max_length=64)
    group: str | None = Field(default=None, min_length=1, max_length=200)


class GrantIn(GranteeIn):
    role: Role


class RevokedOut(BaseModel):
    removed: int


@router.get("/projects/{ref}/grants", dependencies=[only_query()])
def list_grants(app: App, ref: ProjectPath) -> GrantList:
    """Who may read, write or administer this project (for its admins)."""
    return GrantList(items=[GrantOut.of(g) for g in app.team.grants(ref)])


@router.put("/projects/{ref}/grants")
def set_grant(app: App, ref: ProjectPath, body: GrantIn) -> GrantOut:
    """Give one user or group (exactly one) a role in this project, replacing an earlier grant."""
    return GrantOut.of(app.team.grant(ref, body.role.value, user=body.user, group=body.group))


@router.delete("/projects/{ref}/grants", dependencies=[only_query()])
def revoke_grant(app: App, ref: ProjectPath, body: GranteeIn) -> RevokedOut:
    """Take one user's or group's grant in this project away (a JSON body naming `user` or `group`,
    like every state change here: a web page cannot send one cross-origin)."""
    return RevokedOut(removed=app.team.revoke_grant(ref, user=body.user, group=body.group))
