"""Redaction: measured on a corpus of fake secrets and ordinary text; applied before every write
(asserted on the database rows), on both engines."""

from __future__ import annotations

import pytest

from aidis.app import AppContext
from aidis.errors import InvalidInput
from aidis.services.caller import Caller
from aidis.services.text.redaction import Redactor, redact
from tests.services.text.redaction_corpus import fake_secrets, ordinary
from tests.support import Database, FakeClock, row_counts


def test_the_corpus_figures() -> None:
    secrets = fake_secrets()
    snippets = ordinary()
    assert len(secrets) >= 50 and len(snippets) >= 200
    caught = [(text, secret) for text, secret in secrets if secret not in redact(text).text]
    missed = [text for text, secret in secrets if secret in redact(text).text]
    flagged = [text for text in snippets if redact(text).counts]
    print(
        f"\nredaction corpus: {len(caught)}/{len(secrets)} secrets removed, "
        f"{len(flagged)}/{len(snippets)} ordinary snippets changed"
    )
    assert not missed, missed
    assert len(flagged) <= len(snippets) // 100, flagged  # at most 1 % false positives


def test_private_spans_are_dropped_and_kinds_counted() -> None:
    found = redact("keep <private>my diary</private> this, and <PRIVATE>unclosed tail")
    assert found.text == "keep [REDACTED:private] this, and [REDACTED:private]"
    assert found.counts == {"private": 2}


def test_a_url_keeps_its_user_and_host() -> None:
    found = redact("postgresql://app:p4ssw0rd-x@db:5432/prod")
    assert found.text == "postgresql://app:[REDACTED:url_password]@db:5432/prod"


def test_refuse_mode_names_the_field_and_never_echoes_the_secret() -> None:
    with pytest.raises(InvalidInput) as info:
        Redactor("refuse").clean("token ghp_" + "a1" * 18, "content")
    assert info.value.field == "content" and "github_token" in info.value.message
    assert "a1a1" not in info.value.message


KEY = "sk-ant-api03-" + "Zx9" * 30
TOKEN = "ghp_" + "Q7w" * 12


async def test_refuse_mode_writes_nothing(app: AppContext, db: Database, clock: FakeClock) -> None:
    from aidis.app import build_app

    strict = build_app(app.settings.model_copy(update={"redaction": "refuse"}), migrate=False, clock=clock)
    try:
        before = row_counts(db.engine)
        with pytest.raises(InvalidInput) as info:
            strict.contexts.store(Caller("c1"), f"here: {KEY}")
        assert info.value.field == "content" and KEY not in info.value.message
        with pytest.raises(InvalidInput) as tagged:
            strict.contexts.store(Caller("c1"), "fine", tags=["ok", TOKEN])
        assert tagged.value.field == "tags[1]"
        assert row_counts(db.engine) == before
    finally:
        strict.close()
