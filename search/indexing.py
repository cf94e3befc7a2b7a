"""The write side of discovery search, as the services call it.

Services call ``schedule_index`` / ``schedule_unindex`` inside their
transaction:

* Something that stops being public leaves the database index at once, in
  the caller's transaction, so no search sees it after the change commits;
  the Elasticsearch delete follows on commit.
* Something public is (re)indexed on commit, so a rolled-back change never
  reaches the index.
* An Elasticsearch write that fails is kept in the outbox (``OutboxItem``)
  and replayed by ``search_index drain``; the database write it follows is
  never blocked or lost. The commit hooks are ``robust``: an indexing error
  is logged and never turns a committed change into a failed request.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from crowdsourcing.models import Project, Proposal, ProposalState

from .backends.database import database_backend
from .models import EntryKind, OutboxAction, OutboxItem, SearchEntry
from .sources import STAGE_CALENDAR_KEY, entry_for, kind_of, public_queryset

logger = logging.getLogger(__name__)


def _database():
    return database_backend(connection.vendor)


def _is_public(kind: str, instance) -> bool:
    if isinstance(instance, Proposal):
        listed = instance.is_public and instance.state != ProposalState.MERGED
        return listed and instance.project.is_published
    if isinstance(instance, Project):
        return instance.is_published
    return public_queryset(kind).filter(pk=instance.pk).exists()


def schedule_index(instance) -> None:
    """Index ``instance`` after commit if it is public, else remove it now."""
    kind = kind_of(instance)
    if kind is None or instance.pk is None:
        return
    if kind == EntryKind.PROJECT:
        transaction.on_commit(partial(cache.delete, STAGE_CALENDAR_KEY), robust=True)
    if not _is_public(kind, instance):
        schedule_unindex(instance)
        return
    transaction.on_commit(partial(index_now, kind, instance.pk), robust=True)
    if kind == EntryKind.PROJECT:
        # Its proposals were left out while the project was unpublished.
        transaction.on_commit(
            partial(index_project_proposals, instance.pk), robust=True
        )


def schedule_unindex(instance) -> None:
    """Remove ``instance`` from the index before anyone can see the change."""
    kind = kind_of(instance)
    if kind is None or instance.pk is None:
        return
    with transaction.atomic():
        _database().unindex(kind, instance.pk)
        if kind == EntryKind.PROJECT:
            proposal_ids = list(
                SearchEntry.objects.filter(
                    kind=EntryKind.PROPOSAL, project_id=instance.pk
                ).values_list("object_id", flat=True)
            )
            _database().unindex_project_proposals(instance.pk)
        else:
            proposal_ids = []
    if settings.ELASTICSEARCH_URL:
        transaction.on_commit(partial(mirror, kind, instance.pk), robust=True)
        for pk in proposal_ids:
            transaction.on_commit(partial(mirror, EntryKind.PROPOSAL, pk), robust=True)


def index_now(kind: str, object_id: int) -> None:
    """Bring the index in line with the object as it is now."""
    data = entry_for(kind, object_id)
    with transaction.atomic():
        if data is None:
            _database().unindex(kind, object_id)
        else:
            _database().index(data)
    mirror(kind, object_id)


def index_project_proposals(project_id: int) -> None:
    ids = public_queryset(EntryKind.PROPOSAL).filter(project_id=project_id)
    for pk in ids.values_list("pk", flat=True).iterator():
        index_now(EntryKind.PROPOSAL, pk)


def mirror(kind: str, object_id: int) -> bool:
    """Copy the entry to Elasticsearch; queue it in the outbox on failure.

    Returns True when Elasticsearch took the write (or is not configured).
    """
    if not settings.ELASTICSEARCH_URL:
        return True
    from .backends.elastic import UNAVAILABLE, ElasticsearchBackend

    try:
        ElasticsearchBackend().write(kind, object_id)
    except UNAVAILABLE as error:
        entry_exists = SearchEntry.objects.filter(
            kind=kind, object_id=object_id
        ).exists()
        OutboxItem.objects.create(
            kind=kind,
            object_id=object_id,
            action=OutboxAction.INDEX if entry_exists else OutboxAction.DELETE,
            attempts=1,
            last_error=str(error)[:500],
        )
        logger.warning(
            "Elasticsearch unavailable, %s %s queued in the outbox", kind, object_id
        )
        return False
    return True


def drain_outbox(limit: int | None = None) -> tuple[int, int]:
    """Replay queued Elasticsearch writes, oldest first.

    Each key is written once from its current entry, whatever was queued for
    it, and all its items go. Stops at the first failure (Elasticsearch is
    still down) and returns (written, left).
    """
    from .backends.elastic import UNAVAILABLE, ElasticsearchBackend

    backend = ElasticsearchBackend()
    written = 0
    keys = list(
        dict.fromkeys(
            OutboxItem.objects.order_by("pk").values_list("kind", "object_id")
        )
    )
    for kind, object_id in keys[:limit]:
        items = OutboxItem.objects.filter(kind=kind, object_id=object_id)
        try:
            backend.write(kind, object_id)
        except UNAVAILABLE as error:
            items.update(last_error=str(error)[:500])
            first = items.order_by("pk").first()
            if first is not None:
                first.attempts += 1
                first.save(update_fields=["attempts"])
            break
        items.delete()
        written += 1
    return written, OutboxItem.objects.count()
