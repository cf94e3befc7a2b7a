"""The Elasticsearch mapping of the discovery index (elasticsearch-dsl).

One index holds proposals, projects and pages. Each text is stored twice:
once under a language-neutral analyser (``title``/``body``: case, accent and
«ё» folding, no stemming) and once under the analyser of its own language
(``title_ru``, ``body_es``...), which the query searches together. The
language comes from the import or from detection (``search/text.py``).

Polish stemming needs the ``analysis-stempel`` plugin on every node. Without
it the Polish fields fall back to folding only, and ``search_index rebuild``
says so: see ``polish_analyzer``.
"""

from __future__ import annotations

from elasticsearch.dsl import (
    Date,
    Document,
    Index,
    Integer,
    Keyword,
    Long,
    SearchAsYouType,
    Text,
    analyzer,
    char_filter,
    token_filter,
)

from .text import LANGUAGES

# Russian writers use «е» for «ё» freely; fold before anything else.
yo_folding = char_filter("yo_folding", type="mapping", mappings=["ё => е", "Ё => Е"])

folding = analyzer(
    "discovery_folding",
    tokenizer="standard",
    char_filter=[yo_folding],
    filter=["lowercase", "asciifolding"],
)

# Stop words and stemmers that Elasticsearch ships for these languages.
STEMMED = ("ru", "es", "en", "fr")


# «дорожек» → «дорожк», «скамеек» → «скамейк» after the stemmer, on the index
# and the query side alike: the rule of search/text.py fleeting_vowel_stem,
# which Snowball does not apply to the genitive plural of -ка/-ко nouns.
RUSSIAN_FLEETING_VOWEL = [
    token_filter(
        "russian_fleeting_vowel",
        type="pattern_replace",
        pattern="^(.{2,}[бвгджзклмнпрстфхцчшщ])[ео]к$",
        replacement="$1к",
    ),
    token_filter(
        "russian_fleeting_vowel_ei",
        type="pattern_replace",
        pattern="^(.{2,})еек$",
        replacement="$1ейк",
    ),
]


def _stemmed_analyzer(language: str):
    name = LANGUAGES[language]
    filters = [
        "lowercase",
        token_filter("%s_stop" % name, type="stop", stopwords="_%s_" % name),
        token_filter("%s_stemmer" % name, type="stemmer", language=name),
    ]
    # Latin accents are folded after stemming, as search/text.py does: the
    # Snowball rules expect the accented letters. Cyrillic is left whole.
    if language != "ru":
        filters.append("asciifolding")
    else:
        filters.extend(RUSSIAN_FLEETING_VOWEL)
    return analyzer(
        "discovery_%s" % name,
        tokenizer="standard",
        char_filter=[yo_folding],
        filter=filters,
    )


LANGUAGE_ANALYZERS = {language: _stemmed_analyzer(language) for language in STEMMED}
POLISH_ANALYZER = "discovery_polish"


def polish_analyzer(stempel: bool):
    """Return the Polish analyser, stemmed only if stempel is installed."""
    filters = ["lowercase"]
    if stempel:
        filters.append(token_filter("polish_stop_words", type="polish_stop"))
        filters.append("polish_stem")
    filters.append("asciifolding")
    return analyzer(POLISH_ANALYZER, tokenizer="standard", filter=filters)


def _language_field(language: str) -> Text:
    if language == "pl":
        return Text(analyzer=POLISH_ANALYZER)
    return Text(analyzer=LANGUAGE_ANALYZERS[language])


class DiscoveryDocument(Document):
    """A public proposal, project or page, built from its SearchEntry."""

    kind = Keyword()
    object_id = Long()
    language = Keyword()
    title = Text(analyzer=folding, fields={"raw": Keyword(ignore_above=300)})
    body = Text(analyzer=folding)
    suggest = SearchAsYouType(analyzer=folding)
    url = Keyword(index=False)
    project = Keyword()
    question = Keyword()
    category = Keyword()
    district = Keyword()
    state = Keyword()
    date = Date()
    support_count = Integer()

    title_ru = _language_field("ru")
    body_ru = _language_field("ru")
    title_es = _language_field("es")
    body_es = _language_field("es")
    title_en = _language_field("en")
    body_en = _language_field("en")
    title_pl = _language_field("pl")
    body_pl = _language_field("pl")
    title_fr = _language_field("fr")
    body_fr = _language_field("fr")

    @classmethod
    def doc_id(cls, kind: str, object_id: int) -> str:
        return "%s-%s" % (kind, object_id)

    @classmethod
    def from_entry(cls, entry) -> DiscoveryDocument:
        """Build the document from a SearchEntry (or EntryData)."""
        fields = {
            "kind": entry.kind,
            "object_id": entry.object_id,
            "language": entry.language,
            "title": entry.title,
            "body": entry.body,
            "suggest": entry.title,
            "url": entry.url,
            "project": _key(entry.project_id),
            "question": _key(entry.question_id),
            "category": _key(entry.category_id),
            "district": _key(entry.district_id),
            "state": entry.state or None,
            "date": entry.date,
            "support_count": entry.support_count,
        }
        if entry.language in LANGUAGES:
            fields["title_%s" % entry.language] = entry.title
            fields["body_%s" % entry.language] = entry.body
        doc = cls(**{key: value for key, value in fields.items() if value is not None})
        doc.meta.id = cls.doc_id(entry.kind, entry.object_id)
        return doc


def _key(value) -> str | None:
    return None if value is None else str(value)


def build_index(name: str, *, stempel: bool) -> Index:
    """Return the index definition (settings, analysis and mapping)."""
    index = Index(name)
    index.settings(number_of_shards=1, number_of_replicas=0)
    index.analyzer(polish_analyzer(stempel))
    index.document(DiscoveryDocument)
    return index
