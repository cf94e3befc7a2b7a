"""The demo's editorial pages: announcements, results reports and news.

``load_demo`` calls ``build_demo_pages`` after the demo projects exist. Every
page is found by slug first, so a second run changes nothing an editor wrote.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from crowdsourcing.models import Project, StageKind

from .models import NewsPage, ProjectPage, ResultsPage
from .setup import _rich, ensure_site_structure

logger = logging.getLogger(__name__)


def _publish_child(parent, page):
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing is not None:
        return existing.specific, False
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, True


@transaction.atomic
def build_demo_pages(projects: list[Project]) -> int:
    """Create a ProjectPage per project, a ResultsPage for finished ones.

    Return how many pages were created.
    """
    skeleton = ensure_site_structure()
    created = 0
    for project in projects:
        intro = project.summary or project.title
        if project.attribution:
            intro_html = _rich(intro, "Источник данных: " + project.attribution)
        else:
            intro_html = _rich(intro)
        project_page, made = _publish_child(
            skeleton.projects,
            ProjectPage(
                title=project.title,
                slug=project.slug,
                project=project,
                intro=intro_html,
            ),
        )
        created += made
        if project.stage_window(StageKind.RESULTS) and project.is_finished():
            _page, made = _publish_child(
                project_page,
                ResultsPage(
                    title="Итоги: %s" % project.title,
                    slug="itogi",
                    project=project,
                    intro=_rich(
                        "Итоги голосования подсчитаны платформой по бюллетеням, "
                        "опубликованным в открытых данных. Все цифры ниже "
                        "получены из данных, а не набраны вручную."
                    ),
                ),
            )
            created += made

    news = [
        (
            "demo-news-start",
            "Открыт приём идей для Мадрида",
            "Жители предлагают, как сделать город удобнее. Обсуждение "
            "открыто до конца этапа.",
        ),
        (
            "demo-news-experts",
            "Эксперты начали оценку предложений Боулинг-Грина",
            "Приглашённые эксперты оценивают предложения по трём критериям: "
            "польза, реализуемость и стоимость.",
        ),
    ]
    for slug, title, text in news:
        _page, made = _publish_child(
            skeleton.news,
            NewsPage(
                title=title,
                slug=slug,
                date=timezone.localdate(),
                summary=text,
                body=[("text", _rich(text))],
            ),
        )
        created += made
    logger.info("Demo pages: %s created", created)
    return created
