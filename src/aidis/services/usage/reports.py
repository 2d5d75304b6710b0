"""Usage reports: tokens and cost per day, week, month, session or project — the shapes a `ccusage` user
knows — filtered by time, project, agent, model and person, days cut in the user's time zone.

Invariants: a report reads only what the request may read (its projects; in Unassigned its person's own
sessions) and is one audited read; each hour's tokens are priced at that hour's rates (prices change);
tokens of an unpriced model are reported as such beside the cost, never folded into it as 0; the price
data's version travels with every report.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aidis.enums import AuditKind, UsageShape
from aidis.errors import InvalidInput
from aidis.records import UsageRow
from aidis.repositories import team as team_repo
from aidis.repositories import usage as repo
from aidis.services.base import ServiceBase
from aidis.services.principal import own_sessions_only, readable_filter
from aidis.services.projects.catalog import find_project
from aidis.services.usage.prices import KINDS, PriceBook

__all__ = ["UsageLine", "UsageOverview", "UsageReport", "UsageService", "overview_of", "parse_timezone"]


@dataclass
class UsageLine:
    """One line of a report (a day, week, month, session or project; or one model of it)."""

    key: str
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    cost: Decimal = Decimal(0)
    priced_rows: int = 0
    unpriced_tokens: int = 0
    models: set[str] = field(default_factory=set)
    unpriced_models: set[str] = field(default_factory=set)
    breakdown: dict[str, UsageLine] = field(default_factory=dict)
    project: str | None = None  # a session line's project
    agent: str | None = None

    @property
    def total_tokens(self) -> int:
        """Every kind of token together."""
        return sum(self.tokens.values())

    @property
    def cost_usd(self) -> Decimal | None:
        """The priced part's cost (None when nothing in the line could be priced)."""
        return self.cost if self.priced_rows else None

    def add(self, row: UsageRow, cost: Decimal | None) -> None:
        """Count one row (and its price, None when its model is unpriced)."""
        for kind in KINDS:
            self.tokens[kind] += getattr(row, kind)
        self.models.add(row.model)
        if cost is None:
            self.unpriced_tokens += row.total_tokens
            self.unpriced_models.add(row.model)
        else:
            self.cost += cost
            self.priced_rows += 1


@dataclass
class UsageReport:
    """A report's lines (ordered), their total, and what priced them."""

    shape: UsageShape
    timezone: str
    lines: list[UsageLine]
    total: UsageLine
    price_data: str


def parse_timezone(name: str | None) -> tuple[str, tzinfo]:
    """A time zone by IANA name ('local' or None: this machine's), or InvalidInput naming `timezone`."""
    if name is None or name.strip().lower() == "local":
        local = datetime.now().astimezone().tzinfo or UTC
        return str(local), local
    try:
        return name, ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {name!r} (an IANA name, e.g. Europe/Berlin)", field="timezone"
        ) from exc


class UsageService(ServiceBase):
    """Tokens and cost, grouped as asked."""

    prices: PriceBook = PriceBook()  # build_app sets the configured one (AIDIS_PRICES_FILE)

    def report(
        self,
        shape: UsageShape,
        *,
        since: date | None = None,
        until: date | None = None,
        project: str | None = None,
        agent: str | None = None,
        model: str | None = None,
        person: str | None = None,
        timezone: str | None = "UTC",
        breakdown: bool = False,
        session: uuid.UUID | None = None,
    ) -> UsageReport:
        """Usage in `shape` lines; `since`/`until` are days (inclusive) in `timezone`."""
        zone_name, zone = parse_timezone(timezone)
        if since is not None and until is not None and until < since:
            raise InvalidInput("until must not be before since", field="until")
        with self.reading() as conn:
            project_ids = [find_project(conn, project, field="project").id] if project else None
            user_id = None
            if person is not None:
                found = team_repo.user_by_name(conn, person.strip())
                if found is None:
                    raise InvalidInput(f"no user named {person!r}", field="person")
                user_id = found.id
            flt = repo.UsageFilter(
                since=_start_of(since, zone),
                until=_start_of(until + timedelta(days=1), zone) if until is not None else None,
                project_ids=readable_filter(project_ids),
                unassigned_owner=own_sessions_only(),
                agent=agent,
                model=model,
                user_id=user_id,
                session_id=session,
            )
            rows = repo.rows(conn, flt, by_session=shape is UsageShape.SESSION)
        lines: dict[str, UsageLine] = {}
        total = UsageLine("total")
        for row in rows:
            cost = self.prices.cost(row.agent, row.model, row.hour, _counts(row))
            key = _key(shape, row, zone)
            line = lines.setdefault(key, UsageLine(key))
            line.add(row, cost)
            if shape is UsageShape.SESSION:
                line.project, line.agent = row.project_name, row.agent
            if breakdown:
                line.breakdown.setdefault(row.model, UsageLine(row.model)).add(row, cost)
            total.add(row, cost)
        by_project: dict[uuid.UUID, int] = defaultdict(int)
        for row in rows:
            by_project[row.project_id] += 1
        for project_id, count in by_project.items():
            self.audited(None, AuditKind.READ, project_id, [], count=count)
        ordered = sorted(lines.values(), key=lambda line: _order(shape, line))
        return UsageReport(shape, zone_name, ordered, total, self.prices.version)

    def overview(self, first: date, last: date, *, timezone: str | None = "UTC") -> UsageOverview:
        """The Usage page's parts for the days `first`..`last` (inclusive, in `timezone`)."""
        _, zone = parse_timezone(timezone)
        with self.reading() as conn:
            flt = repo.UsageFilter(
                since=_start_of(first, zone),
                until=_start_of(last + timedelta(days=1), zone),
                project_ids=readable_filter(None),
                unassigned_owner=own_sessions_only(),
            )
            rows = repo.rows(conn, flt, by_session=True)
        for project_id in {row.project_id for row in rows}:
            self.audited(
                None, AuditKind.READ, project_id, [], count=sum(r.project_id == project_id for r in rows)
            )
        return overview_of(rows, self.prices, first, last, zone)


