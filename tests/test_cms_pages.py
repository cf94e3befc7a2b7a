"""Each page type renders with realistic Russian content."""

from datetime import date

import pytest
from django.utils import timezone

from cms.models import NewsPage, ProjectPage, StandardPage
from cms.setup import ensure_site_structure
from crowdsourcing.models import ProposalState, StageKind

from .cms_helpers import add_news, add_project_page, add_results_page, project_in
from .factories import (
    CategoryFactory,
    ProposalFactory,
    QuestionFactory,
    make_image,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return ensure_site_structure()


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_page_lists_running_projects_before_finished_ones(client, site):
    """Running projects come first with their stage and deadline; finished
    ones after; each card links to the project's announcement page."""
    running = project_in(StageKind.PROPOSALS, title="Благоустройство дворов Марьина")
    finished = project_in(StageKind.RESULTS, title="Парк на Ходынском поле")
    page = add_project_page(site.projects, running)

    html = text_of(client.get("/"))

    assert html.index("Идут сейчас") < html.index("Благоустройство дворов Марьина")
    assert html.index("Благоустройство дворов Марьина") < html.index(
        "Завершённые проекты"
    )
    assert html.index("Завершённые проекты") < html.index("Парк на Ходынском поле")
    assert "Подача предложений" in html
    deadline = timezone.localtime(running.stage_window("proposals").ends_at)
    assert deadline.strftime("%H:%M") in html
    assert f'href="{page.url}"' in html
    assert f'href="{finished.get_absolute_url()}"' in html


def test_home_page_orders_running_projects_by_nearest_deadline(client, site):
    """Of two running projects the one whose stage closes sooner is first."""
    later = project_in(StageKind.ANNOUNCEMENT, title="Новые маршруты автобусов")
    sooner = project_in(StageKind.VOTING, title="Голосуем за библиотеки")
    # Both windows last ten days and were placed around now by project_in;
    # push the announcement's end further out.
    stage = later.stage_window(StageKind.ANNOUNCEMENT)
    stage.ends_at = sooner.stage_window(StageKind.VOTING).ends_at + timezone.timedelta(
        hours=1
    )
    stage.save()

    html = text_of(client.get("/"))

    assert html.index("Голосуем за библиотеки") < html.index("Новые маршруты автобусов")


def test_project_index_page_lists_only_live_project_pages(client, site):
    shown = project_in(StageKind.DISCUSSION, title="Школьные стадионы")
    add_project_page(site.projects, shown)
    draft_project = project_in(StageKind.DISCUSSION, title="Черновой проект")
    draft = ProjectPage(
        title="Черновой проект", slug="draft", project=draft_project, live=False
    )
    site.projects.add_child(instance=draft)

    html = text_of(client.get(site.projects.url))

    assert "Школьные стадионы" in html
    assert "Черновой проект" not in html


def test_project_page_shows_record_calendar_questions_and_rules(client, site):
    project = project_in(
        StageKind.PROPOSALS,
        title="Уютный район",
        description="Город спрашивает, что изменить во дворах.",
        rules="Одно предложение — одна идея.",
    )
    QuestionFactory(project=project, title="Что добавить на детской площадке?")
    QuestionFactory(project=project, title="Где не хватает освещения?")
    page = add_project_page(site.projects, project, image=make_image("Двор"))

    html = text_of(client.get(page.url))

    assert "Город спрашивает, что изменить во дворах." in html
    assert "Одно предложение — одна идея." in html
    assert "Что добавить на детской площадке?" in html
    assert "Где не хватает освещения?" in html
    for label in ("Анонс", "Подача предложений", "Голосование", "Итоги"):
        assert label in html
    assert 'aria-current="step"' in html
    assert "Время московское." in html


@pytest.mark.parametrize(
    ("stage", "expected", "absent"),
    [
        (StageKind.ANNOUNCEMENT, [], ["Предложить идею", "Голосовать", "cta-results"]),
        (StageKind.PROPOSALS, ["Предложить идею"], ["Голосовать", "cta-results"]),
        (StageKind.DISCUSSION, ["Обсудить"], ["Предложить идею", "Голосовать"]),
        (StageKind.VOTING, ["Голосовать"], ["Предложить идею", "cta-results"]),
        (StageKind.RESULTS, ["Итоги"], ["Предложить идею", "Голосовать"]),
    ],
)
def test_project_page_calls_to_action_follow_the_stage(
    client, site, stage, expected, absent
):
    """Only the actions of the stages open now are offered."""
    project = project_in(stage)
    page = add_project_page(site.projects, project)

    html = text_of(client.get(page.url))

    for label in expected:
        assert label in html
    for label in absent:
        assert label not in html


def test_results_call_to_action_leads_to_the_results_page(client, site):
    project = project_in(StageKind.RESULTS)
    page = add_project_page(site.projects, project)
    results = add_results_page(page)

    html = text_of(client.get(page.url))

    assert f'class="button cta-results" href="{results.url}"' in html


def test_overlapping_proposals_and_discussion_offer_both_actions(client, site):
    project = project_in(StageKind.PROPOSALS)
    discussion = project.stage_window(StageKind.DISCUSSION)
    discussion.starts_at = timezone.now() - timezone.timedelta(hours=1)
    discussion.save()
    page = add_project_page(site.projects, project)

    html = text_of(client.get(page.url))

    assert html.index("Предложить идею") < html.index("Обсудить")


def test_second_page_for_one_project_is_refused(site):
    from django.core.exceptions import ValidationError

    project = project_in(StageKind.PROPOSALS)
    add_project_page(site.projects, project)
    duplicate = ProjectPage(title="Ещё раз", slug="again", project=project)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "project" in error.value.error_dict


def test_news_index_and_news_page_render(client, site):
    add_news(site.news, "Стартовал приём идей", date=date(2026, 11, 2))
    latest = add_news(
        site.news,
        "Итоги голосования подведены",
        date=date(2026, 11, 20),
        summary="Жители выбрали десять проектов.",
        image=make_image("Итоги"),
    )

    index_html = text_of(client.get(site.news.url))
    page_html = text_of(client.get(latest.url))

    assert index_html.index("Итоги голосования подведены") < index_html.index(
        "Стартовал приём идей"
    )
    assert "20 ноября 2026" in page_html
    assert "Жители выбрали десять проектов." in page_html
    assert '<meta property="og:type" content="article">' in page_html
    assert 'property="og:image" content="http' in page_html


def test_standard_pages_of_the_skeleton_render(client, site):
    for page in (site.rules, site.help, site.privacy):
        html = text_of(client.get(page.url))
        assert f"<h1>{page.title}</h1>" in html
    assert "Политика конфиденциальности" in text_of(client.get(site.privacy.url))


def test_every_body_block_renders_on_a_standard_page(client, site):
    """Text, image, quote, call to action, timeline and proposal list."""
    project = project_in(StageKind.DISCUSSION, title="Набережные Москвы-реки")
    question = QuestionFactory(project=project)
    category = CategoryFactory(name="Благоустройство")
    ProposalFactory(
        question=question,
        category=category,
        title="Скамейки у воды каждые сто метров",
        published_at=timezone.now(),
    )
    ProposalFactory(
        question=question,
        category=category,
        title="Скрытое модератором предложение",
        state=ProposalState.HIDDEN,
    )
    ProposalFactory(
        question=question,
        title="Предложение другой категории",
        published_at=timezone.now(),
    )
    image = make_image("Набережная")
    page = StandardPage(
        title="Как мы работаем",
        slug="how",
        body=[
            ("heading", "Шаг за шагом"),
            ("text", "<p>Каждое предложение читает модератор.</p>"),
            (
                "image",
                {"image": image, "alt_text": "Набережная зимой", "decorative": False},
            ),
            (
                "quote",
                {"text": "Город — это мы.", "author": "Мария", "role": "Хамовники"},
            ),
            (
                "call_to_action",
                {
                    "title": "Есть идея?",
                    "text": "Расскажите о ней.",
                    "button_label": "Предложить",
                    "page": site.projects,
                    "url": "",
                },
            ),
            ("stage_timeline", {"project": str(project.pk), "title": ""}),
            (
                "proposal_list",
                {
                    "title": "Идеи о набережных",
                    "project": str(project.pk),
                    "question": "",
                    "category": str(category.pk),
                    "district": "",
                    "state": "",
                    "order": "newest",
                    "limit": 6,
                },
            ),
        ],
    )
    site.home.add_child(instance=page)
    page.save_revision().publish()

    html = text_of(client.get(page.url))

    assert "<h2>Шаг за шагом</h2>" in html
    assert "Каждое предложение читает модератор." in html
    assert 'alt="Набережная зимой"' in html
    assert "Город — это мы." in html and "Хамовники" in html
    assert f'href="{site.projects.url}"' in html
    assert "Набережные Москвы-реки" in html and "Экспертный отбор" in html
    assert "Скамейки у воды каждые сто метров" in html
    assert "Скрытое модератором предложение" not in html
    assert "Предложение другой категории" not in html


def test_proposal_list_block_filters_by_district_and_orders_by_support():
    from cms.blocks import ProposalListBlock
    from crowdsourcing.models import District, Rating

    from .factories import UserFactory

    district = District.objects.filter(kind="district").first()
    project = project_in(StageKind.DISCUSSION)
    question = QuestionFactory(project=project)
    less = ProposalFactory(
        question=question, district=district, title="Менее поддержанное"
    )
    more = ProposalFactory(
        question=question, district=district, title="Более поддержанное"
    )
    ProposalFactory(question=question, title="Другой район")
    for _ in range(2):
        Rating.objects.create(
            proposal=more, user=UserFactory(), value=1, created_at=timezone.now()
        )
    Rating.objects.create(
        proposal=less, user=UserFactory(), value=1, created_at=timezone.now()
    )

    block = ProposalListBlock()
    value = block.to_python(
        {"district": str(district.pk), "order": "supported", "limit": 5}
    )
    titles = [p.title for p in block.get_queryset(value)]

    assert titles == ["Более поддержанное", "Менее поддержанное"]


def test_news_page_requires_a_summary(site):
    from django.core.exceptions import ValidationError

    page = NewsPage(title="Без анонса", slug="no-summary", body=[])
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "summary" in error.value.error_dict


def test_results_page_must_report_on_its_parents_project(site):
    from django.core.exceptions import ValidationError

    from cms.models import ResultsPage

    page = add_project_page(site.projects, project_in(StageKind.RESULTS))
    other = project_in(StageKind.RESULTS)
    results_page = ResultsPage(title="Итоги", slug="itogi", project=other)

    with pytest.raises(ValidationError) as error:
        page.add_child(instance=results_page)
    assert "project" in error.value.error_dict


def test_admin_add_forms_open_for_every_page_type(client, site, operator):
    """The editing forms build, block choices included, for each type."""
    project = project_in(StageKind.RESULTS)
    project_page = add_project_page(site.projects, project)
    client.force_login(operator)

    for model, parent in (
        ("projectpage", site.projects),
        ("resultspage", project_page),
        ("newspage", site.news),
        ("standardpage", site.home),
    ):
        response = client.get(f"/admin/pages/add/cms/{model}/{parent.pk}/")
        assert response.status_code == 200, model
    assert client.get(f"/admin/pages/{project_page.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{site.home.pk}/edit/").status_code == 200


def test_home_and_project_index_queries_do_not_grow_with_projects(client, site):
    """Rendering runs the same number of queries for 2 or 6 projects."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for i in range(n):
            stage = StageKind.RESULTS if i % 2 else StageKind.PROPOSALS
            add_project_page(site.projects, project_in(stage))

    add(2)
    client.get("/")  # warm the site and content type caches
    few = (count("/"), count(site.projects.url))
    add(4)
    assert (count("/"), count(site.projects.url)) == few == (12, 13)
