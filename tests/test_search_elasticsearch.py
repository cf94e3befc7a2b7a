"""The Elasticsearch side without a server: mapping, analysers, query bodies,
and the outbox that keeps writes when Elasticsearch is down.

The live-server behaviour runs in test_search_database.py (its
``elasticsearch`` variants) when ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch

from crowdsourcing.models import ProposalState
from search.backends import elastic
from search.backends.elastic import build_search, build_similar, build_suggest
from search.documents import DiscoveryDocument, build_index
from search.indexing import drain_outbox, index_now, schedule_index
from search.models import EntryKind, OutboxItem, SearchEntry
from search.query import SearchQuery, Sort
from search.sources import EntryData

from .factories import ProposalFactory
from .search_support import (
    LIVE_ES_URL,
    NO_ES_REASON,
    fresh_stage_calendar,  # noqa: F401
)

FOLDING = {
    "tokenizer": "standard",
    "char_filter": ["yo_folding"],
    "filter": ["lowercase", "asciifolding"],
    "type": "custom",
}


def stemmed(name: str, fold_accents: bool = True) -> dict:
    filters = ["lowercase", "%s_stop" % name, "%s_stemmer" % name]
    if fold_accents:
        filters.append("asciifolding")
    else:
        filters.extend(["russian_fleeting_vowel", "russian_fleeting_vowel_ei"])
    return {
        "tokenizer": "standard",
        "char_filter": ["yo_folding"],
        "filter": filters,
        "type": "custom",
    }


def test_index_analysis_with_stempel():
    """Each language has its analyser; «ё» folds to «е» before tokenising."""
    settings = build_index("crowd-discovery-1", stempel=True).to_dict()["settings"]

    assert settings["number_of_shards"] == 1
    analysis = settings["analysis"]
    assert analysis["char_filter"] == {
        "yo_folding": {"type": "mapping", "mappings": ["ё => е", "Ё => Е"]}
    }
    assert analysis["analyzer"] == {
        "discovery_folding": FOLDING,
        "discovery_russian": stemmed("russian", fold_accents=False),
        "discovery_spanish": stemmed("spanish"),
        "discovery_english": stemmed("english"),
        "discovery_french": stemmed("french"),
        "discovery_polish": {
            "tokenizer": "standard",
            "filter": ["lowercase", "polish_stop_words", "polish_stem", "asciifolding"],
            "type": "custom",
        },
    }
    assert analysis["filter"]["polish_stop_words"] == {"type": "polish_stop"}
    assert analysis["filter"]["russian_stop"] == {
        "type": "stop",
        "stopwords": "_russian_",
    }
    assert analysis["filter"]["russian_stemmer"] == {
        "type": "stemmer",
        "language": "russian",
    }
    assert analysis["filter"]["russian_fleeting_vowel"] == {
        "type": "pattern_replace",
        "pattern": "^(.{2,}[бвгджзклмнпрстфхцчшщ])[ео]к$",
        "replacement": "$1к",
    }
    assert analysis["filter"]["russian_fleeting_vowel_ei"] == {
        "type": "pattern_replace",
        "pattern": "^(.{2,})еек$",
        "replacement": "$1ейк",
    }


def test_polish_falls_back_to_folding_without_stempel():
    """Without analysis-stempel Polish is folded but not stemmed."""
    analysis = build_index("x", stempel=False).to_dict()["settings"]["analysis"]

    assert analysis["analyzer"]["discovery_polish"] == {
        "tokenizer": "standard",
        "filter": ["lowercase", "asciifolding"],
        "type": "custom",
    }
    assert "polish_stop_words" not in analysis["filter"]


def test_mapping():
    """Facets are keywords, texts go per language, titles autocomplete."""
    properties = build_index("x", stempel=True).to_dict()["mappings"]["properties"]

    assert properties == {
        "kind": {"type": "keyword"},
        "object_id": {"type": "long"},
        "language": {"type": "keyword"},
        "title": {
            "type": "text",
            "analyzer": "discovery_folding",
            "fields": {"raw": {"type": "keyword", "ignore_above": 300}},
        },
        "body": {"type": "text", "analyzer": "discovery_folding"},
        "suggest": {"type": "search_as_you_type", "analyzer": "discovery_folding"},
        "url": {"type": "keyword", "index": False},
        "project": {"type": "keyword"},
        "question": {"type": "keyword"},
        "category": {"type": "keyword"},
        "district": {"type": "keyword"},
        "state": {"type": "keyword"},
        "date": {"type": "date"},
        "support_count": {"type": "integer"},
        "title_ru": {"type": "text", "analyzer": "discovery_russian"},
        "body_ru": {"type": "text", "analyzer": "discovery_russian"},
        "title_es": {"type": "text", "analyzer": "discovery_spanish"},
        "body_es": {"type": "text", "analyzer": "discovery_spanish"},
        "title_en": {"type": "text", "analyzer": "discovery_english"},
        "body_en": {"type": "text", "analyzer": "discovery_english"},
        "title_pl": {"type": "text", "analyzer": "discovery_polish"},
        "body_pl": {"type": "text", "analyzer": "discovery_polish"},
        "title_fr": {"type": "text", "analyzer": "discovery_french"},
        "body_fr": {"type": "text", "analyzer": "discovery_french"},
    }


def test_document_from_entry_fills_its_language_fields():
    """A Spanish entry fills title_es/body_es and the neutral fields only."""
    entry = EntryData(
        kind=EntryKind.PROPOSAL,
        object_id=7,
        language="es",
        title="Carriles bici",
        body="Más carriles",
        url="/proposals/7/",
        project_id=3,
        question_id=4,
        category_id=None,
        district_id=9,
        state="published",
        date=datetime(2026, 5, 1, 9, 30, tzinfo=UTC),
        support_count=12,
    )

    doc = DiscoveryDocument.from_entry(entry)

    assert doc.meta.id == "proposal-7"
    assert doc.to_dict() == {
        "kind": "proposal",
        "object_id": 7,
        "language": "es",
        "title": "Carriles bici",
        "body": "Más carriles",
        "suggest": "Carriles bici",
        "url": "/proposals/7/",
        "project": "3",
        "question": "4",
        "district": "9",
        "state": "published",
        "date": datetime(2026, 5, 1, 9, 30, tzinfo=UTC),
        "support_count": 12,
        "title_es": "Carriles bici",
        "body_es": "Más carriles",
    }


FACET_AGGS = {
    name: {"terms": {"field": field, "size": 100}}
    for name, field in [
        ("type", "kind"),
        ("project", "project"),
        ("question", "question"),
        ("category", "category"),
        ("district", "district"),
        ("state", "state"),
    ]
}
HIGHLIGHT = {
    "fields": {
        name: {}
        for name in [
            "title_ru",
            "title_es",
            "title_en",
            "title_pl",
            "title_fr",
            "body_ru",
            "body_es",
            "body_en",
            "body_pl",
            "body_fr",
            "title",
            "body",
        ]
    },
    "encoder": "html",
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "fragment_size": 220,
    "number_of_fragments": 1,
}
NEWEST = {"date": {"order": "desc", "missing": "_last"}}


def test_query_body_with_text_filters_stage_and_page():
    """Full text with boosts, filters (stage through its projects), page 2."""
    query = SearchQuery(
        text="велосипедные дорожки",
        filters={"category": "3", "stage": "voting"},
        page=2,
    )

    body = build_search(
        query, "crowd-discovery", {5: "voting", 6: "results", 7: "voting"}
    )

    assert body.to_dict() == {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"category": "3"}},
                    {"terms": {"project": ["5", "7"]}},
                ],
                "must": [
                    {
                        "multi_match": {
                            "query": "велосипедные дорожки",
                            "fields": [
                                "title_ru^4",
                                "title_es^4",
                                "title_en^4",
                                "title_pl^4",
                                "title_fr^4",
                                "title^2",
                                "body_ru",
                                "body_es",
                                "body_en",
                                "body_pl",
                                "body_fr",
                                "body^0.5",
                            ],
                            "operator": "and",
                            "type": "cross_fields",
                        }
                    }
                ],
            }
        },
        "aggs": FACET_AGGS,
        "sort": ["_score", NEWEST],
        "track_total_hits": True,
        "from": 20,
        "size": 20,
        "highlight": HIGHLIGHT,
    }


def test_query_body_without_text_sorts_newest_and_by_support():
    """No words: match everything, newest first; "supported" sorts by count."""
    browse = build_search(SearchQuery(), "crowd-discovery").to_dict()
    supported = build_search(
        SearchQuery(text="парк", sort=Sort.SUPPORTED, filters={"type": "proposal"}),
        "crowd-discovery",
    ).to_dict()

    assert "query" not in browse
    assert browse["sort"] == [NEWEST]
    assert (browse["from"], browse["size"]) == (0, 20)
    assert supported["sort"] == [{"support_count": {"order": "desc"}}, NEWEST]
    assert supported["query"]["bool"]["filter"] == [{"term": {"kind": "proposal"}}]


def test_suggest_and_similar_bodies():
    """Autocomplete uses search_as_you_type; similar uses more_like_this."""
    assert build_suggest("велосипе", "crowd-discovery", 8).to_dict() == {
        "query": {
            "multi_match": {
                "query": "велосипе",
                "fields": ["suggest", "suggest._2gram", "suggest._3gram"],
                "type": "bool_prefix",
            }
        },
        "size": 16,
        "_source": ["kind", "object_id", "title", "url"],
    }
    assert build_similar("proposal", 12, "crowd-discovery", 5).to_dict() == {
        "query": {
            "bool": {
                "filter": [{"term": {"kind": "proposal"}}],
                "must": [
                    {
                        "more_like_this": {
                            "like": [
                                {"_index": "crowd-discovery", "_id": "proposal-12"}
                            ],
                            "fields": [
                                "title_ru",
                                "title_es",
                                "title_en",
                                "title_pl",
                                "title_fr",
                                "body_ru",
                                "body_es",
                                "body_en",
                                "body_pl",
                                "body_fr",
                            ],
                            "max_query_terms": 25,
                            "min_doc_freq": 1,
                            "min_term_freq": 1,
                        }
                    }
                ],
            }
        },
        "size": 5,
    }


class FakeElasticsearch:
    """Records writes the way a healthy server would take them."""

    def __init__(self):
        self.indexed: dict[str, dict] = {}
        self.deleted: list[str] = []

    def index(self, *, index, id, document, **options):  # noqa: A002
        self.indexed[id] = {"index": index, **document}

    def delete(self, *, index, id, **options):  # noqa: A002
        self.deleted.append(id)


@pytest.fixture
def search_down(settings):
    """Elasticsearch configured but unreachable: a real refused connection."""
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.SEARCH_INDEX_PREFIX = "crowd"
    elastic.set_client(
        Elasticsearch("http://127.0.0.1:9", max_retries=0, request_timeout=0.5)
    )
    yield
    elastic.set_client(None)


def test_outbox_keeps_writes_while_search_is_down_and_drains(
    db, search_down, django_capture_on_commit_callbacks
):
    """The proposal is saved and queued while ES is down, then sent once it is back."""
    proposal = ProposalFactory(title="Каток в парке", state=ProposalState.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        proposal.transition_to(ProposalState.PUBLISHED)
        proposal.save()
        schedule_index(proposal)

    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PUBLISHED
    assert SearchEntry.objects.filter(object_id=proposal.pk).exists()
    assert list(OutboxItem.objects.values_list("kind", "object_id", "action")) == [
        ("proposal", proposal.pk, "index")
    ]
    assert drain_outbox() == (0, 1)
    assert OutboxItem.objects.get().attempts == 2

    fake = FakeElasticsearch()
    elastic.set_client(fake)

    assert drain_outbox() == (1, 0)
    assert list(fake.indexed) == ["proposal-%d" % proposal.pk]
    sent = fake.indexed["proposal-%d" % proposal.pk]
    assert sent["index"] == "crowd-discovery"
    assert (sent["title"], sent["title_ru"], sent["state"]) == (
        "Каток в парке",
        "Каток в парке",
        "published",
    )


def test_outbox_replays_a_delete(db, search_down, django_capture_on_commit_callbacks):
    """Hiding while ES is down queues a delete; the drain sends it."""
    proposal = ProposalFactory(title="Фонтан у театра")
    index_now(EntryKind.PROPOSAL, proposal.pk)
    OutboxItem.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        proposal.transition_to(ProposalState.HIDDEN)
        proposal.save()
        schedule_index(proposal)

    assert not SearchEntry.objects.filter(object_id=proposal.pk).exists()
    assert list(OutboxItem.objects.values_list("action", flat=True)) == ["delete"]
    fake = FakeElasticsearch()
    elastic.set_client(fake)

    assert drain_outbox() == (1, 0)
    assert fake.deleted == ["proposal-%d" % proposal.pk]


def test_healthy_search_leaves_the_outbox_empty(db, settings):
    """With Elasticsearch answering, writes go straight through."""
    settings.ELASTICSEARCH_URL = "http://es.invalid:9200"
    fake = FakeElasticsearch()
    elastic.set_client(fake)
    try:
        proposal = ProposalFactory(title="Сквер")
        index_now(EntryKind.PROPOSAL, proposal.pk)
    finally:
        elastic.set_client(None)

    assert list(fake.indexed) == ["proposal-%d" % proposal.pk]
    assert OutboxItem.objects.count() == 0


@pytest.mark.elasticsearch
def test_live_server_rebuild_swaps_the_alias(db, settings):
    """A rebuild creates a new index and moves the alias onto it."""
    if not LIVE_ES_URL:
        pytest.skip(NO_ES_REASON)
    settings.ELASTICSEARCH_URL = LIVE_ES_URL
    settings.SEARCH_INDEX_PREFIX = "test-crowd-alias"
    client = Elasticsearch(LIVE_ES_URL)
    elastic.set_client(client)
    try:
        backend = elastic.ElasticsearchBackend()
        first = backend.rebuild()
        second = backend.rebuild()
        assert list(client.indices.get_alias(name=elastic.alias_name())) == [second]
        assert not client.indices.exists(index=first)
    finally:
        client.indices.delete(index="test-crowd-alias-*")
        elastic.set_client(None)


def test_similar_body_for_unsaved_text():
    """An unsaved draft is compared by its text, not by a document id."""
    body = build_similar(
        "proposal", None, "crowd-discovery", 3, "Крытый каток"
    ).to_dict()

    assert body["query"]["bool"]["must"][0]["more_like_this"]["like"] == [
        "Крытый каток"
    ]
    assert body["size"] == 3


def test_reads_fall_back_to_the_database_when_search_is_down(db, search_down):
    """With Elasticsearch unreachable the page still answers, from the database."""
    from search.engine import search

    proposal = ProposalFactory(title="Каток в Сокольниках")
    index_now(EntryKind.PROPOSAL, proposal.pk)

    results = search(SearchQuery(text="каток"))

    assert [hit.object_id for hit in results.hits] == [proposal.pk]