@dataclass
class UsageOverview:
    """What the dashboard's Usage page shows for a range of days: cost per project per day, the costliest
    sessions, and the tokens and cost per model and per agent."""

    days: list[date]
    per_project: dict[str, list[Decimal]]  # project → cost on each day (priced tokens only)
    sessions: list[UsageLine]
    models: list[UsageLine]
    agents: list[UsageLine]
    total: UsageLine
    price_data: str


def overview_of(
    rows: list[UsageRow], prices: PriceBook, first: date, last: date, zone: tzinfo, *, top: int = 10
) -> UsageOverview:
    """Aggregate session rows (repo.rows(by_session=True)) into the Usage page's parts."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    per_project: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(days))
    sessions: dict[str, UsageLine] = {}
    models: dict[str, UsageLine] = {}
    agents: dict[str, UsageLine] = {}
    total = UsageLine("total")
    for row in rows:
        cost = prices.cost(row.agent, row.model, row.hour, _counts(row))
        day = row.hour.astimezone(zone).date()
        if day in index and cost is not None:
            per_project[row.project_name][index[day]] += cost
        line = sessions.setdefault(str(row.display_id), UsageLine(str(row.display_id)))
        line.project, line.agent = row.project_name, row.agent
        line.add(row, cost)
        models.setdefault(row.model, UsageLine(row.model)).add(row, cost)
        agents.setdefault(row.agent, UsageLine(row.agent)).add(row, cost)
        total.add(row, cost)

    def by_cost(group: dict[str, UsageLine]) -> list[UsageLine]:
        return sorted(group.values(), key=lambda line: _order(UsageShape.PROJECT, line))

    return UsageOverview(
        days,
        dict(per_project),
        by_cost(sessions)[:top],
        by_cost(models),
        by_cost(agents),
        total,
        prices.version,
    )


def _counts(row: UsageRow) -> dict[str, int]:
    """A row's tokens by kind, with the 1-hour part of its cache writes (priced on its own)."""
    return {**{k: getattr(row, k) for k in KINDS}, "cache_write_1h_tokens": row.cache_write_1h_tokens}


def _start_of(day: date | None, zone: tzinfo) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC) if day is not None else None


def _key(shape: UsageShape, row: UsageRow, zone: tzinfo) -> str:
    local = row.hour.astimezone(zone)
    if shape is UsageShape.DAILY:
        return local.date().isoformat()
    if shape is UsageShape.WEEKLY:
        monday = local.date() - timedelta(days=local.weekday())
        return monday.isoformat()
    if shape is UsageShape.MONTHLY:
        return local.strftime("%Y-%m")
    if shape is UsageShape.SESSION:
        return str(row.display_id)
    return row.project_name


def _order(shape: UsageShape, line: UsageLine) -> tuple[object, ...]:
    if shape in (UsageShape.SESSION, UsageShape.PROJECT):  # the costliest first, as people look for them
        return (-(line.cost_usd or Decimal(0)), -line.total_tokens, line.key)
    return (line.key,)
