"""Discovery search on the database: SQLite FTS5 or PostgreSQL text search.

Both keep one ``SearchEntry`` row per public object and differ only in how
the words are stored and matched:

* SQLite: the FTS5 table ``search_fts`` holds the title and body as Snowball
  stems (``search/text.py``), and a query word matches any stem it could
  have in the languages its alphabet allows. Ranked by bm25.
* PostgreSQL: ``search_vector`` is built with the entry's language
  configuration (russian, spanish, english, french). PostgreSQL ships no
  Polish stemmer, so Polish text is stemmed here with Snowball and stored
  under the ``simple`` configuration. Ranked by ts_rank, title weighted A
  and body B.

Facets, highlights, sorting and paging are shared, so both answer alike.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count

from ..models import EntryKind, SearchEntry, SearchEntryText
from ..query import (
    FACET_COLUMNS,
    ID_FACETS,
    Hit,
    SearchQuery,
    SearchResults,
    Sort,
    Suggestion,
)
from ..sources import EntryData, count_public, project_stages
from ..text import (
    ALL_STOPWORDS,
    CYRILLIC_RE,
    fleeting_vowel_stem,
    fold,
    highlight,
    query_terms,
    stem,
    stem_text,
    strip_accents,
    words,
)
from .common import stage_facet, stage_project_ids, visible_hits

logger = logging.getLogger(__name__)

TABLE = SearchEntry._meta.db_table
FRAGMENT = 220
SIMILAR_TERMS = 12

# Exact facet counts of a word found in most documents cost reading every
# matching row: about 120 ms on PostgreSQL for 57,000 matches out of 80,000
# here (bench/search_bench.py), where a few thousand matches take 20 ms. So
# the counts and the page of such large answers are kept in the cache until
# the index next changes; smaller answers are always computed afresh.
CACHE_MIN_MATCHES = 5_000
CACHE_SECONDS = 300
GENERATION_KEY = "crowd:search:generation"


def index_changed() -> None:
    """Retire every cached search answer, now and again after the commit.

    Now: a search running beside the uncommitted write stores its answer
    under the retired generation, where nobody reads it. After the commit:
    an answer computed from the rows as they were before the commit (by a
    search that read the generation in between) is retired too. So a hidden
    proposal leaves the cached facet counts when it leaves the table. The
    hits themselves are re-read and re-checked on every search anyway.
    """
    _next_generation()
    transaction.on_commit(_next_generation, robust=True)


def _next_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache (first write, or evicted)
        cache.set(GENERATION_KEY, 1, timeout=None)


def _answer_key(sql: str, params: list) -> str:
    generation = cache.get(GENERATION_KEY, 0)
    text = "%s|%s|%r" % (connection.settings_dict["NAME"], sql, params)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return "crowd:search:%s:%s" % (generation, digest)


class DatabaseBackend:
    """What both database fallbacks share; subclasses match the words."""

    name = "database"

    # -- writing ---------------------------------------------------------

    def index(self, data: EntryData) -> None:
        index_changed()
        entry, _created = SearchEntry.objects.update_or_create(
            kind=data.kind, object_id=data.object_id, defaults=data.as_fields()
        )
        SearchEntryText.objects.update_or_create(
            entry=entry, defaults={"body": data.body}
        )
        self.write_text([(entry.pk, data)])

    def unindex(self, kind: str, object_id: int) -> None:
        ids = list(
            SearchEntry.objects.filter(kind=kind, object_id=object_id).values_list(
                "pk", flat=True
            )
        )
        index_changed()
        self.delete_text(ids)
        SearchEntry.objects.filter(pk__in=ids).delete()

    def unindex_project_proposals(self, project_id: int) -> None:
        entries = SearchEntry.objects.filter(
            kind=EntryKind.PROPOSAL, project_id=project_id
        )
        index_changed()
        self.delete_text(list(entries.values_list("pk", flat=True)))
        entries.delete()

    @transaction.atomic
    def rebuild(self, entries: Iterable[EntryData], progress=None) -> int:
        """Replace every entry with ``entries`` in one transaction.

        Readers keep seeing the old entries until the commit, which is the
        database's own zero-downtime swap.
        """
        index_changed()
        self.clear_text()
        SearchEntryText.objects.all().delete()
        SearchEntry.objects.all().delete()
        total = 0
        batch: list[EntryData] = []
        for data in entries:
            batch.append(data)
            if len(batch) >= 1000:
                total += self._write_batch(batch, progress)
                batch = []
        if batch:
            total += self._write_batch(batch, progress)
        self.after_rebuild()
        return total

    def after_rebuild(self) -> None:
        """Let the database refresh what it knows about the new rows."""

    def _write_batch(self, batch: list[EntryData], progress) -> int:
        created = SearchEntry.objects.bulk_create(
            SearchEntry(kind=d.kind, object_id=d.object_id, **d.as_fields())
            for d in batch
        )
        pairs = list(zip(created, batch, strict=True))
        SearchEntryText.objects.bulk_create(
            SearchEntryText(entry=entry, body=d.body) for entry, d in pairs
        )
        self.write_text([(entry.pk, d) for entry, d in pairs])
        if progress is not None:
            progress.update(len(batch))
        return len(batch)

    def status(self) -> dict:
        counts = dict.fromkeys(EntryKind.values, 0)
        rows = SearchEntry.objects.values_list("kind").annotate(n=Count("pk"))
        for kind, count in rows.order_by():
            counts[kind] = count
        return {"backend": self.name, "indexed": counts, "public": count_public()}

    # -- reading ---------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        terms = query_terms(query.text)
        match = self.match_clause(query.text) if terms else None
        if query.text and match is None:
            # Only stop words: nothing to look for, and no reason to list all.
            return SearchResults(query=query, count=0, hits=[], facets={})
        stages = project_stages()
        where, params = self.filter_clause(query.filters, stages)
        source, match_where, match_params = self.source(match)
        facets, hits = self.run(
            query, source, match_where + where, match_params + params, match, terms
        )
        count = sum(facets.get("type", {}).values())
        facets["stage"] = stage_facet(facets["project"], stages)
        return SearchResults(query=query, count=count, hits=hits, facets=facets)

    def filter_clause(self, filters: dict[str, str], stages: dict[int, str]):
        where, params = [], []
        for name, value in filters.items():
            if name == "stage":
                ids = stage_project_ids(value, stages) or [-1]
                where.append("e.project_id IN (%s)" % ", ".join(["%s"] * len(ids)))
                params.extend(ids)
            else:
                where.append("e.%s = %%s" % FACET_COLUMNS[name])
                params.append(int(value) if name in ID_FACETS else value)
        return where, params

    def order_sql(self, query: SearchQuery, match) -> str:
        newest = "date DESC NULLS LAST, id DESC"
        if query.sort == Sort.SUPPORTED:
            return "support_count DESC, " + newest
        if query.sort == Sort.NEWEST or match is None:
            return newest
        return "score %s, %s" % (self.score_direction, newest)

    def run(self, query, source, where, params, match, terms, facets=True):
        """Count the facets and pick one page of hits in a single statement.

        The matching rows are gathered once (the CTE), ranked, grouped per
        facet and cut to the page, so the text index is searched only once.
        """
        # Ranking every match costs more than finding it; skip it when the
        # order does not use it.
        ranked = match is not None and query.sort == Sort.RELEVANCE
        score, score_params = self.score(match) if ranked else ("0", [])
        columns = ", ".join("e.%s" % c for c in FACET_COLUMNS.values())
        parts = []
        if facets:
            parts = [
                "SELECT '%s', %s, COUNT(*) FROM m WHERE %s IS NOT NULL GROUP BY %s"
                % (name, self.as_text(column), column, column)
                for name, column in FACET_COLUMNS.items()
            ]
        order = self.order_sql(query, match)
        parts.append(
            "SELECT '#hit', %s, ROW_NUMBER() OVER (ORDER BY %s) FROM "
            "(SELECT id, score, date, support_count FROM m ORDER BY %s "
            "LIMIT %%s OFFSET %%s) AS page" % (self.as_text("id"), order, order)
        )
        sql = (
            "WITH m AS MATERIALIZED (SELECT e.id, %s, e.date, e.support_count, "
            "%s AS score FROM %s%s) %s"
            % (columns, score, source, self.where_sql(where), " UNION ALL ".join(parts))
        )
        params = score_params + params + [query.per_page, query.offset]
        key = _answer_key(sql, params) if facets else None
        cached = cache.get(key) if key else None
        if cached is not None:
            found, page = cached
        else:
            found, page = self.fetch_answer(sql, params)
            if key and sum(found["type"].values()) >= CACHE_MIN_MATCHES:
                cache.set(key, (found, page), timeout=CACHE_SECONDS)
        ids = [pk for _position, pk in sorted(page)]
        entries = SearchEntry.objects.select_related("text").in_bulk(ids)
        hits = [self.make_hit(entries[pk], terms) for pk in ids if pk in entries]
        return found, visible_hits(hits)

    @staticmethod
    def fetch_answer(sql, params):
        """Run the statement of ``run``: facet counts and the page's ids."""
        found: dict[str, dict[str, int]] = {name: {} for name in FACET_COLUMNS}
        page: list[tuple[int, int]] = []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for name, value, count in cursor.fetchall():
                if name == "#hit":
                    page.append((count, int(value)))
                elif value != "":
                    found[name][str(value)] = count
        return found, page

    def make_hit(self, entry: SearchEntry, terms) -> Hit:
        return Hit(
            kind=entry.kind,
            object_id=entry.object_id,
            title=entry.title,
            url=entry.url,
            language=entry.language,
            date=entry.date,
            title_html=highlight(entry.title, terms, entry.language),
            highlight=highlight(entry.body, terms, entry.language, fragment=FRAGMENT),
        )

    def similar(self, kind: str, object_id: int, limit: int) -> list[Hit]:
        """Return public proposals sharing the most distinctive words."""
        entry = SearchEntry.objects.filter(kind=kind, object_id=object_id).first()
        if entry is None:
            return []
        text = "%s %s" % (entry.title, entry.body)
        return self.similar_text(text, limit, exclude=entry.pk)

    def similar_text(
        self, text: str, limit: int, exclude: int | None = None
    ) -> list[Hit]:
        """Return public proposals sharing words with ``text``, best first.

        Any of the first distinctive words may match; bm25 and ts_rank then
        favour proposals sharing more of them, and rarer ones.
        """
        chosen: list[str] = []
        for word in words(text):
            if len(word) >= 4 and word not in ALL_STOPWORDS and word not in chosen:
                chosen.append(word)
            if len(chosen) >= SIMILAR_TERMS:
                break
        match = self.match_clause(" ".join(chosen), any_word=True) if chosen else None
        if match is None:
            return []
        source, where, params = self.source(match)
        where = where + ["e.kind = %s", "e.id <> %s"]
        params = params + [EntryKind.PROPOSAL, exclude or 0]
        query = SearchQuery(text=" ".join(chosen), per_page=limit)
        terms = query_terms(query.text)
        return self.run(query, source, where, params, match, terms, facets=False)[1]

    @staticmethod
    def where_sql(where: list[str]) -> str:
        return (" WHERE " + " AND ".join(where)) if where else ""

    @staticmethod
    def as_text(column: str) -> str:
        return "CAST(%s AS TEXT)" % column


