"""Usage reports: tokens and cost per day, week, month, session or project — the shapes a `ccusage` user
knows — filtered by time, project, agent, model and person, days cut in the user's time zone.

Invariants: a report reads only what the request may read (its projects; in Unassigned its person's own
sessions) and is an audited read; tokens are priced at the rates of the local day they were used on
(prices change; the rollups give each day's sums by agent and model, so a year is a few thousand rows
whatever the number of sessions); tokens of an unpriced model are reported as such beside the cost,
never folded into it as 0; the price data's version travels with every report.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from aidis.enums import AuditKind, UsageShape
from aidis.errors import InvalidInput
from aidis.repositories import team as team_repo
from aidis.repositories import usage as repo
from aidis.repositories import usage_rollups as rollups
from aidis.services.base import ServiceBase
from aidis.services.principal import own_sessions_only, readable_filter
from aidis.services.projects.catalog import find_project
from aidis.services.usage.lines import UsageLine, day_buckets, label_of, order_of, start_of
from aidis.services.usage.prices import KINDS, PriceBook

__all__ = ["UsageLine", "UsageOverview", "UsageReport", "UsageService", "parse_timezone"]

CANDIDATES = 50  # sessions ranked by the database before the costliest ten are priced exactly


@dataclass
class UsageReport:
    """A report's lines (ordered), their total, and what priced them."""

    shape: UsageShape
    timezone: str
    lines: list[UsageLine]
    total: UsageLine
    price_data: str


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
        lines: dict[str, UsageLine] = {}
        total = UsageLine("total")
        with self.reading() as conn:
            flt = self._filter(conn, since, until, zone, project, agent, model, person, session)
            if shape is UsageShape.SESSION or session is not None:
                self._sessions_into(conn, flt, zone, lines, total, breakdown)
            else:
                self._buckets_into(conn, flt, shape, since, until, zone, lines, total, breakdown)
        asked = flt.project_ids[0] if project and flt.project_ids else None
        self.audited(None, AuditKind.READ, asked, [], count=len(lines))
        ordered = sorted(lines.values(), key=lambda line: order_of(shape, line))
        return UsageReport(shape, zone_name, ordered, total, self.prices.version)

    def overview(self, first: date, last: date, *, timezone: str | None = "UTC") -> UsageOverview:
        """The Usage page's parts for the days `first`..`last` (inclusive, in `timezone`)."""
        _, zone = parse_timezone(timezone)
        buckets = day_buckets(first, last, zone)
        per_project: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(buckets))
        index = {b.label: i for i, b in enumerate(buckets)}
        models: dict[str, UsageLine] = {}
        agents: dict[str, UsageLine] = {}
        total = UsageLine("total")
        weights: dict[str, tuple[float, float, float, float]] = {}
        with self.reading() as conn:
            flt = repo.UsageFilter(
                since=start_of(first, zone),
                until=start_of(last + timedelta(days=1), zone),
                project_ids=readable_filter(None),
                unassigned_owner=own_sessions_only(),
            )
            for part in rollups.bucket_sums(conn, flt, buckets, by_project=True):
                rates = self.prices.rates(part.agent, part.model, _noon(part.label, zone))
                cost = rates.cost(part.tokens) if rates is not None else None
                if cost is not None:
                    per_project[str(part.project_name)][index[part.label]] += cost
                models.setdefault(part.model, UsageLine(part.model)).add(part.model, part.tokens, cost)
                agents.setdefault(part.agent, UsageLine(part.agent)).add(part.model, part.tokens, cost)
                total.add(part.model, part.tokens, cost)
                weights[part.model] = (  # an unpriced model weighs nothing, and is still listed
                    (
                        float(rates.input),
                        float(rates.output),
                        float(rates.cache_write),
                        float(rates.cache_read),
                    )
                    if rates is not None
                    else (0.0, 0.0, 0.0, 0.0)
                )
            ranked = rollups.costliest_sessions(conn, flt, weights, CANDIDATES)
            sessions: dict[str, UsageLine] = {}
            if ranked:
                chosen = repo.UsageFilter(since=flt.since, until=flt.until, session_ids=ranked)
                self._sessions_into(conn, chosen, zone, sessions, UsageLine("candidates"), False)
        self.audited(None, AuditKind.READ, None, [], count=len(per_project))

        def by_cost(group: dict[str, UsageLine]) -> list[UsageLine]:
            return sorted(group.values(), key=lambda line: order_of(UsageShape.PROJECT, line))

        return UsageOverview(
            [first + timedelta(days=i) for i in range(len(buckets))],
            dict(per_project),
            by_cost(sessions)[:10],
            by_cost(models),
            by_cost(agents),
            total,
            self.prices.version,
        )

    def _filter(
        self,
        conn: Connection,
        since: date | None,
        until: date | None,
        zone: tzinfo,
        project: str | None,
        agent: str | None,
        model: str | None,
        person: str | None,
        session: uuid.UUID | None,
    ) -> repo.UsageFilter:
        project_ids = [find_project(conn, project, field="project").id] if project else None
        user_id = None
        if person is not None:
            found = team_repo.user_by_name(conn, person.strip())
            if found is None:
                raise InvalidInput(f"no user named {person!r}", field="person")
            user_id = found.id
        return repo.UsageFilter(
            since=start_of(since, zone) if since is not None else None,
            until=start_of(until + timedelta(days=1), zone) if until is not None else None,
            project_ids=readable_filter(project_ids),
            unassigned_owner=own_sessions_only(),
            agent=agent,
            model=model,
            user_id=user_id,
            session_id=session,
        )

    def _buckets_into(
        self,
        conn: Connection,
        flt: repo.UsageFilter,
        shape: UsageShape,
        since: date | None,
        until: date | None,
        zone: tzinfo,
        lines: dict[str, UsageLine],
        total: UsageLine,
        breakdown: bool,
    ) -> None:
        """Day buckets from the rollups (the range asked, else the range the rollups hold), summed into
        the shape's lines."""
        if since is None or until is None:
            held = rollups.hour_range(conn, flt)
            if held is None:
                return
            since = since or held[0].astimezone(zone).date()
            until = until or held[1].astimezone(zone).date()
        by_project = shape is UsageShape.PROJECT
        for part in rollups.bucket_sums(conn, flt, day_buckets(since, until, zone), by_project=by_project):
            cost = self.prices.cost(part.agent, part.model, _noon(part.label, zone), part.tokens)
            key = str(part.project_name) if by_project else label_of(shape, date.fromisoformat(part.label))
            line = lines.setdefault(key, UsageLine(key))
            line.add(part.model, part.tokens, cost)
            if breakdown:
                line.breakdown.setdefault(part.model, UsageLine(part.model)).add(
                    part.model, part.tokens, cost
                )
            total.add(part.model, part.tokens, cost)

    def _sessions_into(
        self,
        conn: Connection,
        flt: repo.UsageFilter,
        zone: tzinfo,
        lines: dict[str, UsageLine],
        total: UsageLine,
        breakdown: bool,
    ) -> None:
        """Session lines from the usage rows (each hour priced at its day's rates)."""
        for row in repo.session_rows(conn, flt):
            tokens = {
                **{k: getattr(row, k) for k in KINDS},
                "cache_write_1h_tokens": row.cache_write_1h_tokens,
            }
            cost = self.prices.cost(row.agent, row.model, row.hour, tokens)
            line = lines.setdefault(str(row.display_id), UsageLine(str(row.display_id)))
            line.project, line.agent = row.project_name, row.agent
            line.add(row.model, tokens, cost)
            if breakdown:
                line.breakdown.setdefault(row.model, UsageLine(row.model)).add(row.model, tokens, cost)
            total.add(row.model, tokens, cost)


def _noon(label: str, zone: tzinfo) -> datetime:
    """When a local day's usage is priced: its noon (the day's prices)."""
    return datetime.combine(date.fromisoformat(label), time(12), tzinfo=zone)
