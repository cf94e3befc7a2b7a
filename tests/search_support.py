"""Fixtures shared by the discovery search tests.

``search_backend`` runs a test on the database fallback of the current
database (SQLite or PostgreSQL) and, when ELASTICSEARCH_URL is set, once
more against that live Elasticsearch server in a throwaway index.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import cache

from crowdsourcing.models import ProposalState
from search.indexing import index_now
from search.models import EntryKind
from search.sources import STAGE_CALENDAR_KEY

from .factories import ProposalFactory

LIVE_ES_URL = os.environ.get("ELASTICSEARCH_URL", "")
NO_ES_REASON = "ELASTICSEARCH_URL is not set: no live Elasticsearch server"


@pytest.fixture(autouse=True)
def fresh_stage_calendar():
    """Each test builds its own projects; forget the cached calendar."""
    cache.delete(STAGE_CALENDAR_KEY)
    yield
    cache.delete(STAGE_CALENDAR_KEY)


@pytest.fixture(
    params=["database", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]
)
def search_backend(request, settings, db):
    if request.param == "database":
        settings.ELASTICSEARCH_URL = ""
        yield "database"
        return
    if not LIVE_ES_URL:
        pytest.skip(NO_ES_REASON)
    from elasticsearch import Elasticsearch

    from search.backends import elastic

    settings.ELASTICSEARCH_URL = LIVE_ES_URL
    settings.SEARCH_INDEX_PREFIX = "test-crowd-%s" % uuid.uuid4().hex[:8]
    settings.SEARCH_ELASTICSEARCH_REFRESH = True
    client = Elasticsearch(LIVE_ES_URL, request_timeout=10)
    elastic.set_client(client)
    elastic.ElasticsearchBackend().rebuild()
    yield "elasticsearch"
    client.indices.delete(index="%s-*" % elastic.alias_name())
    elastic.set_client(None)


def publish(**kwargs):
    """Create a public proposal and index it as the services would."""
    kwargs.setdefault("state", ProposalState.PUBLISHED)
    proposal = ProposalFactory(**kwargs)
    index_now(EntryKind.PROPOSAL, proposal.pk)
    return proposal
