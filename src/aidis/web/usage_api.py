"""`GET /api/v1/usage`: tokens and cost by day, week, month, session or project, with the filters of
`aidis usage` (thin: query → UsageService → UsageReportOut). On a team server a person gets only what
they may read, and the read is on the audit trail (the service's rules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from aidis.enums import UsageShape
from aidis.schemas import UsageReportOut
from aidis.web.api import ERRORS, App, no_nul_input, only_query

router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(no_nul_input)], tags=["usage"])

FILTERS = ("shape", "since", "until", "project", "agent", "model", "person", "timezone", "breakdown")


@router.get("/usage", dependencies=[only_query(*FILTERS)])
def usage(
    app: App,
    shape: UsageShape = UsageShape.DAILY,
    since: date | None = None,
    until: date | None = None,
    project: Annotated[str | None, Query(max_length=200)] = None,
    agent: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    person: Annotated[str | None, Query(max_length=64)] = None,
    timezone: Annotated[str, Query(max_length=64)] = "UTC",
    breakdown: bool = False,
) -> UsageReportOut:
    """Tokens and cost from the agents' transcripts, per `shape` line (days in `timezone`, inclusive
    `since`/`until`); models no price data knows are `unpriced_tokens`, never a cost of 0."""
    report = app.usage.report(
        shape,
        since=since,
        until=until,
        project=project,
        agent=agent,
        model=model,
        person=person,
        timezone=timezone,
        breakdown=breakdown,
    )
    return UsageReportOut.of(report)
