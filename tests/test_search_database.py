"""Discovery search behaviour: stemming, facets, highlights, paging, visibility.

Every test runs on the database fallback of the current database (SQLite
FTS5 by default, PostgreSQL with DATABASE_URL) and again against a live
Elasticsearch when ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crowdsourcing.models import Proposal, ProposalState
from search.backends import database
from search.engine import search, similar_proposals, suggest
from search.indexing import index_now, schedule_index
from search.models import EntryKind, SearchEntry
from search.query import SearchQuery, Sort

from .factories import (
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    QuestionFactory,
)
from .search_support import (  # noqa: F401
    fresh_stage_calendar,  # noqa: F401
    publish,
    search_backend,
)

pytestmark = pytest.mark.usefixtures("search_backend")


def titles(text: str, **filters) -> list[str]:
    return [hit.title for hit in search(SearchQuery(text=text, filters=filters)).hits]


def test_russian_word_forms_find_each_other():
    """«велосипедные дорожки» finds «велосипедная дорожка» and back."""
    publish(title="Велосипедная дорожка вдоль набережной", body="Текст " * 12)
    publish(title="Скамейки во дворе", body="Поставить скамейки у подъезда.")

    assert titles("велосипедные дорожки") == ["Велосипедная дорожка вдоль набережной"]
    assert titles("ДОРОЖКУ") == ["Велосипедная дорожка вдоль набережной"]
    assert titles("скамейка") == ["Скамейки во дворе"]
    assert titles("фонтан") == []


def test_a_noun_finds_words_built_on_it():
    """«велосипед» finds «велосипедная» and «велосипедистов»; «дом» stays exact."""
    publish(title="Велосипедная дорожка вдоль набережной", body="Текст " * 12)
    publish(title="Парковка для велосипедистов", body="Стойки у метро " * 5)
    publish(title="Домашний компост во дворе", body="Контейнеры " * 10)

    assert sorted(titles("велосипед")) == [
        "Велосипедная дорожка вдоль набережной",
        "Парковка для велосипедистов",
    ]
    assert titles("дом") == []


def test_yo_and_ye_are_the_same_letter():
    """«твёрдые» finds «твердые» and «елка» finds «Ёлки»."""
    publish(title="Твердые покрытия для детских площадок", body="Асфальт " * 10)
    publish(title="Новогодние Ёлки во дворе", body="Украшения " * 10)

    assert titles("твёрдые") == ["Твердые покрытия для детских площадок"]
    assert titles("елка") == ["Новогодние Ёлки во дворе"]


def test_stop_words_do_not_have_to_appear():
    """A query's «в» and «для» are not required in the document."""
    publish(title="Освещение парка", body="Фонари вдоль аллей " * 5)

    assert titles("освещение в парке") == ["Освещение парка"]


def test_spanish_stemming_and_accents():
    """«carriles» finds «carril», and «avenida» finds «Avenída» folded."""
    publish(
        title="Más carriles bici en el centro",
        body="Necesitamos carriles protegidos para bicicletas en Madrid.",
        language="es",
    )
    publish(title="Arboles para la plaza", body="Plantar árboles " * 5, language="es")

    assert titles("carril bicicleta") == ["Más carriles bici en el centro"]
    assert titles("árbol") == ["Arboles para la plaza"]


def test_english_stemming():
    """«cycling lanes» finds «cycle lane»."""
    publish(
        title="A protected cycle lane on Main Street",
        body="The city should build a protected cycle lane downtown.",
        language="en",
    )

    assert titles("cycling lanes") == ["A protected cycle lane on Main Street"]


def test_french_stemming_and_accents():
    """«piste cyclable» finds «pistes cyclables»; «cafe» finds «café»."""
    publish(
        title="Des pistes cyclables sécurisées",
        body="Créer des pistes cyclables près du café de la gare.",
        language="fr",
    )

    assert titles("piste cyclable") == ["Des pistes cyclables sécurisées"]
    assert titles("securisee") == ["Des pistes cyclables sécurisées"]


def test_polish_stemming(search_backend):  # noqa: F811
    """«ścieżka rowerowa» finds «ścieżki rowerowe», also typed without accents."""
    if search_backend == "elasticsearch":
        from search.backends.elastic import ElasticsearchBackend

        if not ElasticsearchBackend().has_stempel():
            pytest.skip("analysis-stempel is not installed on this server")
    publish(
        title="Nowe ścieżki rowerowe w centrum",
        body="Budowa ścieżek rowerowych w centrum miasta jest potrzebna.",
        language="pl",
    )

    assert titles("ścieżka rowerowa") == ["Nowe ścieżki rowerowe w centrum"]
    assert titles("sciezka rowerowa") == ["Nowe ścieżki rowerowe w centrum"]