class SQLiteBackend(DatabaseBackend):
    name = "sqlite-fts5"
    # bm25() is negative; the best match is the lowest.
    score_direction = "ASC"

    def write_text(self, rows: list[tuple[int, EntryData]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "DELETE FROM search_fts WHERE rowid = %s", [(pk,) for pk, _d in rows]
            )
            cursor.executemany(
                "INSERT INTO search_fts (rowid, title, body) VALUES (%s, %s, %s)",
                [
                    (pk, stem_text(d.title, d.language), stem_text(d.body, d.language))
                    for pk, d in rows
                ],
            )

    def delete_text(self, ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "DELETE FROM search_fts WHERE rowid = %s", [(pk,) for pk in ids]
            )

    def clear_text(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")

    def match_clause(self, text: str, *, any_word: bool = False, prefix=False):
        """Build an FTS5 expression: every word, as any of its stems."""
        terms = query_terms(text)
        if not terms:
            return None
        groups = []
        for i, stems in enumerate(terms):
            last = prefix and i == len(terms) - 1
            tokens = [
                '"%s"%s' % (s, "*" if last or len(s) >= PREFIX_STEM_LENGTH else "")
                for s in sorted(stems)
            ]
            groups.append("(%s)" % " OR ".join(tokens))
        return (" OR " if any_word else " AND ").join(groups)

    def source(self, match):
        if match is None:
            return TABLE + " e", [], []
        return (
            "search_fts JOIN %s e ON e.id = search_fts.rowid" % TABLE,
            ["search_fts MATCH %s"],
            [match],
        )

    def score(self, match):
        # Title words weigh four times the body's, as the ES field boosts do.
        return "bm25(search_fts, 4.0, 1.0)", []

    def suggest(self, text: str, limit: int) -> list[Suggestion]:
        match = self.match_clause(text, prefix=True)
        if match is None:
            return []
        sql = (
            "SELECT e.kind, e.object_id, e.title, e.url FROM search_fts "
            "JOIN %s e ON e.id = search_fts.rowid WHERE search_fts MATCH %%s "
            "ORDER BY bm25(search_fts, 4.0, 1.0) LIMIT %%s" % TABLE
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ["title : (%s)" % match, limit * 2])
            rows = cursor.fetchall()
        return suggestions(rows, limit)


# PostgreSQL text search configuration per language. There is no Polish one
# in PostgreSQL; Polish is stemmed in Python and stored under "simple".
PG_CONFIGS = {
    "ru": "russian",
    "es": "spanish",
    "en": "english",
    "fr": "french",
    "pl": "simple",
}
LATIN_CONFIGS = ("spanish", "english", "french")
# A stem this long also matches the words that start with it: Snowball gives
# «велосипед» and «велосипедная» different stems («велосипед», «велосипедн»),
# and a resident typing the noun expects the adjective and «велосипедист»
# too. Shorter stems would match too much («дом» → «домашний», «домен»).
PREFIX_STEM_LENGTH = 6


def _long_stem_prefix(match) -> str:
    lexeme = match.group(1)
    if len(lexeme) >= PREFIX_STEM_LENGTH and not match.group(0).endswith(":*"):
        return "'%s':*" % lexeme
    return match.group(0)


LEXEME_RE = re.compile(r"'((?:[^']|'')+)'")
TSQUERY_TERM_RE = re.compile(r"('(?:[^']|'')+')(:\*)?")


def pg_text(text: str, language: str) -> str:
    """Prepare text the way PostgreSQL should see it for ``language``.

    Russian text gets the other stem of each «-ок/-ек» genitive plural
    appended (``fleeting_vowel_stem``), which PostgreSQL's Snowball leaves
    as it is, so «дорожек» in a document matches «дорожки» in a query.
    """
    if language == "pl":
        return stem_text(text, "pl")
    folded = fold(text)
    if language != "ru":
        return strip_accents(folded)
    extra = [
        other
        for word in words(folded)
        if (other := fleeting_vowel_stem(stem(word, "ru")))
    ]
    return " ".join([folded, *extra]) if extra else folded


class PostgreSQLBackend(DatabaseBackend):
    name = "postgresql-fts"
    score_direction = "DESC"

    def __init__(self):
        self._lexemes: dict[tuple[str, str], str] = {}

    def write_text(self, rows: list[tuple[int, EntryData]]) -> None:
        params = []
        for pk, d in rows:
            config = PG_CONFIGS.get(d.language, "simple")
            params.append(
                (
                    config,
                    pg_text(d.title, d.language),
                    config,
                    pg_text(d.body, d.language),
                    pk,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE %s SET search_vector = "
                "setweight(to_tsvector(%%s::regconfig, %%s), 'A') || "
                "setweight(to_tsvector(%%s::regconfig, %%s), 'B') "
                "WHERE id = %%s" % TABLE,
                params,
            )

    def delete_text(self, ids: list[int]) -> None:
        """The vector lives on the entry row, which the caller deletes."""

    def after_rebuild(self) -> None:
        # Fresh statistics keep the planner on the GIN index for rare words
        # and off it for very common ones.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE %s" % TABLE)

    def clear_text(self) -> None:
        """The vectors go with the entry rows."""

    def lexemes(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Return PostgreSQL's query form of each (configuration, word).

        One round trip for the words not seen before; the answers never
        change while the server's dictionaries stay the same, so they are
        kept for the life of the process.
        """
        missing = [pair for pair in dict.fromkeys(pairs) if pair not in self._lexemes]
        if missing:
            values = ", ".join(["(%s, %s)"] * len(missing))
            flat = [item for pair in missing for item in pair]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT v.c, v.w, plainto_tsquery(v.c::regconfig, v.w)::text "
                    "FROM (VALUES %s) AS v(c, w)" % values,
                    flat,
                )
                for config, word, lexeme in cursor.fetchall():
                    self._lexemes[(config, word)] = lexeme
            if len(self._lexemes) > 50_000:
                self._lexemes.clear()
        return {pair: self._lexemes.get(pair, "") for pair in pairs}

    def match_clause(self, text: str, *, any_word: bool = False, prefix=False):
        """Build a tsquery: every word, as any language may stem it.

        A Latin word that is a stop word in any of the languages is dropped
        (the documents in that language do not hold it); Polish is stemmed
        here, as it was when its documents were stored.
        """
        found = words(text)
        kept = [w for w in found if w not in ALL_STOPWORDS] or found
        pairs = []
        for word in kept:
            configs = ("russian",) if CYRILLIC_RE.search(word) else LATIN_CONFIGS
            folded = word if configs == ("russian",) else strip_accents(word)
            pairs.extend((config, folded) for config in configs)
        lexemes = self.lexemes(pairs)
        groups = []
        for i, word in enumerate(kept):
            cyrillic = CYRILLIC_RE.search(word)
            configs = ("russian",) if cyrillic else LATIN_CONFIGS
            folded = word if cyrillic else strip_accents(word)
            options = [lexemes[(config, folded)] for config in configs]
            if not all(options):
                continue
            if cyrillic and (other := fleeting_vowel_stem(stem(word, "ru"))):
                options.append("'%s'" % other)
            if not cyrillic:
                options.append("'%s'" % stem(word, "pl").replace("'", "''"))
            if prefix and i == len(kept) - 1:
                options = [LEXEME_RE.sub(r"'\1':*", option) for option in options]
            else:
                options = [
                    LEXEME_RE.sub(_long_stem_prefix, option) for option in options
                ]
            groups.append("(%s)" % " | ".join(dict.fromkeys(options)))
        if not groups:
            return None
        return (" | " if any_word else " & ").join(groups)

    def source(self, match):
        if match is None:
            return TABLE + " e", [], []
        return TABLE + " e", ["e.search_vector @@ %s::tsquery"], [match]

    def score(self, match):
        return "ts_rank(e.search_vector, %s::tsquery)", [match]

    def suggest(self, text: str, limit: int) -> list[Suggestion]:
        match = self.match_clause(text, prefix=True)
        if match is None:
            return []
        sql = (
            "SELECT e.kind, e.object_id, e.title, e.url FROM %s e "
            "WHERE e.search_vector @@ %%s::tsquery "
            "ORDER BY ts_rank(e.search_vector, %%s::tsquery) DESC LIMIT %%s" % TABLE
        )
        # Weight A marks the title: a suggestion must match its title.
        title_match = TSQUERY_TERM_RE.sub(
            lambda m: "%s:%sA" % (m.group(1), "*" if m.group(2) else ""), match
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [title_match, title_match, limit * 2])
            rows = cursor.fetchall()
        return suggestions(rows, limit)


def suggestions(rows, limit: int) -> list[Suggestion]:
    """Keep the first ``limit`` public suggestions with distinct titles."""
    hits = visible_hits(
        [
            Hit(kind, object_id, title, url, "", None, "", "")
            for kind, object_id, title, url in rows
        ]
    )
    seen: set[str] = set()
    found = []
    for hit in hits:
        if hit.title.lower() in seen:
            continue
        seen.add(hit.title.lower())
        found.append(Suggestion(title=hit.title, url=hit.url, kind=hit.kind))
    return found[:limit]


_BACKENDS: dict[str, DatabaseBackend] = {}


def database_backend(vendor: str) -> DatabaseBackend:
    if vendor not in _BACKENDS:
        classes = {"sqlite": SQLiteBackend, "postgresql": PostgreSQLBackend}
        if vendor not in classes:
            raise NotImplementedError(
                "Discovery search runs on SQLite or PostgreSQL, not %s" % vendor
            )
        _BACKENDS[vendor] = classes[vendor]()
    return _BACKENDS[vendor]
