"""Usage ranking: each session's usage weighed by per-model rates, for "the costliest sessions".

The Usage page lists the costliest sessions of a range. Ranking them from the usage rows read every row
of the range (a quarter of a million rows for a month at a million sessions). `usage_session_ranks`
holds one weight per session — its tokens times the per-model rates in `usage_weights` (USD per million
tokens, written by AIDIS from its price data; the row `*` weighs a model the data does not know) — and
the first and last hour it used, so the costliest of any range are found by walking an index on the
weight. The weight only chooses candidates: the page prices those exactly, at each day's rates.
Triggers on `session_usage` keep it in the statement that changes the usage (a deleted session takes its
rank along); `aidis check` compares it with a recount (`usage_rank_mismatch`) and `check --fix`, or new
rates, recount it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

MEMBER = "aidis_member"
SERVER = "aidis_server"
RATES = ("input", "output", "cache_write", "cache_read")
TOKENS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")


def weight(row: str) -> str:
    """One usage row's weight: its tokens at its model's rates, else at the `*` rates, else 0."""
    terms = " + ".join(f"{row}.{t} * w.{r}" for t, r in zip(TOKENS, RATES, strict=True))
    return (
        f"COALESCE((SELECT {terms} FROM usage_weights w WHERE w.model = {row}.model), "
        f"(SELECT {terms} FROM usage_weights w WHERE w.model = '*'), 0) / 1000000.0"
    )


def tokens(row: str) -> str:
    """One usage row's tokens of every kind (the tie-break of equal weights: an unpriced model weighs 0)."""
    return " + ".join(f"{row}.{t}" for t in TOKENS)


def _add(row: str, least: str, greatest: str) -> str:
    return (
        "INSERT INTO usage_session_ranks (session_id, first_hour, last_hour, weight, tokens) "
        f"SELECT {row}.session_id, {row}.hour, {row}.hour, {weight(row)}, {tokens(row)} WHERE true "
        "ON CONFLICT (session_id) DO UPDATE SET weight = usage_session_ranks.weight + excluded.weight, "
        "tokens = usage_session_ranks.tokens + excluded.tokens, "
        f"first_hour = {least}(usage_session_ranks.first_hour, excluded.first_hour), "
        f"last_hour = {greatest}(usage_session_ranks.last_hour, excluded.last_hour)"
    )


def _take(row: str) -> str:
    # an update, never an insert: a session being deleted has already taken its rank along
    return (
        f"UPDATE usage_session_ranks SET weight = weight - {weight(row)}, tokens = tokens - ({tokens(row)}) "
        f"WHERE session_id = {row}.session_id"
    )


def upgrade() -> None:
    op.create_table(
        "usage_weights",
        sa.Column("model", sa.String(200), nullable=False),
        *(sa.Column(r, sa.Float(), nullable=False) for r in RATES),
        sa.PrimaryKeyConstraint("model", name="pk_usage_weights"),
    )
    op.create_table(
        "usage_session_ranks",
        sa.Column("session_id", UUIDType(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("first_hour", UTCDateTime(), nullable=False),
        sa.Column("last_hour", UTCDateTime(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False, server_default="0"),
        sa.Column("tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("session_id", name="pk_usage_session_ranks"),
    )
    op.create_index("ix_usage_session_ranks_weight", "usage_session_ranks", ["weight", "tokens"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _postgresql(bind)
    else:
        op.execute(
            f"CREATE TRIGGER trg_usage_rank_insert AFTER INSERT ON session_usage BEGIN {_add('NEW', 'min', 'max')}; END"
        )
        op.execute(
            "CREATE TRIGGER trg_usage_rank_update AFTER UPDATE ON session_usage BEGIN "
            f"{_take('OLD')}; {_add('NEW', 'min', 'max')}; END"
        )
        op.execute(
            f"CREATE TRIGGER trg_usage_rank_delete AFTER DELETE ON session_usage BEGIN {_take('OLD')}; END"
        )
    op.execute(
        "INSERT INTO usage_session_ranks (session_id, first_hour, last_hour, weight, tokens) "
        f"SELECT u.session_id, min(u.hour), max(u.hour), 0, sum({tokens('u')}) "
        "FROM session_usage u GROUP BY u.session_id"
    )


def _postgresql(bind: sa.Connection) -> None:
    op.execute(
        f"""
        CREATE FUNCTION aidis_usage_rank() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_take("OLD")};
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_add("NEW", "LEAST", "GREATEST")};
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_usage_rank AFTER INSERT OR UPDATE OR DELETE ON session_usage "
        "FOR EACH ROW EXECUTE FUNCTION aidis_usage_rank()"
    )
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER}).first():
        op.execute(f"GRANT SELECT ON usage_weights, usage_session_ranks TO {MEMBER}")
        op.execute("ALTER TABLE usage_session_ranks ENABLE ROW LEVEL SECURITY")
        op.execute(  # a rank is as visible as its session (whose own policies apply in the subquery)
            f"CREATE POLICY aidis_read ON usage_session_ranks FOR SELECT TO {MEMBER} USING "
            "(EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id))"
        )
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVER}).first():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON usage_weights, usage_session_ranks TO {SERVER}")
        op.execute(
            f"CREATE POLICY aidis_server ON usage_session_ranks FOR ALL TO {SERVER} "
            "USING (aidis_user() IS NULL) WITH CHECK (aidis_user() IS NULL)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_usage_rank ON session_usage")
        op.execute("DROP FUNCTION IF EXISTS aidis_usage_rank()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_usage_rank_{name}")
    op.drop_table("usage_session_ranks")
    op.drop_table("usage_weights")
