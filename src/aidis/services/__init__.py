"""Behaviour and transactions, one subpackage per domain. Surfaces call these; these call repositories.

Domains, lowest first (a domain may call the ones below it, never one above, never a surface):

- `text`        what every text obeys before it is written: redaction of secrets, bounds, normalisation
- `search`      what a query finds: keyword parity, embeddings made in the background, fused ranking
- `projects`    projects, their creation and merges, workspace identities and the workspace resolver
- `handover`    what a new session is told (rendered, and prepared in files for the hook fast path)
- `sessions`    the session lifecycle: start, switching, accounting, moves, reaping, summaries, joining
- `memory`      contexts: store, reads and search, edits, exports and imports, retention
- `agents`      agent hook events and what their transcripts say
- `operations`  back-office jobs: legacy import, backfill, integrity, triage, statistics, demo, schema

`base` (the unit of work every service shares) and `caller` (who is calling) are the kernel all
domains use. See docs/architecture.md for the rule on where a new module goes.
"""
