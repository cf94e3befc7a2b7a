"""The read side of discovery search: what views and other apps call.

The same functions answer from Elasticsearch or from the database,
depending on ``settings.ELASTICSEARCH_URL`` (see ``search/backends``). The
database entries are kept in step in both cases, so when Elasticsearch does
not answer a read, the database answers it instead of the page failing.
"""

from __future__ import annotations

import logging

from django.db import connection

from .backends import get_backend
from .backends.database import database_backend
from .models import EntryKind
from .query import Hit, SearchQuery, SearchResults, Suggestion

logger = logging.getLogger(__name__)

SUGGEST_MIN_LENGTH = 2


def _ask(method: str, *args):
    backend = get_backend()
    if backend.name != "elasticsearch":
        return getattr(backend, method)(*args)
    from .backends.elastic import UNAVAILABLE

    try:
        return getattr(backend, method)(*args)
    except UNAVAILABLE as error:
        logger.warning(
            "Elasticsearch unavailable (%s), answering from the database",
            error.__class__.__name__,
        )
        return getattr(database_backend(connection.vendor), method)(*args)


def search(query: SearchQuery) -> SearchResults:
    """Return one page of public results with facet counts and highlights."""
    return _ask("search", query)


def suggest(text: str, limit: int = 8) -> list[Suggestion]:
    """Return titles that complete what the person is typing."""
    text = text.strip()[:100]
    if len(text) < SUGGEST_MIN_LENGTH:
        return []
    return _ask("suggest", text, limit)


def similar_proposals(proposal, limit: int = 5) -> list[Hit]:
    """Return public proposals most like ``proposal`` (itself excluded).

    For the proposal form (possible duplicates before submitting) and for
    moderators and experts looking for duplicates. A proposal that is not
    indexed (a draft, one awaiting moderation, or one not saved yet) is
    compared by its title and text.
    """
    if proposal.pk is not None and proposal.is_public:
        found = _ask("similar", EntryKind.PROPOSAL, proposal.pk, limit)
        if found:
            return found
    text = "%s %s" % (proposal.title, proposal.body)
    hits = _ask("similar_text", text, limit + 1)
    return [hit for hit in hits if hit.object_id != proposal.pk][:limit]
