"""Shared builders for the CMS tests: the page tree and project timelines."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cms.models import NewsPage, ProjectPage, ResultsPage
from crowdsourcing.models import StageKind

from .factories import ProjectFactory

DAY = timedelta(days=1)


def calendar(current: str, now=None) -> dict:
    """A six-stage calendar in order, with ``current`` running now.

    Earlier stages are over, later ones are ahead; each window is ten days.
    """
    now = now or timezone.now()
    kinds = list(StageKind.values)
    position = kinds.index(current)
    windows = {}
    for i, kind in enumerate(kinds):
        start = now + (i - position) * 10 * DAY - 5 * DAY
        windows[kind] = (start, start + 10 * DAY)
    return windows


def project_in(stage: str, **kwargs):
    return ProjectFactory(stages=calendar(stage), **kwargs)


def add_project_page(index_page, project, **kwargs) -> ProjectPage:
    page = ProjectPage(
        title=kwargs.pop("title", project.title),
        slug=kwargs.pop("slug", project.slug),
        project=project,
        intro="<p>Расскажите, каким должен стать ваш двор.</p>",
        **kwargs,
    )
    index_page.add_child(instance=page)
    page.save_revision().publish()
    return page


def add_results_page(project_page, **kwargs) -> ResultsPage:
    page = ResultsPage(
        title=kwargs.pop("title", "Итоги проекта"),
        slug=kwargs.pop("slug", "results"),
        project=project_page.project,
        intro="<p>Благодарим всех, кто принял участие.</p>",
        **kwargs,
    )
    project_page.add_child(instance=page)
    page.save_revision().publish()
    return page


def add_news(index_page, title: str, live: bool = True, **kwargs) -> NewsPage:
    page = NewsPage(
        title=title,
        live=live,
        summary=kwargs.pop("summary", "Коротко о главном."),
        body=[("text", "<p>Подробности события.</p>")],
        **kwargs,
    )
    index_page.add_child(instance=page)
    revision = page.save_revision()
    if live:
        revision.publish()
    return page
