"""Text rules: what every text obeys before it is written, whichever domain writes it.

Owns redaction of secrets and `<private>` spans (`redaction`), names people tell apart (`lookalikes`) and the rules of context texts, tags and
topic keys (`rules`). May call: nothing but the kernel. Sessions (titles, goals, summaries) and memory
(contexts) both use it, which is why it sits below them rather than inside memory.
"""

from aidis.services.text.lookalikes import clean_visible, lookalike_of, skeleton
from aidis.services.text.redaction import Redactor, redact
from aidis.services.text.rules import check_content, clean_key, clean_tags, content_hash

__all__ = [
    "Redactor",
    "check_content",
    "clean_key",
    "clean_tags",
    "clean_visible",
    "content_hash",
    "lookalike_of",
    "redact",
    "skeleton",
]
