"""The read side of discovery search: what views and other apps call.

The same functions answer from Elasticsearch or from the database,
depending on ``settings.ELASTICSEARCH_URL`` (see ``search/backends``).
"""

from __future__ import annotations

from .backends import get_backend
from .models import EntryKind
from .query import Hit, SearchQuery, SearchResults, Suggestion

SUGGEST_MIN_LENGTH = 2


def search(query: SearchQuery) -> SearchResults:
    """Return one page of public results with facet counts and highlights."""
    return get_backend().search(query)


def suggest(text: str, limit: int = 8) -> list[Suggestion]:
    """Return titles that complete what the person is typing."""
    text = text.strip()[:100]
    if len(text) < SUGGEST_MIN_LENGTH:
        return []
    return get_backend().suggest(text, limit)


def similar_proposals(proposal, limit: int = 5) -> list[Hit]:
    """Return public proposals most like ``proposal`` (itself excluded).

    For the proposal form (possible duplicates before submitting) and for
    moderators and experts looking for duplicates. A proposal that is not
    indexed (a draft, one awaiting moderation, or one not saved yet) is
    compared by its title and text.
    """
    backend = get_backend()
    if proposal.pk is not None and proposal.is_public:
        found = backend.similar(EntryKind.PROPOSAL, proposal.pk, limit)
        if found:
            return found
    text = "%s %s" % (proposal.title, proposal.body)
    hits = backend.similar_text(text, limit + 1)
    return [hit for hit in hits if hit.object_id != proposal.pk][:limit]
