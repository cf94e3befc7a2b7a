"""Spotting entries that are not a resident's idea: probes and tests.

Public exports of live platforms carry what security scanners and testers
left behind. Two tiers, because a wrong guess must be cheap:

- a *probe* carries unmistakable attack markers (script tags, event
  handler attributes, ``javascript:`` links, SSRF/XSS vocabulary, callback
  domains of scanning tools). It is imported as rejected, with the
  catalogue reason ``probe``.
- a *test entry* only looks like a test (a title starting with "test" or
  "prueba", a Unix timestamp in the title next to the word test, the word
  test in a title whose body is empty or says test again, a body that
  merely repeats a one-word title). It is imported as submitted, so it
  waits in the moderation queue for a person to publish or reject it.

The patterns are kept language-neutral where they can be; a city whose
testers write in another language adds their words to TEST_TITLE.
"""

from __future__ import annotations

import re

PROBE = re.compile(
    r"<\s*/?\s*(script|iframe|svg|img|object|embed)\b"
    r"|\bon(click|error|load|mouseover|focus|submit)\s*="
    r"|\bjavascript\s*:"
    r"|\balert\s*\(\s*\d*\s*\)"
    r"|\b(ssrf|xss|csrf|sqli)\b"
    r"|\bsql\s+injection\b"
    r"|\bunion\s+select\b"
    r"|\bflag\.txt\b"
    r"|\b(interactsh|burpcollaborator|oastify|xfil)\b"
    r"|\bsecurity\s+research\b",
    re.IGNORECASE,
)
TEST_TITLE = re.compile(
    r"^\s*(test\w*|prueba\w*|probando|тест\w*|asdf\w*|qwerty\w*)\b"
    r"|\btest\b.*\b1[0-9]{9}\b",
    re.IGNORECASE,
)
TEST_WORD = re.compile(r"\b(test|testing)\b", re.IGNORECASE)
PROBE_FLAG = "probe"
TEST_FLAG = "test_entry"


def screen(title: str, body: str) -> str | None:
    """Return PROBE_FLAG, TEST_FLAG or None for a proposal's plain text."""
    if PROBE.search(title) or PROBE.search(body):
        return PROBE_FLAG
    if TEST_TITLE.search(title):
        return TEST_FLAG
    if TEST_WORD.search(title) and (not body.strip() or TEST_WORD.search(body)):
        return TEST_FLAG
    words = title.split()
    if len(words) == 1 and body.strip().casefold() == title.strip().casefold():
        return TEST_FLAG
    return None
