"""Implementation status for templates (the proposal and results pages)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from ..models import ImplementationUpdate

register = template.Library()


@dataclass(frozen=True)
class ImplementationView:
    current: ImplementationUpdate | None
    updates: list[ImplementationUpdate]


@register.simple_tag
def implementation_of(proposal) -> ImplementationView:
    """Return the latest status and the updates of ``proposal``, newest first.

    Uses the ``implementation_updates`` prefetch when a list made one
    (cms.results.winners); otherwise three queries for one proposal.
    """
    cache = getattr(proposal, "_prefetched_objects_cache", {})
    if "implementation_updates" in cache:
        updates = list(cache["implementation_updates"])
    else:
        updates = list(
            ImplementationUpdate.objects.for_proposal(proposal)
            .latest_first()
            .prefetch_related("photos__image")
        )
    updates.sort(key=lambda u: (u.happened_on, u.created_at, u.pk), reverse=True)
    return ImplementationView(
        current=updates[0] if updates else None,
        updates=updates,
    )
