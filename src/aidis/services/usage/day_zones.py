"""The time zones usage days are kept for (`usage_days`): which they are, and their offsets as rows.

Invariant: a zone's offset rows are derived from the IANA data only (one row per change of offset,
from 1970 to 2100), so the database cuts a day exactly where `zoneinfo` does; a zone is named by its
IANA key ('local' resolves to this machine's key), so 'UTC' asked by the API and the CLI's local zone
find the same kept days whatever spelling the request used.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal

from aidis.errors import InvalidInput

log = logging.getLogger("aidis.usage")

__all__ = ["local_zone_name", "offsets_of", "parse_timezone", "zone_names"]

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # anything before 1970 is cut with 1970's offset
FIRST = datetime(1970, 1, 1, tzinfo=UTC)
LAST = datetime(2100, 1, 1, tzinfo=UTC)


def local_zone_name() -> str:
    """This machine's IANA zone name (UTC when it has none)."""
    try:
        return str(tzlocal.get_localzone_name() or "UTC")
    except (ZoneInfoNotFoundError, ValueError, LookupError) as exc:  # no zone configured: say so, use UTC
        log.warning("this machine's time zone cannot be read (%s); days are cut in UTC", exc)
        return "UTC"


def parse_timezone(name: str | None) -> tuple[str, tzinfo]:
    """A time zone by IANA name ('local' or None: this machine's) as (its IANA key, the zone), or
    InvalidInput naming `timezone`."""
    wanted = local_zone_name() if name is None or name.strip().lower() == "local" else name.strip()
    if wanted.upper() in ("UTC", "Z", "ETC/UTC", "ZULU"):
        return "UTC", ZoneInfo("UTC")
    try:
        zone = ZoneInfo(wanted)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {name!r} (an IANA name, e.g. Europe/Berlin)", field="timezone"
        ) from exc
    return zone.key, zone


def zone_names(setting: str) -> list[str]:
    """The zones a comma-separated setting names ('local' resolved), each once, in order; a wrong name
    is InvalidInput naming `usage_zones`."""
    out: list[str] = []
    for part in setting.split(","):
        if not part.strip():
            continue
        try:
            key, _ = parse_timezone(part)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field="usage_zones") from exc
        if key not in out:
            out.append(key)
    return out


def offsets_of(name: str) -> list[tuple[datetime, int]]:
    """When each of the zone's offsets starts (UTC, to the minute) and the offset in minutes east of UTC,
    from 1970 to 2100."""
    zone = ZoneInfo(name)

    def minutes(at: datetime) -> int:
        offset = at.astimezone(zone).utcoffset() or timedelta(0)
        return int(offset.total_seconds() // 60)

    rows = [(EARLIEST, minutes(FIRST))]
    day = FIRST
    while day < LAST:
        following = day + timedelta(days=1)
        if minutes(following) != rows[-1][1]:
            low, high = day, following  # the change is in (low, high]: find its minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    middle = low + timedelta(minutes=1)
                if minutes(middle) == rows[-1][1]:
                    low = middle
                else:
                    high = middle
            rows.append((high, minutes(high)))
        day = following
    return rows
