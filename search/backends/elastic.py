"""Discovery search on Elasticsearch, through elasticsearch-dsl.

Readers always go through the alias ``<prefix>-discovery``; a rebuild fills
a fresh index and moves the alias in one atomic call. Documents are built
from ``SearchEntry`` rows, which the database keeps in step with the content
in the same transaction, so replaying a failed write only needs the key.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import mark_safe
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.dsl import Q, Search

from ..documents import DiscoveryDocument, build_index
from ..models import EntryKind, SearchEntry
from ..query import (
    Hit,
    SearchQuery,
    SearchResults,
    Sort,
    Suggestion,
)
from ..sources import count_public, project_stages
from ..text import LANGUAGES, query_terms
from .common import stage_facet, stage_project_ids, visible_hits

logger = logging.getLogger(__name__)

# Errors that mean "Elasticsearch did not take the write": the caller queues
# it in the outbox. A 404 on delete is success, handled before this.
UNAVAILABLE = (TransportError, ApiError)

# Field boosts: the language-analysed title first, then the folded title
# (exact word forms), then the bodies.
TEXT_FIELDS = [
    *("title_%s^4" % language for language in LANGUAGES),
    "title^2",
    *("body_%s" % language for language in LANGUAGES),
    "body^0.5",
]
SIMILAR_FIELDS = [
    *("title_%s" % language for language in LANGUAGES),
    *("body_%s" % language for language in LANGUAGES),
]
HIGHLIGHT_FIELDS = [*SIMILAR_FIELDS, "title", "body"]
# Facet name → document field.
FACET_FIELDS = {
    "type": "kind",
    "project": "project",
    "question": "question",
    "category": "category",
    "district": "district",
    "state": "state",
}
FRAGMENT = 220

_client: Elasticsearch | None = None


def get_client() -> Elasticsearch:
    global _client
    if _client is None:
        _client = Elasticsearch(
            settings.ELASTICSEARCH_URL, request_timeout=5, max_retries=1
        )
    return _client


def set_client(client) -> None:
    """Use ``client`` for every call (tests pass a fake or a dead one)."""
    global _client
    _client = client


def alias_name() -> str:
    return "%s-discovery" % settings.SEARCH_INDEX_PREFIX


def build_search(
    query: SearchQuery, index: str, stages: dict[int, str] | None = None
) -> Search:
    """Return the search for ``query``: text, filters, facets, sort, page."""
    search = Search(index=index).extra(track_total_hits=True)
    if query.text:
        search = search.query(
            "multi_match",
            query=query.text,
            fields=TEXT_FIELDS,
            type="cross_fields",
            operator="and",
        )
    for name, value in sorted(query.filters.items()):
        if name == "stage":
            ids = stage_project_ids(value, stages or {})
            search = search.filter("terms", project=[str(pk) for pk in ids])
        else:
            search = search.filter("term", **{FACET_FIELDS[name]: value})
    for name, field in FACET_FIELDS.items():
        search.aggs.bucket(name, "terms", field=field, size=100)
    sort = (
        query.sort
        if query.text
        else (Sort.NEWEST if query.sort == Sort.RELEVANCE else query.sort)
    )
    newest = {"date": {"order": "desc", "missing": "_last"}}
    search = search.sort(
        *{
            Sort.RELEVANCE: ["_score", newest],
            Sort.NEWEST: [newest],
            Sort.SUPPORTED: [{"support_count": {"order": "desc"}}, newest],
        }[sort]
    )
    search = search.highlight_options(
        encoder="html",
        pre_tags=["<mark>"],
        post_tags=["</mark>"],
        fragment_size=FRAGMENT,
        number_of_fragments=1,
    ).highlight(*HIGHLIGHT_FIELDS)
    return search[query.offset : query.offset + query.per_page]


def build_suggest(text: str, index: str, limit: int) -> Search:
    search = Search(index=index).query(
        "multi_match",
        query=text,
        type="bool_prefix",
        fields=["suggest", "suggest._2gram", "suggest._3gram"],
    )
    return search.source(["kind", "object_id", "title", "url"])[: limit * 2]


def build_similar(
    kind: str, object_id: int | None, index: str, limit: int, text: str = ""
) -> Search:
    """More like the indexed document (kind, id), or like ``text`` if given."""
    like = text or {"_index": index, "_id": DiscoveryDocument.doc_id(kind, object_id)}
    search = Search(index=index).query(
        Q(
            "more_like_this",
            fields=SIMILAR_FIELDS,
            like=[like],
            min_term_freq=1,
            min_doc_freq=1,
            max_query_terms=25,
        )
    )
    return search.filter("term", kind=EntryKind.PROPOSAL)[:limit]


def _highlight(hit, prefix: str, fallback: str, fragment: bool):
    found = getattr(hit.meta, "highlight", None)
    if found is not None:
        for name in ("%s_%s" % (prefix, hit.language), prefix):
            if name in found:
                return mark_safe(found[name][0])  # noqa: S308 - ES html encoder
    text = fallback[:FRAGMENT] + ("…" if fragment and len(fallback) > FRAGMENT else "")
    return escape(text if fragment else fallback)


def _hit(hit) -> Hit:
    body = getattr(hit, "body", "") or ""
    return Hit(
        kind=hit.kind,
        object_id=int(hit.object_id),
        title=hit.title,
        url=hit.url,
        language=getattr(hit, "language", ""),
        date=getattr(hit, "date", None),
        title_html=_highlight(hit, "title", hit.title, False),
        highlight=_highlight(hit, "body", body, True),
        score=hit.meta.score or 0.0,
    )


class ElasticsearchBackend:
    name = "elasticsearch"

    def search(self, query: SearchQuery) -> SearchResults:
        if query.text and not query_terms(query.text):
            return SearchResults(query=query, count=0, hits=[], facets={})
        stages = project_stages()
        search = build_search(query, alias_name(), stages)
        response = search.using(get_client()).execute()
        facets = {
            name: {
                str(bucket.key): bucket.doc_count
                for bucket in getattr(response.aggregations, name).buckets
            }
            for name in FACET_FIELDS
        }
        facets["stage"] = stage_facet(facets["project"], stages)
        hits = visible_hits([_hit(hit) for hit in response])
        return SearchResults(
            query=query, count=response.hits.total.value, hits=hits, facets=facets
        )

    def suggest(self, text: str, limit: int) -> list[Suggestion]:
        from .database import suggestions

        response = build_suggest(text, alias_name(), limit).using(get_client())
        rows = [(h.kind, int(h.object_id), h.title, h.url) for h in response.execute()]
        return suggestions(rows, limit)

    def similar(self, kind: str, object_id: int, limit: int) -> list[Hit]:
        search = build_similar(kind, object_id, alias_name(), limit)
        return visible_hits([_hit(hit) for hit in search.using(get_client()).execute()])

    def similar_text(self, text: str, limit: int, exclude=None) -> list[Hit]:
        search = build_similar(EntryKind.PROPOSAL, None, alias_name(), limit, text)
        return visible_hits([_hit(hit) for hit in search.using(get_client()).execute()])

    def write(self, kind: str, object_id: int) -> None:
        """Copy the entry of (kind, id) to Elasticsearch, or delete its doc.

        Raises one of UNAVAILABLE when Elasticsearch does not take it.
        """
        client = get_client()
        entries = SearchEntry.objects.select_related("text")
        entry = entries.filter(kind=kind, object_id=object_id).first()
        doc_id = DiscoveryDocument.doc_id(kind, object_id)
        if entry is None:
            try:
                client.delete(index=alias_name(), id=doc_id, **self.refresh_option())
            except NotFoundError:
                pass
            return
        doc = DiscoveryDocument.from_entry(entry)
        client.index(
            index=alias_name(),
            id=doc_id,
            document=doc.to_dict(),
            **self.refresh_option(),
        )

    @staticmethod
    def refresh_option() -> dict:
        # Tests against a live server need each write visible at once;
        # production leaves refreshing to Elasticsearch's own interval.
        if getattr(settings, "SEARCH_ELASTICSEARCH_REFRESH", False):
            return {"refresh": "wait_for"}
        return {}

    def has_stempel(self) -> bool:
        try:
            plugins = get_client().cat.plugins(format="json")
        except UNAVAILABLE:
            return False
        return any(p.get("component") == "analysis-stempel" for p in plugins)

    def rebuild(self, progress=None) -> str:
        """Fill a fresh index from the entries, then move the alias to it.

        Searches keep reading the old index until the alias moves, in one
        atomic update_aliases call; the old indices are then dropped.
        """
        from elasticsearch.helpers import bulk

        client = get_client()
        alias = alias_name()
        stamp = datetime.now(tz=UTC).strftime("%Y%m%d%H%M%S%f")
        name = "%s-%s" % (alias, stamp)
        stempel = self.has_stempel()
        if not stempel:
            logger.warning(
                "analysis-stempel is missing: Polish is indexed without stemming"
            )
        build_index(name, stempel=stempel).create(using=client)

        def actions():
            entries = SearchEntry.objects.select_related("text").order_by("pk")
            for entry in entries.iterator(chunk_size=2000):
                doc = DiscoveryDocument.from_entry(entry)
                if progress is not None:
                    progress.update(1)
                yield {
                    "_index": name,
                    "_id": doc.meta.id,
                    "_source": doc.to_dict(),
                }

        bulk(client, actions(), chunk_size=1000)
        client.indices.refresh(index=name)
        old = []
        if client.indices.exists_alias(name=alias):
            old = list(client.indices.get_alias(name=alias))
        swap = [{"remove": {"index": index, "alias": alias}} for index in old]
        swap.append({"add": {"index": name, "alias": alias}})
        client.indices.update_aliases(actions=swap)
        for index in old:
            client.indices.delete(index=index)
        return name

    def status(self) -> dict:
        try:
            count = get_client().count(index=alias_name())["count"]
        except UNAVAILABLE as error:
            count = "недоступен: %s" % error.__class__.__name__
        return {
            "backend": self.name,
            "alias": alias_name(),
            "documents": count,
            "public": count_public(),
        }
