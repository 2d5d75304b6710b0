"""Usage per local day: the hourly rollups summed per day of each time zone reports are cut in.

A year of hourly rollups at a million sessions is over a million rows, so a daily report read them all
(2 s). `usage_days` holds the same sums per *local day* of a few time zones (`usage_day_zones`: UTC and
this machine's zone by default, `AIDIS_USAGE_ZONES`), so a year is a few thousand rows. A zone's
offsets are written as rows (`starts_at`, `offset_minutes`: one per change of offset, from the IANA
data), so both engines cut days by the same rule: an hour belongs to the local day its start falls on.
A trigger on `usage_rollups` keeps the days exact in the statement that changes the hours (which their
own triggers keep exact), so nothing can forget them; `aidis check` compares them with a regrouping of
the hours (`usage_day_mismatch`) and `check --fix` rebuilds them. A report in a zone not listed is
still exact, from the hours.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
SERVER = "aidis_server"
ZERO = "00000000-0000-0000-0000-000000000000"
KINDS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cache_write_1h_tokens")
# the key's order is the reports' grouping order (day, agent, model, project), so a year is summed in
# key order without a sort; on SQLite the rows live in that key (WITHOUT ROWID): no lookup per row
KEY = ("zone", "day", "agent", "model", "project_id", "owner")


def _upsert(row: str, values: str, day: str, offset: str) -> str:
    """Add `values` (one rollup row's tokens, signed) to the row's local day in every zone."""
    sums = ", ".join(f"{k} = usage_days.{k} + excluded.{k}" for k in KINDS)
    return (
        f"INSERT INTO usage_days ({', '.join((*KEY, *KINDS))}) "
        f"SELECT z.zone, {day.format(hour=f'{row}.hour', offset='z.offset_minutes')}, {row}.agent, "
        f"{row}.model, {row}.project_id, {row}.owner, {values} "
        "FROM (SELECT DISTINCT zone FROM usage_day_zones) zs JOIN usage_day_zones z ON z.zone = zs.zone "
        f"AND z.starts_at = ({offset.format(hour=f'{row}.hour')}) WHERE true "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sums}"
    )


SQLITE_DAY = "date({hour}, {offset} || ' minutes')"
SQLITE_OFFSET = (
    "SELECT max(z2.starts_at) FROM usage_day_zones z2 WHERE z2.zone = zs.zone AND z2.starts_at <= {hour}"
)
PLUS = ", ".join(f"NEW.{k}" for k in KINDS)
MINUS = ", ".join(f"-OLD.{k}" for k in KINDS)
DELTA = ", ".join(f"NEW.{k} - OLD.{k}" for k in KINDS)  # the hours' keys never change: sums do
PG_DAY = "(({hour} AT TIME ZONE 'UTC') + make_interval(mins => {offset}))::date"


def upgrade() -> None:
    op.create_table(
        "usage_day_zones",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "starts_at", name="pk_usage_day_zones"),
    )
    op.create_table(
        "usage_days",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("owner", UUIDType(), nullable=False),
        *(sa.Column(k, sa.BigInteger(), nullable=False, server_default="0") for k in KINDS),
        sa.PrimaryKeyConstraint(*KEY, name="pk_usage_days"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _sqlite() -> None:
    for event, row, values in (("INSERT", "NEW", PLUS), ("UPDATE", "NEW", DELTA), ("DELETE", "OLD", MINUS)):
        op.execute(
            f"CREATE TRIGGER trg_usage_days_{event.lower()} AFTER {event} ON usage_rollups BEGIN "
            f"{_upsert(row, values, SQLITE_DAY, SQLITE_OFFSET)}; END"
        )


def _postgresql() -> None:
    offset = SQLITE_OFFSET  # the same subquery reads on PostgreSQL
    op.execute(
        f"""
        CREATE FUNCTION aidis_usage_days() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            {_upsert("NEW", PLUS, PG_DAY, offset)};
          ELSIF TG_OP = 'UPDATE' THEN
            {_upsert("NEW", DELTA, PG_DAY, offset)};
          ELSE
            {_upsert("OLD", MINUS, PG_DAY, offset)};
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_usage_days AFTER INSERT OR UPDATE OR DELETE ON usage_rollups "
        "FOR EACH ROW EXECUTE FUNCTION aidis_usage_days()"
    )
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER}).first():
        op.execute(f"GRANT SELECT ON usage_days, usage_day_zones TO {MEMBER}")
        op.execute("ALTER TABLE usage_days ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY aidis_read ON usage_days FOR SELECT TO {MEMBER} USING "
            f"(aidis_readable(project_id) OR (project_id = '{ZERO}'::uuid AND owner = aidis_user()))"
        )
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVER}).first():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON usage_days, usage_day_zones TO {SERVER}")
        op.execute(
            f"CREATE POLICY aidis_server ON usage_days FOR ALL TO {SERVER} "
            "USING (aidis_user() IS NULL) WITH CHECK (aidis_user() IS NULL)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_usage_days ON usage_rollups")
        op.execute("DROP FUNCTION IF EXISTS aidis_usage_days()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_usage_days_{name}")
    op.drop_table("usage_days")
    op.drop_table("usage_day_zones")
