"""Pieces every backend shares: stage facets and the visibility re-check."""

from __future__ import annotations

from collections import Counter

from crowdsourcing.models import Category, District, ProposalState, Question

from ..models import EntryKind
from ..query import FacetValue, Hit
from ..sources import public_queryset, stage_labels


def stage_project_ids(stage: str, stages: dict[int, str]) -> list[int]:
    return sorted(pk for pk, kind in stages.items() if kind == stage)


def stage_facet(project_counts: dict[str, int], stages: dict[int, str]) -> dict:
    """Sum the project facet by each project's current stage."""
    counts: Counter[str] = Counter()
    for project_id, count in project_counts.items():
        stage = stages.get(int(project_id))
        if stage:
            counts[stage] += count
    return dict(counts)


def visible_hits(hits: list[Hit]) -> list[Hit]:
    """Drop hits whose object stopped being public since it was indexed.

    The index is kept in step by the services, but anything that changes
    content outside them (a shell, a bulk update) would otherwise leak until
    the next rebuild; one query per kind on the page of hits closes that.
    """
    visible: set[tuple[str, int]] = set()
    for kind in {hit.kind for hit in hits}:
        ids = [hit.object_id for hit in hits if hit.kind == kind]
        found = public_queryset(kind).filter(pk__in=ids).values_list("pk", flat=True)
        visible.update((kind, pk) for pk in found)
    return [hit for hit in hits if (hit.kind, hit.object_id) in visible]


def facet_choices(
    facets: dict[str, dict[str, int]], filters: dict[str, str]
) -> dict[str, list[FacetValue]]:
    """Label the facet counts for the search page, biggest first."""
    from crowdsourcing.models import Project

    names: dict[str, dict[str, str]] = {
        "type": {value: str(label) for value, label in EntryKind.choices},
        "state": {value: str(label) for value, label in ProposalState.choices},
        "stage": stage_labels(),
    }
    public = Project.objects.public()
    # Only public projects (and their questions) lend a label; a value whose
    # project is not public is left out even if the index still counts it.
    querysets = {
        "project": public,
        "question": Question.objects.filter(project__in=public),
        "category": Category.objects.all(),
        "district": District.objects.all(),
    }
    for name, queryset in querysets.items():
        ids = [int(value) for value in facets.get(name, {})]
        title_field = "title" if name in {"project", "question"} else "name"
        rows = queryset.filter(pk__in=ids).values_list("pk", title_field)
        names[name] = {str(pk): title for pk, title in rows}
    choices = {}
    for name, counts in facets.items():
        labels = names.get(name, {})
        values = [
            FacetValue(
                value=value,
                label=labels.get(value, value),
                count=count,
                selected=filters.get(name) == value,
            )
            for value, count in counts.items()
            if value in labels or name not in {"project", "question"}
        ]
        values.sort(key=lambda v: (-v.count, v.label))
        choices[name] = values
    return choices
