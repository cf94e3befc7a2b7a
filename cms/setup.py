"""Create the skeleton of the page tree; safe to call again.

The demo loader (issue 8) and a fresh installation call
``ensure_site_structure()``. Pages that already exist (found by slug under
the home page) are left as editors made them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from wagtail.models import Page, Site

from .models import HomePage, NewsIndexPage, ProjectIndexPage, StandardPage

logger = logging.getLogger(__name__)


def _rich(*paragraphs: str) -> str:
    return "".join("<p>%s</p>" % p for p in paragraphs)


@dataclass(frozen=True)
class Skeleton:
    home: HomePage
    projects: ProjectIndexPage
    news: NewsIndexPage
    rules: StandardPage
    help: StandardPage
    privacy: StandardPage


def _child(home: Page, slug: str, build) -> Page:
    existing = home.get_children().filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    page = build()
    page.slug = slug
    home.add_child(instance=page)
    page.save_revision().publish()
    logger.info("Created page %s under home %s", page.pk, home.pk)
    return page


def _standard(title: str, intro: str, text: str, in_menu: bool) -> StandardPage:
    return StandardPage(
        title=title,
        intro=intro,
        show_in_menus=in_menu,
        body=[("text", _rich(text))],
    )


@transaction.atomic
def ensure_site_structure() -> Skeleton:
    """Make sure the home page has its sections; return the pages."""
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="Город идей", slug="home"))
        home.save_revision().publish()
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "root_page": home},
        )
    # Not "projects": /projects/ belongs to the crowdsourcing app's views,
    # which are matched before Wagtail's page tree.
    projects = _child(
        home,
        "proekty",
        lambda: ProjectIndexPage(
            title="Проекты",
            show_in_menus=True,
            intro=_rich(
                "Здесь собраны все проекты: идущие сейчас и завершённые, "
                "с календарём этапов и итогами."
            ),
        ),
    )
    news = _child(
        home,
        "news",
        lambda: NewsIndexPage(
            title="Новости",
            show_in_menus=True,
            intro=_rich("Новости проектов, итоги голосований и ход реализации."),
        ),
    )
    rules = _child(
        home,
        "rules",
        lambda: _standard(
            "Правила",
            "Как подать предложение, как его проверяют и как идёт голосование.",
            "Предложение публикуется после проверки модератором. Одно "
            "предложение — одна идея; пишите по существу и уважительно.",
            in_menu=True,
        ),
    )
    help_page = _child(
        home,
        "help",
        lambda: _standard(
            "Помощь",
            "Ответы на частые вопросы участников.",
            "Чтобы участвовать, зарегистрируйтесь и подтвердите адрес "
            "электронной почты. Голосовать можно один раз в каждом "
            "голосовании.",
            in_menu=True,
        ),
    )
    privacy = _child(
        home,
        "privacy",
        lambda: _standard(
            "Политика конфиденциальности",
            "Какие данные мы храним и как вы можете ими управлять.",
            "Мы храним адрес электронной почты, выбранное вами имя и район. "
            "Вы можете скачать свои данные и удалить аккаунт в личном "
            "кабинете; ваши голоса при этом останутся учтены.",
            in_menu=False,
        ),
    )
    return Skeleton(home, projects, news, rules, help_page, privacy)
