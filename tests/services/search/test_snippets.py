"""Snippets are the text's own words around what matched — folded and stemmed as the index compares
them — highlighted, bounded, and the preview when no word of the query is in the text."""

from __future__ import annotations

from aidis.search_syntax import parse_query
from aidis.services.search import START, STOP, cut


def test_the_matched_words_are_marked_in_the_texts_own_spelling() -> None:
    text = "Retries of the Café import: we RETRY twice, then give up."
    snippet = cut(text, parse_query("cafe retry"), "preview")
    assert f"{START}Café{STOP}" in snippet
    assert f"{START}Retries{STOP}" in snippet and f"{START}RETRY{STOP}" in snippet
    assert f"{START}twice{STOP}" not in snippet


def test_a_path_query_marks_each_part_of_the_path() -> None:
    snippet = cut("the bug is in src/aidis/app.py since Monday", parse_query("src/aidis/app.py"), "p")
    for part in ("src", "aidis", "app", "py"):
        assert f"{START}{part}{STOP}" in snippet
    assert snippet.replace(START, "").replace(STOP, "") == "the bug is in src/aidis/app.py since Monday"


def test_the_window_is_bounded_and_centred_on_the_matches() -> None:
    text = " ".join(["filler"] * 500) + " the needle is here " + " ".join(["more"] * 500)
    snippet = cut(text, parse_query("needle"), "preview", words=10)
    assert f"{START}needle{STOP}" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.split()) <= 10


def test_a_text_without_any_query_word_gets_its_preview() -> None:
    assert cut("nothing related at all", parse_query("billing"), "the preview") == "the preview"


def test_prefix_queries_mark_the_words_they_match() -> None:
    snippet = cut("the importer imported nothing", parse_query("import*"), "p")
    assert f"{START}importer{STOP}" in snippet and f"{START}imported{STOP}" in snippet