def test_language_is_detected_when_not_recorded():
    """A proposal recorded as Russian but written in Spanish is stemmed as es."""
    proposal = publish(
        title="Más fuentes de agua potable en los parques",
        body="Proponemos instalar fuentes de agua potable en los parques.",
    )

    entry = SearchEntry.objects.get(kind=EntryKind.PROPOSAL, object_id=proposal.pk)
    assert entry.language == "es"
    assert titles("fuente") == ["Más fuentes de agua potable en los parques"]


def test_title_weighs_more_than_body():
    """A hit in the title ranks above a hit only in the body."""
    publish(title="Ремонт дорог", body="Про фонтаны и немного про парк. " * 2)
    publish(title="Новый фонтан в парке", body="Описание проекта " * 10)

    assert titles("фонтан") == ["Новый фонтан в парке", "Ремонт дорог"]


def test_facet_counts_and_filters():
    """Facets count the matches per value and filters narrow them."""
    roads, parks = CategoryFactory(name="Дороги"), CategoryFactory(name="Парки")
    question = QuestionFactory()
    project = question.project
    for i in range(3):
        publish(
            title="Ремонт тротуара номер %d" % i,
            body="Тротуар " * 10,
            category=roads,
            question=question,
        )
    publish(
        title="Тротуар в парке", body="Тротуар " * 10, category=parks, question=question
    )
    other = publish(title="Тротуар у школы", body="Тротуар " * 10)

    results = search(SearchQuery(text="тротуар"))

    assert results.count == 5
    assert results.facets["type"] == {"proposal": 5}
    assert results.facets["category"] == {str(roads.pk): 3, str(parks.pk): 1}
    assert results.facets["project"] == {str(project.pk): 4, str(other.project_id): 1}
    assert results.facets["state"] == {"published": 5}
    assert results.facets["stage"] == {"results": 5}
    narrowed = search(SearchQuery(text="тротуар", filters={"category": str(parks.pk)}))
    assert [hit.title for hit in narrowed.hits] == ["Тротуар в парке"]
    assert narrowed.facets["category"] == {str(parks.pk): 1}
    assert search(SearchQuery(text="тротуар", filters={"stage": "voting"})).count == 0


def test_stage_facet_follows_the_clock():
    """A project's stage is today's stage, worked out at query time."""
    now = timezone.now()
    voting = ProjectFactory(
        stages={"voting": (now - timedelta(days=1), now + timedelta(days=5))}
    )
    later = ProjectFactory(
        stages={"proposals": (now + timedelta(days=1), now + timedelta(days=5))}
    )
    publish(
        title="Сквер у метро",
        body="Сквер " * 10,
        question=QuestionFactory(project=voting),
    )
    publish(
        title="Сквер у реки",
        body="Сквер " * 10,
        question=QuestionFactory(project=later),
    )

    results = search(SearchQuery(text="сквер", filters={"stage": "voting"}))

    assert [hit.title for hit in results.hits] == ["Сквер у метро"]
    assert search(SearchQuery(text="сквер")).facets["stage"] == {"voting": 1}


def test_highlights_escape_text_and_mark_hits():
    """Resident text is escaped; only the matched words are wrapped in <mark>."""
    publish(
        title="Парковка <script>alert(1)</script>",
        body="Нужна парковка для велосипедов <img src=x onerror=alert(1)> у школы.",
    )

    hit = search(SearchQuery(text="парковки")).hits[0]

    assert "<script>" not in hit.title_html
    assert "&lt;script&gt;" in hit.title_html
    assert "<mark>Парковка</mark>" in hit.title_html
    assert "<img" not in hit.highlight
    assert "<mark>парковка</mark>" in hit.highlight
    assert "&lt;img src=x onerror=alert(1)&gt;" in hit.highlight


def test_pagination():
    """Twenty per page; the last page holds the rest, newest first."""
    base = timezone.now()
    for i in range(23):
        publish(
            title="Клумба номер %02d" % i,
            body="Цветы " * 10,
            created_at=base - timedelta(minutes=i),
        )

    first = search(SearchQuery(text="клумба", sort=Sort.NEWEST, page=1))
    second = search(SearchQuery(text="клумба", sort=Sort.NEWEST, page=2))

    assert (first.count, first.num_pages, len(first.hits)) == (23, 2, 20)
    assert first.hits[0].title == "Клумба номер 00"
    assert [hit.title for hit in second.hits] == [
        "Клумба номер 20",
        "Клумба номер 21",
        "Клумба номер 22",
    ]
    assert first.has_next and not second.has_next


