"""Menus, breadcrumbs, sitemap, feeds and share tags show public content only."""

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from cms.models import StandardPage
from cms.setup import ensure_site_structure
from crowdsourcing.models import ProposalState, StageKind

from .cms_helpers import add_news, add_project_page, project_in
from .factories import ProposalFactory, QuestionFactory

pytestmark = pytest.mark.django_db

S = ProposalState


@pytest.fixture
def site():
    return ensure_site_structure()


def restrict(page):
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )


def main_nav(html: str) -> str:
    start = html.index('class="main-nav"')
    return html[start : html.index("</nav>", start)]


@pytest.fixture
def mixed_content(site):
    """Public and non-public things side by side."""
    draft_menu_page = StandardPage(
        title="Черновик в меню",
        slug="draft-menu",
        show_in_menus=True,
        live=False,
        body=[("text", "<p>.</p>")],
    )
    site.home.add_child(instance=draft_menu_page)
    draft_menu_page.save_revision()
    private_menu_page = StandardPage(
        title="Только для своих",
        slug="private-menu",
        show_in_menus=True,
        body=[("text", "<p>.</p>")],
    )
    site.home.add_child(instance=private_menu_page)
    private_menu_page.save_revision().publish()
    restrict(private_menu_page)

    public_news = add_news(site.news, "Открыт приём предложений")
    add_news(site.news, "Черновик новости", live=False)
    private_news = add_news(site.news, "Закрытая новость")
    restrict(private_news)

    project = project_in(StageKind.DISCUSSION, slug="dvory", title="Дворы")
    hidden_project = project_in(
        StageKind.DISCUSSION,
        slug="skrytyj",
        title="Неопубликованный",
        is_published=False,
    )
    question = QuestionFactory(project=project)
    now = timezone.now()
    published = ProposalFactory(
        question=question,
        title="Лавочки у подъездов",
        body="Поставить лавочки <script>alert(1)</script> у каждого подъезда.",
        published_at=now,
    )
    others = {
        state: ProposalFactory(
            question=question, state=state, title=f"Состояние {state}"
        )
        for state in (S.HIDDEN, S.REJECTED, S.SUBMITTED, S.DRAFT)
    }
    in_hidden_project = ProposalFactory(
        question=QuestionFactory(project=hidden_project),
        title="Из неопубликованного проекта",
        published_at=now,
    )
    return {
        "public_news": public_news,
        "private_news": private_news,
        "project": project,
        "hidden_project": hidden_project,
        "published": published,
        "others": others,
        "in_hidden_project": in_hidden_project,
        "draft_menu_page": draft_menu_page,
        "private_menu_page": private_menu_page,
    }


def test_main_menu_shows_live_public_pages_marked_for_menus(
    client, site, mixed_content
):
    nav = main_nav(client.get("/").content.decode())

    for title in ("Проекты", "Новости", "Правила", "Помощь"):
        assert f">{title}</a>" in nav
    assert "Политика конфиденциальности" not in nav  # not marked for menus
    assert "Черновик в меню" not in nav
    assert "Только для своих" not in nav


def test_menu_marks_the_current_section(client, site):
    news = add_news(site.news, "Итоги недели")
    nav = main_nav(client.get(news.url).content.decode())

    assert f'<a href="{site.news.url}" aria-current="page">Новости</a>' in nav


def test_breadcrumbs_lead_from_home_to_the_page(client, site):
    news = add_news(site.news, "Итоги недели")
    html = client.get(news.url).content.decode()
    trail = html[
        html.index('class="breadcrumbs') : html.index(
            "</nav>", html.index('class="breadcrumbs')
        )
    ]

    assert trail.index('href="/">Главная') < trail.index(
        f'href="{site.news.url}">Новости'
    )
    assert '<li aria-current="page">Итоги недели</li>' in trail


def test_sitemap_lists_only_public_pages_projects_and_proposals(
    client, site, mixed_content
):
    xml = client.get("/sitemap.xml").content.decode()

    assert mixed_content["public_news"].url in xml
    assert site.privacy.url in xml
    assert "/draft-menu/" not in xml
    assert "/private-menu/" not in xml
    assert mixed_content["private_news"].url not in xml
    assert "chernovik-novosti" not in xml and "Черновик" not in xml
    assert mixed_content["project"].get_absolute_url() in xml
    assert mixed_content["hidden_project"].get_absolute_url() not in xml
    assert mixed_content["published"].get_absolute_url() + "<" in xml
    for proposal in mixed_content["others"].values():
        assert proposal.get_absolute_url() + "<" not in xml
    assert mixed_content["in_hidden_project"].get_absolute_url() + "<" not in xml


@pytest.mark.parametrize("path", ["/feeds/news/", "/feeds/news/atom/"])
def test_news_feeds_carry_only_live_public_news(client, site, mixed_content, path):
    response = client.get(path)
    xml = response.content.decode()

    assert response.status_code == 200
    assert "Открыт приём предложений" in xml
    assert "Черновик новости" not in xml
    assert "Закрытая новость" not in xml


@pytest.mark.parametrize("path", ["/feeds/proposals/", "/feeds/proposals/atom/"])
def test_proposal_feeds_carry_only_published_proposals(
    client, site, mixed_content, path
):
    xml = client.get(path).content.decode()

    assert "Лавочки у подъездов" in xml
    for state in (S.HIDDEN, S.REJECTED, S.SUBMITTED, S.DRAFT):
        assert f"Состояние {state}" not in xml
    assert "Из неопубликованного проекта" not in xml
    assert mixed_content["published"].author.email not in xml


def test_proposal_feed_keeps_resident_markup_as_text(client, site, mixed_content):
    """The script tag reaches a feed reader as escaped text, not HTML."""
    xml = client.get("/feeds/proposals/").content.decode()

    assert "<script>" not in xml
    # XML-escaped once by the feed, HTML-escaped once by us.
    assert "&amp;lt;script&amp;gt;" in xml


def test_pages_link_their_feeds_and_carry_open_graph_tags(client, site):
    project = project_in(
        StageKind.PROPOSALS,
        title="Спортплощадки",
        summary="Какие площадки нужны району?",
    )
    page = add_project_page(site.projects, project)

    html = client.get(page.url).content.decode()

    assert '<meta property="og:title" content="Спортплощадки">' in html
    assert (
        '<meta property="og:description" content="Какие площадки нужны району?">'
        in html
    )
    assert f'<meta property="og:url" content="http://testserver{page.url}">' in html
    assert '<meta property="og:locale" content="ru_RU">' in html
    assert 'type="application/rss+xml"' in html and 'href="/feeds/news/"' in html


def test_missing_page_answers_404_in_russian(client, site):
    response = client.get("/net-takoj-stranicy/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Страница не найдена" in html
    assert 'name="robots" content="noindex"' in html


def test_server_error_page_needs_no_context():
    from django.template.loader import get_template

    html = get_template("500.html").render()

    assert "Что-то пошло не так" in html
    assert '<html lang="ru">' in html


def test_page_of_an_unpublished_project_answers_404_and_leaves_the_sitemap(
    client, site
):
    project = project_in(StageKind.PROPOSALS, title="Отозванный проект")
    page = add_project_page(site.projects, project)
    assert client.get(page.url).status_code == 200

    project.is_published = False
    project.save()

    assert client.get(page.url).status_code == 404
    assert page.url not in client.get("/sitemap.xml").content.decode()
