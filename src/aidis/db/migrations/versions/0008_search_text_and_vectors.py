"""Search that finds the same things on both engines, and by meaning: every context gets the folded
text keyword search indexes (`search_text`, made in Python so SQLite and PostgreSQL see the same
words), both engines' indexes are rebuilt over it, and `context_vectors` holds one embedding per
context, recording the model that made it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

from aidis.db.types import UTCDateTime, UUIDType

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 500
# The folding of aidis.search_syntax.search_text as of this revision, frozen here: a later change to
# the folding comes with its own migration that recomputes the column.
_WORD = re.compile(r"[^\W_]+")
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])['\u2019\u02bc](?=[^\W_])")
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
MISSING_TEXT = "contexts.search_text must be set by AIDIS (aidis.search_syntax.search_text)"
HAS_WORD = "content GLOB '*[A-Za-z0-9]*'"


def _search_text(content: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _INNER_APOSTROPHE.sub("", content))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(folded))


def _backfill() -> None:
    """Fold every existing text, in batches by id (a large database is not held in memory)."""
    bind = op.get_bind()
    last = None
    while True:
        query = "SELECT id, content FROM contexts"
        params: dict[str, object] = {"n": BATCH}
        if last is not None:
            query += " WHERE id > :last"
            params["last"] = last
        rows = bind.execute(sa.text(query + " ORDER BY id LIMIT :n"), params).all()
        if not rows:
            return
        bind.execute(
            sa.text("UPDATE contexts SET search_text = :t WHERE id = :i"),
            [{"t": _search_text(row.content), "i": row.id} for row in rows],
        )
        last = rows[-1].id


def _sqlite_fts(column: str) -> None:
    """(Re)build SQLite's full-text index over `column` and the triggers keeping it in step."""
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_contexts_fts_{name}")
    op.execute("DROP TABLE IF EXISTS contexts_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE contexts_fts USING fts5(context_id UNINDEXED, {column}, "
        f"tokenize = '{FTS_TOKENIZE}')"
    )
    op.execute(f"INSERT INTO contexts_fts (context_id, {column}) SELECT id, {column} FROM contexts")
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_insert AFTER INSERT ON contexts BEGIN "
        f"INSERT INTO contexts_fts (context_id, {column}) VALUES (NEW.id, NEW.{column}); END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_delete AFTER DELETE ON contexts BEGIN "
        "DELETE FROM contexts_fts WHERE context_id = OLD.id; END"
    )
    op.execute(
        f"CREATE TRIGGER trg_contexts_fts_update AFTER UPDATE OF {column} ON contexts BEGIN "
        f"UPDATE contexts_fts SET {column} = NEW.{column} WHERE context_id = NEW.id; END"
    )


def _postgresql_vector(column: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_contexts_search_vector")
    op.execute("ALTER TABLE contexts DROP COLUMN IF EXISTS search_vector")
    op.execute(
        "ALTER TABLE contexts ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('english', {column})) STORED"
    )
    op.execute("CREATE INDEX ix_contexts_search_vector ON contexts USING GIN (search_vector)")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # SQLite adds a NOT NULL column only with a default; a trigger refuses a missing text
        op.add_column(
            "contexts", sa.Column("search_text", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
    else:
        op.add_column("contexts", sa.Column("search_text", sa.Text(), nullable=True))
    _backfill()
    if sqlite:
        for event, when in (("insert", "INSERT"), ("update", "UPDATE OF content, search_text")):
            op.execute(
                f"CREATE TRIGGER trg_contexts_search_text_{event} BEFORE {when} ON contexts "
                f"WHEN NEW.search_text = '' AND NEW.{HAS_WORD} BEGIN "
                f"SELECT RAISE(ABORT, '{MISSING_TEXT}'); END"
            )
        _sqlite_fts("search_text")
    else:
        op.alter_column("contexts", "search_text", nullable=False)
        op.create_check_constraint(
            "ck_contexts_search_text_set", "contexts", "search_text <> '' OR content !~ '[A-Za-z0-9]'"
        )
        _postgresql_vector("search_text")
    op.create_table(
        "context_vectors",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "context_id",
            UUIDType(),
            sa.ForeignKey("contexts.id", ondelete="CASCADE", name="fk_context_vectors_context_id_contexts"),
            nullable=False,
        ),
        sa.Column(
            "project_id",
            UUIDType(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_context_vectors_project_id_projects"),
            nullable=False,
        ),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("embedded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("context_id", name="uq_context_vectors_context_id"),
        sqlite_autoincrement=True,  # ids only grow: readers find new vectors past the largest id seen
    )
    op.create_index("ix_context_vectors_model_id", "context_vectors", ["model", "id"])


def downgrade() -> None:
    op.drop_index("ix_context_vectors_model_id", table_name="context_vectors")
    op.drop_table("context_vectors")
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_contexts_search_text_{event}")
        _sqlite_fts("content")
    else:
        _postgresql_vector("content")
        op.drop_constraint("ck_contexts_search_text_set", "contexts", type_="check")
    op.drop_column("contexts", "search_text")