def test_sort_by_support():
    """ "Most supported" orders by the number of +1 ratings."""
    from crowdsourcing.models import Rating

    from .factories import UserFactory

    quiet = publish(title="Урна у остановки", body="Урна " * 10)
    popular = publish(title="Урна у школы", body="Урна " * 10)
    for _ in range(2):
        Rating.objects.create(
            proposal=popular, user=UserFactory(), value=1, created_at=timezone.now()
        )
    index_now(EntryKind.PROPOSAL, popular.pk)

    results = search(SearchQuery(text="урна", sort=Sort.SUPPORTED))

    assert [hit.object_id for hit in results.hits] == [
        popular.pk,
        quiet.pk,
    ]


def test_empty_query_lists_public_content_newest_first():
    """Without words the search lists everything public, with facets."""
    publish(title="Старое предложение", created_at=timezone.now() - timedelta(days=2))
    publish(title="Новое предложение")
    publish(title="Черновик", state=ProposalState.DRAFT)

    results = search(SearchQuery())

    assert [hit.title for hit in results.hits] == [
        "Новое предложение",
        "Старое предложение",
    ]
    assert results.facets["type"] == {"proposal": 2}


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_hidden_proposal_leaves_results_and_facets_at_once(
    django_capture_on_commit_callbacks, monkeypatch, cached
):
    """Hiding removes the entry inside the same transaction as the change.

    "cached": every answer is kept in the cache, as large answers are; the
    hide must retire the answer cached just before it.
    """
    if cached:
        monkeypatch.setattr(database, "CACHE_MIN_MATCHES", 1)
    keep = publish(title="Детская площадка во дворе", body="Качели " * 10)
    hide = publish(title="Детская площадка у школы", body="Качели " * 10)
    assert search(SearchQuery(text="площадка")).count == 2

    with django_capture_on_commit_callbacks(execute=False):
        hide.transition_to(ProposalState.HIDDEN)
        hide.save()
        schedule_index(hide)
        # Before any commit hook has run, search already leaves it out.
        results = search(SearchQuery(text="площадка"))

    assert [hit.object_id for hit in results.hits] == [keep.pk]
    assert results.count == 1
    assert results.facets["type"] == {"proposal": 1}
    assert results.facets["state"] == {"published": 1}


def test_only_public_content_is_indexed(django_capture_on_commit_callbacks):
    """Drafts, submitted and rejected proposals never reach the index."""
    for state in (ProposalState.DRAFT, ProposalState.SUBMITTED, ProposalState.REJECTED):
        proposal = ProposalFactory(title="Фонарь в переулке", state=state)
        with django_capture_on_commit_callbacks(execute=True):
            schedule_index(proposal)

    assert search(SearchQuery(text="фонарь")).count == 0
    assert not SearchEntry.objects.exists()


