"""Secrets never reach the database: the one place every text is cleaned before it is written.

Invariant: `<private>…</private>` spans and blocks of recalled memory (`<aidis-recall>…</aidis-recall>`,
which prompt-time recall injected: memory must not feed back into memory) are dropped and credentials are replaced by
`[REDACTED:<kind>]` before any write, for every text field from every surface (contexts and their
tags, session titles and goals, summaries); the caller learns how many of which kind, never the
secret. With AIDIS_REDACTION=refuse such input is refused instead, naming the field.

Why our own patterns: detect-secrets (the best-known library, last released 2024-05) reports the
regex group it matched, not the span (a GitHub token comes back as "ghp"), so it cannot redact, and
it has no Anthropic detector. The patterns below are the token formats the providers document, plus
PEM keys, passwords in URLs and high-entropy values assigned to secret-sounding names; their
detection and false-positive rates are measured on a corpus in tests/services/text/test_redaction.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from aidis.errors import InvalidInput

RECALL_OPEN = "<aidis-recall>"
RECALL_CLOSE = "</aidis-recall>"
# the block as AIDIS writes it, and as an agent may pass it back with its brackets escaped (Gemini CLI
# sends hook context as `&lt;…&gt;`)
RECALLED = re.compile(
    r"(?:<|&lt;)aidis-recall(?:>|&gt;).*?(?:(?:<|&lt;)/aidis-recall(?:>|&gt;)|\Z)", re.IGNORECASE | re.DOTALL
)
PRIVATE = re.compile(r"<private>.*?(?:</private>|\Z)", re.IGNORECASE | re.DOTALL)
PEM = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?(?:-----END \1-----|\Z)", re.DOTALL
)
TOKENS: list[tuple[str, re.Pattern[str]]] = [
    ("aidis_token", re.compile(r"\baidis_pat_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}\b")),
    ("anthropic_key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}\b")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})")),
    ("gitlab_token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("slack_webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,}")),
    ("stripe_key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
]
URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.\-]*://[^/\s:@]+):([^/\s@]{3,})@", re.IGNORECASE)
ASSIGNMENT = re.compile(
    r"""(?ix)
    \b([a-z0-9_.\-]*(?:secret|token|passw(?:or)?d|passwd|pwd|api[_\-]?key|access[_\-]?key|
        private[_\-]?key|client[_\-]?secret|auth[_\-]?key|credentials?)[a-z0-9_.\-]*)
    (["']?\s*[:=]\s*|\s+)(["']?)([^\s"'`,;(){}\[\]<>$]{8,200})\3
    """
)
MASK = "[REDACTED:{}]"


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_secret(value: str, quoted: bool) -> bool:
    """A value assigned to a secret-sounding name that is not a placeholder or a plain word."""
    lowered = value.lower()
    if lowered in {"password", "changeme", "required", "optional", "redacted"} or "redacted" in lowered:
        return False
    if re.fullmatch(r"[a-z_]+(?:\.[a-z_]+)*", value):  # an identifier or attribute, not a value
        return False
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+", value):  # a dotted name (code)
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    return (entropy(value) >= 3.0 and classes >= 2) or (quoted and classes >= 2 and len(value) >= 8)


def strip_recalled(text: str) -> str:
    """`text` without blocks of recalled memory (unchanged when it holds none)."""
    return RECALLED.sub("", text) if "aidis-recall" in text.lower() else text


@dataclass
class Redacted:
    """Clean text and how many of which kind were removed."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)


def redact(text: str) -> Redacted:
    """Drop private spans and replace credentials; the text is returned unchanged when there is none."""
    counts: Counter[str] = Counter()

    def sub(kind: str, pattern: re.Pattern[str], value: str) -> str:
        def one(_: re.Match[str]) -> str:
            counts[kind] += 1
            return MASK.format(kind)

        return pattern.sub(one, value)

    out = sub("private", PRIVATE, strip_recalled(text))
    out = sub("private_key", PEM, out)
    for kind, pattern in TOKENS:
        out = sub(kind, pattern, out)

    def url(match: re.Match[str]) -> str:
        counts["url_password"] += 1
        return f"{match.group(1)}:{MASK.format('url_password')}@"

    out = URL_PASSWORD.sub(url, out)

    def assignment(match: re.Match[str]) -> str:
        value = match.group(4)
        if value.startswith("[REDACTED") or not looks_secret(value, bool(match.group(3))):
            return match.group(0)
        counts["assigned_secret"] += 1
        return f"{match.group(1)}{match.group(2)}{match.group(3)}{MASK.format('assigned_secret')}{match.group(3)}"

    out = ASSIGNMENT.sub(assignment, out)
    return Redacted(out, counts)


class Redactor:
    """Applies the configured policy (`redact` or `refuse`) to named fields."""

    def __init__(self, mode: str = "redact") -> None:
        if mode not in ("redact", "refuse"):
            raise InvalidInput("AIDIS_REDACTION must be redact or refuse", field="AIDIS_REDACTION")
        self.mode = mode

    def clean(self, text: str, field_name: str, counts: Counter[str] | None = None) -> str:
        """`text` without secrets (counting them into `counts`), or InvalidInput in refuse mode."""
        found = redact(text)
        if found.counts and self.mode == "refuse":
            kinds = ", ".join(sorted(found.counts))
            raise InvalidInput(
                f"{field_name} contains what looks like a secret ({kinds}); remove it (or wrap private text in "
                "<private>…</private>, which is dropped). Nothing was changed.",
                field=field_name,
            )
        if counts is not None:
            counts.update(found.counts)
        return found.text

    def clean_optional(
        self, text: str | None, field_name: str, counts: Counter[str] | None = None
    ) -> str | None:
        """`clean` for a field that may be absent."""
        return None if text is None else self.clean(text, field_name, counts)
