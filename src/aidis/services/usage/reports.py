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
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import Connection

from aidis.enums import AuditKind, UsageShape
from aidis.errors import InvalidInput
from aidis.repositories import team as team_repo
from aidis.repositories import usage as repo
from aidis.repositories import usage_days as days_repo
from aidis.repositories import usage_ranks as ranks_repo
from aidis.repositories import usage_rollups as rollups
from aidis.services.base import ServiceBase
from aidis.services.principal import own_sessions_only, readable_filter
from aidis.services.projects.catalog import find_project
from aidis.services.usage.day_zones import offsets_of, parse_timezone, zone_names
from aidis.services.usage.lines import UsageLine, day_buckets, label_of, order_of, start_of
from aidis.services.usage.prices import KINDS, PriceBook, Rates
from aidis.services.usage.weights import ranking_weights

__all__ = ["UsageLine", "UsageOverview", "UsageReport", "UsageService", "parse_timezone"]

CANDIDATES = 50  # sessions ranked by the database before the costliest ten are priced exactly
RERANK_BATCH = 5000  # sessions whose ranks one transaction recounts after new rates


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


class UsageService(ServiceBase):
    """Tokens and cost, grouped as asked."""

    prices: PriceBook = PriceBook()  # build_app sets the configured one (AIDIS_PRICES_FILE)
    day_zones: str = "UTC,local"  # build_app sets AIDIS_USAGE_ZONES

    def prepare_days(self) -> dict[str, list[str]]:
        """Keep per-day sums for exactly the configured zones (a zone added is regrouped from the hours,
        once; a zone no longer named is dropped); returns the zones added and dropped."""
        wanted = zone_names(self.day_zones)
        with self.unit_of_work() as conn:
            days_repo.lock_zones(conn)
            kept = days_repo.zones(conn)
            added = [z for z in wanted if z not in kept]
            dropped = sorted(kept - set(wanted))
            for zone in dropped:
                days_repo.drop_zone(conn, zone)
            for zone in added:
                days_repo.replace_zone(conn, zone, offsets_of(zone))
        return {"added": added, "dropped": dropped}

    def reweigh(self, batch: int = RERANK_BATCH) -> list[str]:
        """Weigh sessions for the costliest-sessions ranking with today's rates; when they changed, the
        kept ranks are recounted `batch` sessions per transaction (a write never waits long for it, and
        meanwhile the ranking still chooses sensible candidates). Returns the models whose rates changed."""
        with self.unit_of_work() as conn:
            days_repo.lock_zones(conn)  # the same lock: replicas starting together write the rates once
            weights = ranking_weights(self.prices, ranks_repo.models_used(conn), self.clock())
            stored = ranks_repo.stored_weights(conn)
            changed = sorted(
                m for m in set(weights) | set(stored) if not _same(weights.get(m), stored.get(m))
            )
            if changed:
                ranks_repo.replace_weights(conn, weights)
        after: uuid.UUID | None = None
        while changed:
            with self.unit_of_work() as conn:
                after = ranks_repo.rerank_batch(conn, after, batch)
            if after is None:
                break
        return changed

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
                self._buckets_into(conn, flt, shape, since, until, zone_name, lines, total, breakdown)
        asked = flt.project_ids[0] if project and flt.project_ids else None
        self.audited(None, AuditKind.READ, asked, [], count=len(lines))
        ordered = sorted(lines.values(), key=lambda line: order_of(shape, line))
        return UsageReport(shape, zone_name, ordered, total, self.prices.version)

    def overview(self, first: date, last: date, *, timezone: str | None = "UTC") -> UsageOverview:
        """The Usage page's parts for the days `first`..`last` (inclusive, in `timezone`)."""
        zone_name, zone = parse_timezone(timezone)
        buckets = day_buckets(first, last, zone)
        per_project: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(buckets))
        index = {b.label: i for i, b in enumerate(buckets)}
        models: dict[str, UsageLine] = {}
        agents: dict[str, UsageLine] = {}
        total = UsageLine("total")
        with self.reading() as conn:
            flt = repo.UsageFilter(
                since=start_of(first, zone),
                until=start_of(last + timedelta(days=1), zone),
                project_ids=readable_filter(None),
                unassigned_owner=own_sessions_only(),
            )
            for part in self._parts(conn, flt, zone_name, first, last, by_project=True):
                cost = self.prices.cost(part.agent, part.model, _noon(part.label, zone), part.tokens)
                if cost is not None:
                    per_project[str(part.project_name)][index[part.label]] += cost
                models.setdefault(part.model, UsageLine(part.model)).add(part.model, part.tokens, cost)
                agents.setdefault(part.agent, UsageLine(part.agent)).add(part.model, part.tokens, cost)
                total.add(part.model, part.tokens, cost)
            ranked = ranks_repo.costliest(conn, flt, CANDIDATES)
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
        zone_name: str,
        lines: dict[str, UsageLine],
        total: UsageLine,
        breakdown: bool,
    ) -> None:
        """Day buckets (the range asked, else the range the rollups hold), summed into the shape's lines."""
        _, zone = parse_timezone(zone_name)
        by_project = shape is UsageShape.PROJECT
        for part in self._parts(conn, flt, zone_name, since, until, by_project=by_project):
            cost = self.prices.cost(part.agent, part.model, _noon(part.label, zone), part.tokens)
            key = str(part.project_name) if by_project else label_of(shape, date.fromisoformat(part.label))
            line = lines.setdefault(key, UsageLine(key))
            line.add(part.model, part.tokens, cost)
            if breakdown:
                line.breakdown.setdefault(part.model, UsageLine(part.model)).add(
                    part.model, part.tokens, cost
                )
            total.add(part.model, part.tokens, cost)

    @staticmethod
    def _held_days(conn: Connection, flt: repo.UsageFilter, zone: tzinfo) -> tuple[date, date] | None:
        held = rollups.hour_range(conn, flt)
        return None if held is None else (held[0].astimezone(zone).date(), held[1].astimezone(zone).date())

    @staticmethod
    def _parts(
        conn: Connection,
        flt: repo.UsageFilter,
        zone_name: str,
        first: date | None,
        last: date | None,
        *,
        by_project: bool,
    ) -> list[rollups.BucketSum]:
        """Sums per local day, model and agent (and project) from `first` to `last` (None: from or to
        the usage held): from the kept days when `zone_name` is kept, else from the hours (exact either
        way; the days are a year in a few thousand rows, and from the hours only days with usage get a
        bucket)."""
        _, zone = parse_timezone(zone_name)
        kept = zone_name in days_repo.zones(conn)
        if kept and first is not None and last is not None:
            return days_repo.day_sums(conn, flt, zone_name, first, last, by_project=by_project)
        held = days_repo.day_range(conn, flt, zone_name) if kept else UsageService._held_days(conn, flt, zone)
        if held is None:
            return []
        first = held[0] if first is None else max(first, held[0])
        last = held[1] if last is None else min(last, held[1])
        if kept:
            return days_repo.day_sums(conn, flt, zone_name, first, last, by_project=by_project)
        return rollups.bucket_sums(conn, flt, day_buckets(first, last, zone), by_project=by_project)

    def _sessions_into(
        self,
        conn: Connection,
        flt: repo.UsageFilter,
        zone: tzinfo,
        lines: dict[str, UsageLine],
        total: UsageLine,
        breakdown: bool,
    ) -> None:
        """Session lines from the usage rows (each day of each model priced at that day's rates)."""
        rates: dict[tuple[str, str, date], Rates | None] = {}
        for row in repo.session_rows(conn, flt):
            tokens = {
                **{k: getattr(row, k) for k in KINDS},
                "cache_write_1h_tokens": row.cache_write_1h_tokens,
            }
            key = (row.agent, row.model, row.hour.date())
            if key not in rates:
                rates[key] = self.prices.rates(row.agent, row.model, row.hour)
            found = rates[key]
            cost = found.cost(tokens) if found is not None else None
            line = lines.setdefault(str(row.display_id), UsageLine(str(row.display_id)))
            line.project, line.agent = row.project_name, row.agent
            line.add(row.model, tokens, cost)
            if breakdown:
                line.breakdown.setdefault(row.model, UsageLine(row.model)).add(row.model, tokens, cost)
            total.add(row.model, tokens, cost)


def _same(a: tuple[float, ...] | None, b: tuple[float, ...] | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(abs(x - y) <= 1e-9 * (1 + abs(x)) for x, y in zip(a, b, strict=True))


def _noon(label: str, zone: tzinfo) -> datetime:
    """When a local day's usage is priced: its noon (the day's prices)."""
    return datetime.combine(date.fromisoformat(label), time(12), tzinfo=zone)
