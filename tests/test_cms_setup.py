"""The page tree skeleton is created once and left alone afterwards."""

import pytest
from wagtail.models import Page

from cms.models import HomePage, NewsIndexPage, ProjectIndexPage, StandardPage
from cms.setup import ensure_site_structure

pytestmark = pytest.mark.django_db


def test_skeleton_has_every_section_live_under_home():
    site = ensure_site_structure()

    assert isinstance(site.home, HomePage)
    children = {p.slug: p.specific for p in site.home.get_children().live()}
    assert isinstance(children["proekty"], ProjectIndexPage)
    assert isinstance(children["news"], NewsIndexPage)
    assert {slug: page.title for slug, page in children.items()} == {
        "proekty": "Проекты",
        "news": "Новости",
        "rules": "Правила",
        "help": "Помощь",
        "privacy": "Политика конфиденциальности",
    }
    assert {p.slug for p in site.home.get_children().in_menu()} == {
        "proekty",
        "news",
        "rules",
        "help",
    }


def test_running_it_again_changes_nothing():
    first = ensure_site_structure()
    first.rules.title = "Правила участия"
    first.rules.save_revision().publish()
    count = Page.objects.count()

    second = ensure_site_structure()

    assert Page.objects.count() == count
    assert second.rules.pk == first.rules.pk
    assert StandardPage.objects.get(pk=first.rules.pk).title == "Правила участия"


def test_standard_pages_carry_text_for_residents():
    site = ensure_site_structure()

    assert "удалить аккаунт" in str(site.privacy.body)
    assert "подтвердите адрес" in str(site.help.body)
