"""Show what residents write as text: never as HTML.

Every proposal, comment, flag note and decision note passes through
``render_resident_text`` wherever it reaches a page, the admin or an HTML
e-mail (the template filter ``resident_text`` is the same function). The text
is escaped first, then web addresses become links and line breaks are kept;
nh3 (a maintained sanitiser) cleans the result once more, so a mistake in the
first two steps still cannot let markup through.
"""

from __future__ import annotations

import nh3
from django.utils.html import linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"a", "br", "p"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_resident_text(value: object) -> SafeString:
    """Return ``value`` as safe HTML: escaped, with links and paragraphs."""
    if value is None:
        return mark_safe("")
    text = str(value)
    # urlize escapes everything that is not a link it makes; it only links
    # http(s), www. and e-mail addresses, so "javascript:" stays plain text.
    html = urlize(text, nofollow=True, autoescape=True)
    html = linebreaks(html, autoescape=False)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 just above


def plain_excerpt(value: object, length: int = 200) -> str:
    """Return a one-line excerpt for lists; the template escapes it."""
    text = " ".join(str(value or "").split())
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"
