"""Indexing of pages, the rebuild and status commands, language handling."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from wagtail.models import Page, PageViewRestriction

from crowdsourcing.models import ProposalState
from search.engine import search
from search.indexing import index_now, schedule_index
from search.models import EntryKind, SearchEntry
from search.query import SearchQuery
from search.sources import page_entry
from search.text import detect_language, highlight, query_terms, stem_text

from .factories import ProjectFactory, ProposalFactory, QuestionFactory
from .search_support import fresh_stage_calendar  # noqa: F401

pytestmark = pytest.mark.django_db


def home_page():
    return Page.objects.get(depth=2).specific


def test_live_public_page_is_indexed_with_its_text():
    """A live page is found by its title and its rich text, stemmed."""
    home = home_page()
    home.title = "Город идей"
    home.intro = "<p>Платформа для <b>предложений</b> жителей</p>"
    home.save_revision().publish()

    index_now(EntryKind.PAGE, home.pk)

    entry = SearchEntry.objects.get(kind=EntryKind.PAGE, object_id=home.pk)
    assert "Платформа для предложений жителей" in entry.body
    hits = search(SearchQuery(text="предложение")).hits
    assert [(hit.kind, hit.object_id) for hit in hits] == [("page", home.pk)]
    hits = search(SearchQuery(text="предложение", filters={"type": "page"})).hits
    assert [hit.object_id for hit in hits] == [home.pk]


def test_restricted_or_unpublished_page_is_not_indexed():
    """A page behind a password or unpublished leaves the index."""
    home = home_page()
    index_now(EntryKind.PAGE, home.pk)
    assert SearchEntry.objects.filter(kind=EntryKind.PAGE).count() == 1

    PageViewRestriction.objects.create(
        page=home, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    schedule_index(home)

    assert not SearchEntry.objects.filter(kind=EntryKind.PAGE).exists()


def test_page_entry_reads_rich_text_generically():
    """Unknown page types give their text fields without markup."""
    home = home_page()
    home.intro = "<h2>Заголовок</h2><p>Абзац &amp; ещё</p>"

    entry = page_entry(home)

    assert entry.body == "Заголовок\nАбзац & ещё"


def test_rebuild_and_status_commands():
    """rebuild fills the entries from public content; status counts them."""
    project = ProjectFactory(title="Чистый город")
    for state in (ProposalState.PUBLISHED, ProposalState.HIDDEN, ProposalState.DRAFT):
        ProposalFactory(question__project=project, state=state)
    SearchEntry.objects.create(
        kind=EntryKind.PROPOSAL, object_id=999, language="ru", title="Старое", url="/"
    )

    call_command("search_index", "rebuild", "--no-progress", stdout=StringIO())

    kinds = sorted(SearchEntry.objects.values_list("kind", flat=True))
    assert kinds == ["page", "project", "proposal"]
    assert search(SearchQuery(text="старое")).count == 0
    hit = search(SearchQuery(text="подробное описание")).hits[0]
    assert hit.kind == "proposal"
    assert "<mark>Подробное</mark> <mark>описание</mark>" in hit.highlight
    out = StringIO()
    call_command("search_index", "status", stdout=out)
    text = out.getvalue()
    assert "'proposal': 1" in text
    assert "в очереди (outbox): 0" in text


def test_drain_refuses_without_elasticsearch(settings):
    """There is no outbox on the database backend."""
    from django.core.management.base import CommandError

    settings.ELASTICSEARCH_URL = ""
    with pytest.raises(CommandError):
        call_command("search_index", "drain", stdout=StringIO())


def test_detect_language():
    """Recorded languages win; Russian without Cyrillic is detected instead."""
    assert detect_language("Parque nuevo", "es") == "es"
    assert detect_language("Nowe ścieżki rowerowe w centrum miasta", "ru") == "pl"
    assert detect_language("Plus de pistes cyclables au centre-ville", "") == "fr"
    assert detect_language("Новый парк", "") == "ru"


def test_stems_fold_yo_case_and_accents():
    """Stored stems ignore case, «ё» and Latin accents."""
    assert stem_text("Твёрдые ДОРОЖКИ", "ru") == "тверд дорожк"
    assert stem_text("Árboles", "es") == "arbol"
    assert stem_text("sécurisées", "fr") == "securis securise"


def test_highlight_fragment_cuts_around_the_first_hit():
    """A long text shows a window around the first hit, marked with ellipses."""
    text = "начало " * 40 + "здесь фонтан стоит " + "конец " * 40

    html = highlight(text, query_terms("фонтаны"), "ru", fragment=60)

    assert html.startswith("…")
    assert html.endswith("…")
    assert "<mark>фонтан</mark>" in html
    assert len(html) < 120


def test_publishing_and_unpublishing_a_page_updates_the_index(
    django_capture_on_commit_callbacks,
):
    """Wagtail's publish and unpublish reach the index through its signals."""
    home = home_page()
    home.intro = "<p>Новости благоустройства</p>"

    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()
    assert [h.object_id for h in search(SearchQuery(text="благоустройство")).hits] == [
        home.pk
    ]

    home.unpublish()
    assert search(SearchQuery(text="благоустройство")).count == 0


def test_merged_proposal_leaves_search(django_capture_on_commit_callbacks):
    """A merged proposal keeps its page but is no longer found."""
    target = ProposalFactory(title="Каток во дворе")
    merged = ProposalFactory(title="Каток у школы")
    index_now(EntryKind.PROPOSAL, target.pk)
    index_now(EntryKind.PROPOSAL, merged.pk)

    merged.state = ProposalState.MERGED
    merged.merged_into = target
    merged.save()
    schedule_index(merged)

    assert [h.object_id for h in search(SearchQuery(text="каток")).hits] == [target.pk]


def test_unpublishing_a_project_in_the_admin_takes_it_out_of_search(
    client, operator, django_capture_on_commit_callbacks
):
    """Saving the project form with «опубликован» off removes it and its
    proposals from the index, counts and facet labels included."""
    project = ProjectFactory(title="Секретный проект Заречья", slug="zarechye")
    proposal = ProposalFactory(
        question=QuestionFactory(project=project),
        state=ProposalState.PUBLISHED,
        title="Каток у реки",
    )
    index_now(EntryKind.PROJECT, project.pk)
    index_now(EntryKind.PROPOSAL, proposal.pk)
    assert client.get("/api/v1/search/", {"q": "каток"}).json()["count"] == 1
    client.force_login(operator)
    edit = client.get(f"/admin/crowdsourcing/project/edit/{project.pk}/")
    form = edit.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name != "is_published"
    }
    data.update(
        department=project.department_id,
        language=project.language or "ru",
        **{
            "stages-TOTAL_FORMS": "0",
            "stages-INITIAL_FORMS": "0",
            "stages-MIN_NUM_FORMS": "0",
            "stages-MAX_NUM_FORMS": "1000",
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/crowdsourcing/project/edit/{project.pk}/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert not project.is_published
    client.logout()
    answer = client.get("/api/v1/search/", {"q": "каток"}).json()
    assert answer["count"] == 0
    assert answer["facets"].get("project", {}) == {}
    assert "Секретный проект Заречья" not in client.get("/search/").content.decode()
