"""Turn proposals, projects and Wagtail pages into search entries.

This is the one place that decides what is public enough to be indexed and
what text a search sees of each thing.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import strip_tags

from crowdsourcing.models import Project, ProjectStage, Proposal, StageKind

from .models import EntryKind
from .text import detect_language

logger = logging.getLogger(__name__)

MAX_BODY = 20_000


@dataclass(frozen=True)
class EntryData:
    kind: str
    object_id: int
    language: str
    title: str
    body: str
    url: str
    project_id: int | None = None
    question_id: int | None = None
    category_id: int | None = None
    district_id: int | None = None
    state: str = ""
    date: object = None
    support_count: int = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.object_id)

    def as_fields(self) -> dict:
        """Return the SearchEntry columns (the body lives in SearchEntryText)."""
        fields = dict(self.__dict__)
        for name in ("kind", "object_id", "body"):
            fields.pop(name)
        return fields


def kind_of(instance) -> str | None:
    from wagtail.models import Page

    if isinstance(instance, Proposal):
        return EntryKind.PROPOSAL
    if isinstance(instance, Project):
        return EntryKind.PROJECT
    if isinstance(instance, Page):
        return EntryKind.PAGE
    return None


def public_queryset(kind: str) -> models.QuerySet:
    """Return everything of ``kind`` that anyone may see."""
    from wagtail.models import Page

    if kind == EntryKind.PROPOSAL:
        # Listed, not merely public: a merged proposal keeps its page for
        # old links but leaves every list, search included.
        return Proposal.objects.listed()
    if kind == EntryKind.PROJECT:
        return Project.objects.public()
    # Depth 1 is Wagtail's invisible root; everything below it that is live
    # and has no view restriction (password, login, groups) is public.
    return Page.objects.live().public().filter(depth__gt=1)


def proposal_entry(proposal: Proposal, support_count: int) -> EntryData:
    text = f"{proposal.title}\n{proposal.body}"
    return EntryData(
        kind=EntryKind.PROPOSAL,
        object_id=proposal.pk,
        language=detect_language(text, proposal.language),
        title=proposal.title,
        body=proposal.body[:MAX_BODY],
        url=proposal.get_absolute_url(),
        project_id=proposal.project_id,
        question_id=proposal.question_id,
        category_id=proposal.category_id,
        district_id=proposal.district_id,
        state=proposal.state,
        date=proposal.published_at or proposal.created_at,
        support_count=support_count,
    )


def project_entry(project: Project) -> EntryData:
    body = "\n".join(p for p in (project.summary, project.description) if p)
    return EntryData(
        kind=EntryKind.PROJECT,
        object_id=project.pk,
        language=detect_language(f"{project.title}\n{body}", project.language),
        title=project.title,
        body=body[:MAX_BODY],
        url=project.get_absolute_url(),
        project_id=project.pk,
        date=project.created_at,
    )


def page_text(page) -> str:
    """Render the text fields of a specific page as plain text.

    Page types arrive from the CMS without search knowing them, so every
    text, rich text and stream field is read generically; a block that cannot
    be rendered is skipped rather than failing the whole page.
    """
    from wagtail.fields import StreamField
    from wagtail.models import Page

    base_fields = {field.name for field in Page._meta.get_fields()}
    parts = [page.search_description] if page.search_description else []
    for field in page._meta.get_fields():
        if field.name in base_fields:
            continue
        try:
            if isinstance(field, StreamField):
                parts.extend(field.get_searchable_content(getattr(page, field.name)))
            elif isinstance(field, models.TextField):
                value = getattr(page, field.name)
                if value:
                    parts.append(html_to_text(str(value)))
        except Exception:  # noqa: BLE001 - an unknown block must not stop indexing
            logger.warning("Page %s: field %s not indexed", page.pk, field.name)
    return "\n".join(p.strip() for p in parts if p and p.strip())


BLOCK_TAG_RE = re.compile(r"<(?:/?(?:p|h[1-6]|li|div|blockquote|tr)|br)\b[^>]*>")


def html_to_text(value: str) -> str:
    """Return rich text as plain text, one line per block."""
    text = html.unescape(strip_tags(BLOCK_TAG_RE.sub("\n", value)))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def page_entry(page) -> EntryData:
    specific = page.specific
    body = page_text(specific)
    return EntryData(
        kind=EntryKind.PAGE,
        object_id=page.pk,
        language=detect_language(f"{page.title}\n{body}", ""),
        title=page.title,
        body=body[:MAX_BODY],
        url=specific.get_url() or specific.url_path,
        date=page.last_published_at or page.first_published_at,
    )


def with_support(queryset):
    return queryset.annotate(
        support=Count("ratings", filter=Q(ratings__value=1))
    ).select_related("project")


def entry_for(kind: str, object_id: int) -> EntryData | None:
    """Return the entry for one object, or None if it is not public."""
    queryset = public_queryset(kind).filter(pk=object_id)
    if kind == EntryKind.PROPOSAL:
        proposal = with_support(queryset).first()
        return proposal_entry(proposal, proposal.support) if proposal else None
    obj = queryset.first()
    if obj is None:
        return None
    return project_entry(obj) if kind == EntryKind.PROJECT else page_entry(obj)


def iter_entries(batch: int = 2000) -> Iterator[EntryData]:
    """Yield an entry for every public object, for a rebuild."""
    for project in public_queryset(EntryKind.PROJECT).iterator(chunk_size=batch):
        yield project_entry(project)
    proposals = with_support(public_queryset(EntryKind.PROPOSAL)).order_by("pk")
    for proposal in proposals.iterator(chunk_size=batch):
        yield proposal_entry(proposal, proposal.support)
    for page in public_queryset(EntryKind.PAGE).iterator(chunk_size=200):
        yield page_entry(page)


def count_public() -> dict[str, int]:
    return {kind: public_queryset(kind).count() for kind in EntryKind.values}


STAGE_CALENDAR_KEY = "search:stage-calendar"
STAGE_CALENDAR_SECONDS = 60


def stage_calendar() -> list[tuple[int, str, object, object]]:
    """Return (project id, kind, start, end) of every public project's stages.

    Kept in the cache for a minute: calendars change rarely, and every
    search needs them. An edit to a calendar reaches the stage facet within
    that minute; the clock itself is applied fresh on each search.
    """
    calendar = cache.get(STAGE_CALENDAR_KEY)
    if calendar is None:
        calendar = list(
            ProjectStage.objects.filter(project__is_published=True).values_list(
                "project_id", "kind", "starts_at", "ends_at"
            )
        )
        cache.set(STAGE_CALENDAR_KEY, calendar, STAGE_CALENDAR_SECONDS)
    return calendar


def project_stages(at=None) -> dict[int, str]:
    """Map each public project with a started stage to that stage's kind.

    A stage follows the clock, so it is never stored in the index; the stage
    filter and facet are answered through the project instead. The rule is
    Project.current_stage's: the latest stage, by stage order, that started.
    """
    at = at or timezone.now()
    best: dict[int, tuple[int, object, str]] = {}
    for project_id, kind, starts_at, _ends_at in stage_calendar():
        if starts_at > at:
            continue
        rank = (StageKind.order(kind), starts_at, kind)
        if project_id not in best or rank > best[project_id]:
            best[project_id] = rank
    return {project_id: rank[2] for project_id, rank in best.items()}


def stage_labels() -> dict[str, str]:
    return {value: str(label) for value, label in StageKind.choices}
