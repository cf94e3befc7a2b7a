"""The search page, the suggestion endpoint and GET /api/v1/search/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crowdsourcing.models import ProposalState

from .factories import CategoryFactory
from .search_support import (
    fresh_stage_calendar,  # noqa: F401
    publish,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/search/"


def test_api_answers_count_results_and_facets(client, settings):
    """The API answers exactly count, results and facets."""
    settings.ELASTICSEARCH_URL = ""
    category = CategoryFactory()
    proposal = publish(
        title="Велосипедная дорожка у реки",
        body="Проложить велосипедную дорожку вдоль реки.",
        category=category,
    )
    publish(title="Дорожка <b>в</b> сквере", state=ProposalState.DRAFT)

    response = client.get(API, {"q": "велосипедные дорожки"})

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "results", "facets"}
    assert data["count"] == 1
    assert data["results"] == [
        {
            "type": "proposal",
            "id": proposal.pk,
            "title": "Велосипедная дорожка у реки",
            "url": "http://testserver/proposals/%d/" % proposal.pk,
            "highlight": "Проложить <mark>велосипедную</mark> <mark>дорожку</mark>"
            " вдоль реки.",
        }
    ]
    assert data["facets"]["type"] == {"proposal": 1}
    assert data["facets"]["category"] == {str(category.pk): 1}
    assert set(data["facets"]) == {
        "type",
        "project",
        "question",
        "category",
        "district",
        "state",
        "stage",
    }


def test_api_filters_and_pages(client):
    """Filters and page numbers narrow the answer."""
    category = CategoryFactory()
    for i in range(21):
        publish(title="Фонарь номер %d" % i, body="Свет " * 10, category=category)
    publish(title="Фонарь без категории", body="Свет " * 10)

    page2 = client.get(API, {"q": "фонарь", "category": category.pk, "page": 2}).json()

    assert page2["count"] == 21
    assert len(page2["results"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"project": "x1"}, "project"),
        ({"type": "comment"}, "type"),
        ({"sort": "random"}, "sort"),
        ({"q": "я" * 201}, "q"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_api_refuses_bad_parameters(client, params, field):
    """A bad parameter is a 400 naming the parameter."""
    response = client.get(API, params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_search_page_shows_hits_facets_and_pagination(client):
    """The page lists highlighted hits, facet links and a next-page link."""
    category = CategoryFactory(name="Освещение")
    for i in range(21):
        publish(title="Фонарь номер %d" % i, body="Свет " * 10, category=category)

    response = client.get(reverse("search:search"), {"q": "фонари"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>Фонарь</mark> номер" in html
    assert "Освещение</a>" in html
    assert "?q=%D1%84%D0%BE%D0%BD%D0%B0%D1%80%D0%B8&amp;page=2" in html
    assert "Страница 1 из 2" in html
    assert "js/search-suggest.js" in html


def test_search_page_empty_state(client):
    """No match shows the empty state with the query, escaped."""
    response = client.get(reverse("search:search"), {"q": "<script>зебра"})

    html = response.content.decode()
    assert "ничего не найдено" in html
    assert "&lt;script&gt;зебра" in html
    assert "<script>зебра" not in html


def test_search_page_facet_link_filters(client):
    """Following a facet link keeps the words and adds the filter."""
    roads = CategoryFactory(name="Дороги")
    publish(title="Яма на дороге", body="Яма " * 10, category=roads)
    publish(title="Яма во дворе", body="Яма " * 10)

    response = client.get(reverse("search:search"), {"q": "яма", "category": roads.pk})

    html = response.content.decode()
    assert "<mark>Яма</mark> на дороге" in html
    assert "во дворе" not in html
    assert 'aria-current="true"' in html


def test_suggest_endpoint(client):
    """Typing a prefix returns matching titles as JSON."""
    proposal = publish(title="Велосипедная парковка", body="Текст " * 10)

    data = client.get(reverse("search:suggest"), {"q": "велосипедн"}).json()

    assert data == {
        "suggestions": [
            {
                "title": "Велосипедная парковка",
                "url": "/proposals/%d/" % proposal.pk,
                "type": "proposal",
            }
        ]
    }
    assert client.get(reverse("search:suggest"), {"q": "в"}).json() == {
        "suggestions": []
    }


def test_search_page_query_count_is_constant(client, django_assert_max_num_queries):
    """The page's queries do not grow with the number of hits."""
    category = CategoryFactory()
    for i in range(20):
        publish(title="Клумба %d" % i, body="Цветы " * 10, category=category)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("search:search"), {"q": "клумба"})

    assert response.status_code == 200
