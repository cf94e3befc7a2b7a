"""Text handling shared by every search backend.

Folding, tokenising, stemming, language detection and highlighting live here
so that the SQLite and PostgreSQL fallbacks (and the highlights they return)
agree with each other. Elasticsearch does the same work in its own analysers
(``search/documents.py``); the rules there mirror the ones below.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The languages the real data brings (see shared/data/README.md); Russian is
# the platform's own. Anything else is indexed without stemming.
LANGUAGES: dict[str, str] = {
    "ru": "russian",
    "es": "spanish",
    "en": "english",
    "pl": "polish",
    "fr": "french",
}
DEFAULT_LANGUAGE = "ru"

WORD_RE = re.compile(r"\w+", re.UNICODE)
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")

# Function words dropped from queries. The database fallbacks keep every word
# of a document, so a query word like «в» or «de» would otherwise have to be
# present for a document to match. PostgreSQL uses its own stop lists through
# the language configurations; these short lists serve SQLite.
STOPWORDS: dict[str, frozenset[str]] = {
    "ru": frozenset(
        "а в во и или к ко на не ни о об от по с со у за из для до как что "
        "это то же ли бы же же при про над под без".split()
    ),
    "es": frozenset(
        "a al con de del el en la las los o para por que se un una y".split()
    ),
    "en": frozenset("a an and at for in is of on or the to with by from".split()),
    "pl": frozenset("a i w z na do o od po za że się ze we".split()),
    "fr": frozenset(
        "a au aux de des du en et la le les ou par pour sur un une".split()
    ),
}
ALL_STOPWORDS = frozenset().union(*STOPWORDS.values())


def fold(text: str) -> str:
    """Lower-case ``text`` and fold «ё» into «е» (Russian writers mix them)."""
    return text.lower().replace("ё", "е")


def strip_accents(token: str) -> str:
    """Drop Latin diacritics (café → cafe), keeping Cyrillic letters whole.

    «й» decomposes into «и» plus a breve, and folding it would merge words
    that Russian keeps apart, so Cyrillic is left alone.
    """
    if CYRILLIC_RE.search(token):
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=16)
def _stemmer(language: str):
    return snowballstemmer.stemmer(LANGUAGES[language])


def words(text: str) -> list[str]:
    return WORD_RE.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """Stem a folded word, then strip its accents.

    Stemming comes first because the Snowball rules for Polish, French and
    Spanish expect the accented letters.
    """
    if language in LANGUAGES:
        word = _stemmer(language).stemWord(word)
    return strip_accents(word)


RUSSIAN_CONSONANTS = frozenset("бвгджзклмнпрстфхцчшщ")


def fleeting_vowel_stem(russian_stem: str) -> str | None:
    """Return the stem of the other forms of a «-ок/-ек» genitive plural.

    Snowball leaves «дорожек» whole while «дорожка», «дорожки», «дорожкам»
    all stem to «дорожк»: the vowel that appears only in the genitive plural
    of -ка/-ко nouns is not removed. «остановок» → «остановк», «площадок» →
    «площадк», «скамеек» → «скамейк». Only stems ending in a consonant, «о»
    or «е», and «к» are touched, so other words get at most a stem no word
    has («человек» → «человк»). What would do better: a dictionary stemmer
    (hunspell or a Russian ispell dictionary).
    """
    if len(russian_stem) < 5 or not russian_stem.endswith("к"):
        return None
    if russian_stem.endswith("еек"):
        return russian_stem[:-3] + "ейк"
    if russian_stem[-2] in "ео" and russian_stem[-3] in RUSSIAN_CONSONANTS:
        return russian_stem[:-2] + "к"
    return None


def word_stems(word: str, language: str) -> list[str]:
    """Return the stems a document word is stored under.

    An accented Latin word also gets the stem of its unaccented spelling:
    people type «securisee» for «sécurisée», and the French rules stem the
    two differently. A Russian «-ок/-ек» genitive plural also gets the stem
    of its other forms (``fleeting_vowel_stem``).
    """
    stems = [stem(word, language)]
    if language == "ru":
        other = fleeting_vowel_stem(stems[0])
        if other:
            stems.append(other)
    bare = strip_accents(word)
    if bare != word and not CYRILLIC_RE.search(word):
        other = stem(bare, language)
        if other != stems[0]:
            stems.append(other)
    return stems


def stem_text(text: str, language: str) -> str:
    """Return ``text`` as space-separated stems (what SQLite FTS5 stores)."""
    return " ".join(s for word in words(text) for s in word_stems(word, language))


def query_languages(word: str) -> tuple[str, ...]:
    """Return the languages a query word may belong to, judged by its script.

    Queries are too short to detect a language reliably, so a word is tried
    under every language its alphabet allows: Cyrillic under Russian, Latin
    under the others.
    """
    if CYRILLIC_RE.search(word):
        return ("ru",)
    return ("es", "en", "pl", "fr")


def query_terms(text: str) -> list[frozenset[str]]:
    """Split a query into words, each as the set of its possible stems.

    Stop words are dropped unless the query has nothing else.
    """
    found = words(text)
    kept = [w for w in found if w not in ALL_STOPWORDS] or found
    terms = []
    for word in kept:
        stems = {stem(word, lang) for lang in query_languages(word)}
        if "ru" in query_languages(word):
            stems.add(fleeting_vowel_stem(stem(word, "ru")) or "")
        stems.add(strip_accents(word))
        terms.append(frozenset(s for s in stems if s))
    return terms


def detect_language(text: str, recorded: str = "") -> str:
    """Return the language of ``text``: the recorded one when it fits.

    Importers record the language of each item; residents' own writing gets
    the project's language. A record of Russian on text without a single
    Cyrillic letter is treated as unknown, and py3langid decides among the
    languages this platform stems.
    """
    recorded = (recorded or "").split("-")[0].lower()
    if recorded in LANGUAGES and not (
        recorded == "ru" and text and not CYRILLIC_RE.search(text)
    ):
        return recorded
    if not text.strip():
        return DEFAULT_LANGUAGE
    if CYRILLIC_RE.search(text):
        return "ru"
    return _identifier().classify(text)[0]


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _highlight_words(text: str, stems: frozenset[str], language: str):
    """Yield (start, end) spans of the words of ``text`` whose stem matches."""
    # A stem keeps the start of its word, so words starting differently from
    # every stem are skipped before any stemming: highlighting a page of
    # hits stays cheap even for long bodies.
    starts = {strip_accents(s[:2]) for s in stems}
    for match in WORD_RE.finditer(text):
        word = fold(match.group())
        if strip_accents(word[:2]) not in starts:
            continue
        if stems.intersection(word_stems(word, language)) or (
            strip_accents(word) in stems
        ):
            yield match.start(), match.end()
        elif any(stem(word, lang) in stems for lang in query_languages(word)):
            yield match.start(), match.end()


def all_stems(terms: list[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*terms) if terms else frozenset()


def highlight(
    text: str,
    terms: list[frozenset[str]],
    language: str,
    *,
    fragment: int | None = None,
) -> SafeString:
    """Escape ``text`` and wrap the words that match the query in ``<mark>``.

    With ``fragment``, return only a window of about that many characters
    around the first hit (or the start of the text when nothing matches),
    cut at word boundaries and marked with an ellipsis.
    """
    stems = all_stems(terms)
    spans = list(_highlight_words(text, stems, language)) if stems else []
    start, end = 0, len(text)
    if fragment is not None and len(text) > fragment:
        first = spans[0][0] if spans else 0
        start = max(0, first - fragment // 4)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(text), start + fragment)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
    parts = ["…" if start else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        parts.append(escape(text[cursor:span_start]))
        parts.append("<mark>%s</mark>" % escape(text[span_start:span_end]))
        cursor = span_end
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped
