"""Turning source text into the plain text our models hold.

Whatever a resident wrote is stored and shown as plain text (DESIGN.md
section 11), so HTML from an export is reduced to its words here: block
elements become line breaks, list items keep a marker, a link keeps its
address, entities are decoded, and nothing of the markup survives. The
parser is Python's own html.parser, which never executes or fetches
anything.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "table",
        "tr",
    }
)
_SKIP = frozenset({"script", "style", "template", "iframe", "object", "noscript"})


def looks_like_html(value: str) -> bool:
    """Tell markup from plain text: a tag or an entity means HTML.

    An HTML field without tags still escapes its ampersands (``&amp;``), and
    plain text almost never holds an entity, so either sign is enough.
    """
    return bool(_TAG.search(value) or _ENTITY.search(value))


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int | None]] = []
        self.skipping = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def _break(self, blank: bool = True) -> None:
        self.parts.append("\n\n" if blank else "\n")

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "br":
            self._break(blank=False)
        elif tag in ("ul", "ol"):
            self.lists.append([1 if tag == "ol" else None])
            self._break(blank=False)
        elif tag == "li":
            self._break(blank=False)
            counter = self.lists[-1] if self.lists else [None]
            if counter[0] is None:
                self.parts.append("• ")
            else:
                self.parts.append("%d. " % counter[0])
                counter[0] += 1
        elif tag in _BLOCKS:
            self._break()
        elif tag == "a":
            self.href = dict(attrs).get("href") or None
            self.link_text = []

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._break()
        elif tag in _BLOCKS:
            self._break()
        elif tag == "a" and self.href:
            text = "".join(self.link_text).strip()
            # Only web addresses are kept: a javascript: or data: link is
            # dropped rather than turned into text that looks like a link.
            if self.href.startswith(("http://", "https://")) and self.href != text:
                self.parts.append(" (%s)" % self.href)
            self.href = None

    def handle_data(self, data):
        if self.skipping:
            return
        self.parts.append(data)
        if self.href is not None:
            self.link_text.append(data)


def html_to_text(value: str) -> str:
    """Return the words of an HTML fragment as plain text with line breaks."""
    collector = _TextCollector()
    collector.feed(value)
    collector.close()
    return tidy("".join(collector.parts))


def tidy(value: str) -> str:
    """Normalise spaces and line breaks; one blank line between paragraphs."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in value.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def to_text(value: str) -> str:
    """Plain text from a field that may or may not hold HTML."""
    return html_to_text(value) if looks_like_html(value) else tidy(value)


def shorten(value: str, limit: int) -> str:
    """Cut ``value`` to ``limit`` characters at a word boundary, with «…»."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def fingerprint(*parts: str) -> str:
    """A key under which texts that differ only in case and spacing match."""
    return "\x1f".join(" ".join(part.casefold().split()) for part in parts)
