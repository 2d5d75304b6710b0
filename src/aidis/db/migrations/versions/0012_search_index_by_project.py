"""SQLite's full-text index knows each context's project, and finds its own rows by key.

Two costs grew with the whole table, not with the work asked for:
- a search scoped to one project walked every match of the query in every project (FTS5 knew no
  project), so a small project's search over a word that is everywhere else took a third of a second
  at 100k contexts; the index now holds a `project_key` token per row, and a search scoped to projects
  holding a minority of the rows intersects it with the query inside FTS5 (`contexts_fts_projects`
  counts each key's rows, so the search can tell; intersecting a key that covers most rows costs more
  than it saves). The counts only choose a plan: a wrong count makes a search slower, never different;
- editing, moving or deleting one context looked its index row up by `context_id`, a column FTS5 does
  not index: a scan of the whole index (36 ms at 100k contexts, per context). A side table
  `contexts_fts_rowids` (context id → index row id, kept by the same triggers) makes it one lookup.

The index rows are rebuilt in the contexts' insertion order, so FTS5's row ids still run oldest to
newest (the search walks them backwards for the newest matches). PostgreSQL is unchanged (its index
is a column of `contexts`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"  # as 0008 made it
PROJECT_KEY = "'p' || replace({row}.project_id, '-', '')"  # one token: unicode61 splits at dashes
ROW_OF = "(SELECT fts_rowid FROM contexts_fts_rowids WHERE context_id = {row}.id)"


COUNT_IN = (
    "INSERT INTO contexts_fts_projects (project_key, rows) VALUES ({key}, 1) "
    "ON CONFLICT (project_key) DO UPDATE SET rows = rows + 1"
)
COUNT_OUT = "UPDATE contexts_fts_projects SET rows = rows - 1 WHERE project_key = {key}"


def _drop() -> None:
    for name in ("insert", "delete", "update", "move"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_contexts_fts_{name}")
    op.execute("DROP TABLE IF EXISTS contexts_fts_projects")
    op.execute("DROP TABLE IF EXISTS contexts_fts_rowids")
    op.execute("DROP TABLE IF EXISTS contexts_fts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    op.execute(
        "CREATE VIRTUAL TABLE contexts_fts USING fts5(context_id UNINDEXED, search_text, project_key, "
        f"tokenize = '{FTS_TOKENIZE}')"
    )
    op.execute(
        "CREATE TABLE contexts_fts_rowids (context_id VARCHAR(36) NOT NULL PRIMARY KEY, "
        "fts_rowid INTEGER NOT NULL) WITHOUT ROWID"
    )
    op.execute(
        "INSERT INTO contexts_fts (context_id, search_text, project_key) "
        f"SELECT id, search_text, {PROJECT_KEY.format(row='contexts')} FROM contexts ORDER BY rowid"
    )
    op.execute(
        "INSERT INTO contexts_fts_rowids (context_id, fts_rowid) SELECT context_id, rowid FROM contexts_fts"
    )
    op.execute(
        "CREATE TABLE contexts_fts_projects (project_key VARCHAR(40) NOT NULL PRIMARY KEY, "
        "rows INTEGER NOT NULL) WITHOUT ROWID"
    )
    op.execute(
        "INSERT INTO contexts_fts_projects (project_key, rows) "
        "SELECT project_key, count(*) FROM contexts_fts GROUP BY project_key"
    )
    new_key, old_key = PROJECT_KEY.format(row="NEW"), PROJECT_KEY.format(row="OLD")
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_insert AFTER INSERT ON contexts BEGIN "
        "INSERT INTO contexts_fts (context_id, search_text, project_key) "
        f"VALUES (NEW.id, NEW.search_text, {PROJECT_KEY.format(row='NEW')}); "
        "INSERT INTO contexts_fts_rowids (context_id, fts_rowid) VALUES (NEW.id, last_insert_rowid()); "
        f"{COUNT_IN.format(key=new_key)}; END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_delete AFTER DELETE ON contexts BEGIN "
        f"DELETE FROM contexts_fts WHERE rowid = {ROW_OF.format(row='OLD')}; "
        "DELETE FROM contexts_fts_rowids WHERE context_id = OLD.id; "
        f"{COUNT_OUT.format(key=old_key)}; END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_update AFTER UPDATE OF search_text, project_id ON contexts BEGIN "
        f"UPDATE contexts_fts SET search_text = NEW.search_text, project_key = {new_key} "
        f"WHERE rowid = {ROW_OF.format(row='NEW')}; END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_move AFTER UPDATE OF project_id ON contexts "
        f"WHEN OLD.project_id IS NOT NEW.project_id BEGIN {COUNT_OUT.format(key=old_key)}; "
        f"{COUNT_IN.format(key=new_key)}; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()  # back to 0008's index: one column, rows found by scanning `context_id`
    op.execute(
        "CREATE VIRTUAL TABLE contexts_fts USING fts5(context_id UNINDEXED, search_text, "
        f"tokenize = '{FTS_TOKENIZE}')"
    )
    op.execute(
        "INSERT INTO contexts_fts (context_id, search_text) SELECT id, search_text FROM contexts ORDER BY rowid"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_insert AFTER INSERT ON contexts BEGIN "
        "INSERT INTO contexts_fts (context_id, search_text) VALUES (NEW.id, NEW.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_delete AFTER DELETE ON contexts BEGIN "
        "DELETE FROM contexts_fts WHERE context_id = OLD.id; END"
    )
    op.execute(
        "CREATE TRIGGER trg_contexts_fts_update AFTER UPDATE OF search_text ON contexts BEGIN "
        "UPDATE contexts_fts SET search_text = NEW.search_text WHERE context_id = NEW.id; END"
    )
