"""The dashboard's Usage page: cost per project per day (stacked), the costliest sessions, tokens and
cost per model and per agent, unpriced tokens called out (thin: query → UsageService.overview → page)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from aidis.errors import AidisError
from aidis.web.api import no_nul_input
from aidis.web.charts import stack_costs, stacked_bars_svg
from aidis.web.views import _app, error_page, render, usd

router = APIRouter(include_in_schema=False, dependencies=[Depends(no_nul_input)])


@router.get("/usage", response_class=HTMLResponse)
def usage_page(
    request: Request,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    timezone: Annotated[str, Query(max_length=64)] = "UTC",
) -> Response:
    """Cost per project per day over the last `days` days, and what made it."""
    app = _app(request)
    last = app.clock().date()
    first = last - timedelta(days=days - 1)
    try:
        overview = app.usage.overview(first, last, timezone=timezone)
    except AidisError as exc:
        return error_page(request, exc)
    per_project = {name: [float(c) for c in costs] for name, costs in overview.per_project.items()}
    chart = stacked_bars_svg(
        overview.days, stack_costs(overview.days, per_project), what="Cost per project per day", fmt=usd
    )
    return render(
        request, "usage.html", overview=overview, chart=chart, days=days, timezone=timezone, usd=usd
    )