def test_publishing_indexes_after_commit(django_capture_on_commit_callbacks):
    """A published proposal is indexed only once the transaction commits."""
    proposal = ProposalFactory(
        title="Пешеходный переход", state=ProposalState.SUBMITTED
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        proposal.transition_to(ProposalState.PUBLISHED)
        proposal.save()
        schedule_index(proposal)
        assert search(SearchQuery(text="переход")).count == 0

    assert len(callbacks) >= 1
    assert titles("переход") == ["Пешеходный переход"]


def test_unpublished_project_takes_its_proposals_along(
    django_capture_on_commit_callbacks,
):
    """Unpublishing a project removes it and its proposals; republishing returns them."""
    proposal = publish(title="Велопарковка у вокзала", body="Парковка " * 10)
    project = proposal.project
    index_now(EntryKind.PROJECT, project.pk)

    project.is_published = False
    project.save()
    schedule_index(project)
    assert search(SearchQuery(text="велопарковка")).count == 0

    project.is_published = True
    project.save()
    with django_capture_on_commit_callbacks(execute=True):
        schedule_index(project)
    assert titles("велопарковка") == ["Велопарковка у вокзала"]


def test_results_are_checked_against_visibility_at_query_time():
    """A proposal hidden behind the services' back still never shows."""
    publish(title="Остановка автобуса", body="Навес " * 10)
    hidden = publish(title="Остановка трамвая", body="Навес " * 10)
    Proposal.objects.filter(pk=hidden.pk).update(state=ProposalState.HIDDEN)

    assert titles("остановка") == ["Остановка автобуса"]


def test_projects_are_found_with_proposals():
    """Projects are indexed too, with type "project"."""
    project = ProjectFactory(
        title="Благоустройство набережных", summary="Набережные города"
    )
    index_now(EntryKind.PROJECT, project.pk)
    publish(title="Лавочки на набережной", body="Лавочки " * 10)

    results = search(SearchQuery(text="набережная"))

    assert results.facets["type"] == {"project": 1, "proposal": 1}
    only = search(SearchQuery(text="набережная", filters={"type": "project"}))
    assert [(hit.kind, hit.object_id) for hit in only.hits] == [("project", project.pk)]


def test_suggestions_complete_titles():
    """A prefix of a word suggests the titles starting that way."""
    publish(title="Велосипедная парковка у метро", body="Текст " * 10)
    publish(title="Парк для собак", body="Текст " * 10)

    assert [s.title for s in suggest("велосипе")] == ["Велосипедная парковка у метро"]
    assert [s.title for s in suggest("велосипедная парк")] == [
        "Велосипедная парковка у метро"
    ]
    assert suggest("в") == []


def test_similar_proposals_find_duplicates():
    """Proposals sharing distinctive words come first; itself is excluded."""
    original = publish(
        title="Построить крытый каток в парке Горького",
        body="Зимой нужен крытый каток с прокатом коньков в парке Горького.",
    )
    twin = publish(
        title="Крытый каток в Горького",
        body="Предлагаю построить каток, крытый, с прокатом коньков.",
    )
    publish(
        title="Ремонт подъезда", body="Покрасить стены и заменить лампы в подъезде."
    )

    found = similar_proposals(original, limit=5)

    assert [hit.object_id for hit in found] == [twin.pk]


@pytest.mark.postgres
def test_postgres_vector_uses_language_configuration():
    """On PostgreSQL the vector is stemmed by the entry's configuration."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    proposal = publish(title="Велосипедные дорожки", body="Текст " * 10)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM search_searchentry WHERE object_id = %s",
            [proposal.pk],
        )
        vector = cursor.fetchone()[0]

    assert "'велосипедн':1A" in vector
    assert "'дорожк':2A" in vector


def test_similar_proposals_for_an_unsaved_draft():
    """The proposal form can look for duplicates before anything is saved."""
    existing = publish(
        title="Крытый каток в парке Горького",
        body="Зимой нужен крытый каток с прокатом коньков.",
    )
    draft = Proposal(title="Каток крытый для всех", body="Построить каток с коньками.")

    assert [hit.object_id for hit in similar_proposals(draft, limit=3)] == [existing.pk]


def test_large_answers_are_kept_until_the_index_changes(
    django_capture_on_commit_callbacks,
    monkeypatch,
    search_backend,  # noqa: F811
):
    """A large answer is served from the cache until the next index write."""
    if search_backend != "database":
        pytest.skip("the answer cache belongs to the database fallback")
    monkeypatch.setattr(database, "CACHE_MIN_MATCHES", 2)
    publish(title="Каток в парке", body="Зимой " * 10)
    publish(title="Каток у школы", body="Зимой " * 10)

    def statements(text):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            results = search(SearchQuery(text=text))
        runs = [q for q in queries.captured_queries if "WITH m AS" in q["sql"]]
        return results, len(runs)

    first, ran = statements("каток")
    assert (first.count, ran) == (2, 1)
    again, ran = statements("каток")
    assert (again.count, ran) == (2, 0)
    assert [h.object_id for h in again.hits] == [h.object_id for h in first.hits]

    # An answer under the threshold is never kept.
    publish(title="Фонтан на площади", body="Летом " * 10)
    assert statements("фонтан")[1] == 1
    assert statements("фонтан")[1] == 1

    with django_capture_on_commit_callbacks(execute=True):
        publish(title="Каток во дворе", body="Зимой " * 10)
    after, ran = statements("каток")
    assert (after.count, ran) == (3, 1)


def test_genitive_plural_finds_the_other_forms():
    """«дорожек» (Snowball keeps it whole) and «дорожки» find each other."""
    publish(title="Велосипедная дорожка в парке", body="Покрытие " * 10)
    publish(title="Нет велосипедных дорожек у школы", body="Разметка " * 10)
    publish(title="Скамейка у пруда", body="Отдых " * 10)

    both = ["Велосипедная дорожка в парке", "Нет велосипедных дорожек у школы"]
    assert sorted(titles("велосипедных дорожек")) == both
    assert sorted(titles("велосипедные дорожки")) == both
    assert titles("скамеек") == ["Скамейка у пруда"]
    hit = search(SearchQuery(text="дорожки", filters={"type": "proposal"})).hits
    marked = {h.title: str(h.title_html) for h in hit}
    assert "<mark>дорожек</mark>" in marked["Нет велосипедных дорожек у школы"]
