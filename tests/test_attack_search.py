"""Attack: odd query parameters on the search page and API answer 400, not 500."""

from __future__ import annotations

import pytest

from .search_support import fresh_stage_calendar, publish  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("param", "value"),
    [
        # "²".isdigit() is True but int("²") raises ValueError.
        ("page", "²"),
        ("project", "²"),
        ("district", "²"),
        # More digits than int() converts (Python's 4300-digit limit).
        ("page", "9" * 5000),
        # Too large for the integer id columns (SQLite overflows in Python).
        ("category", "99999999999999999999"),
        ("question", "99999999999999999999"),
    ],
)
def test_bad_numbers_are_refused_with_400(client, settings, param, value):
    settings.ELASTICSEARCH_URL = ""
    publish(title="Велосипедная дорожка", body="Проложить велосипедную дорожку.")

    api = client.get("/api/v1/search/", {param: value})
    page = client.get("/search/", {param: value})

    assert api.status_code == 400
    assert param in api.json()["errors"]
    assert page.status_code == 400


def test_numeric_looking_state_is_a_plain_filter(client, settings):
    """A state value made of digits is compared as text, not cast to int."""
    settings.ELASTICSEARCH_URL = ""
    publish(title="Велосипедная дорожка", body="Проложить велосипедную дорожку.")

    response = client.get("/api/v1/search/", {"state": "99999999999999999999"})

    assert response.status_code == 200
    assert response.json()["count"] == 0
