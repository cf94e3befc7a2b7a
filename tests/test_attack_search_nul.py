"""Attack: a NUL byte in the search text answers 400 or 200, never 500."""

from __future__ import annotations

import pytest

from .search_support import fresh_stage_calendar, publish  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/search/", "/search/", "/search/suggest/"])
def test_nul_byte_in_search_text(client, settings, url):
    settings.ELASTICSEARCH_URL = ""
    publish(title="Велосипедная дорожка", body="Проложить велосипедную дорожку.")

    response = client.get(url, {"q": "дорожка\x00"})

    assert response.status_code in (200, 400)


@pytest.mark.parametrize("value", ["\x00", "x\x00y", "published\x01"])
@pytest.mark.parametrize("url", ["/api/v1/search/", "/search/"])
def test_control_characters_in_a_filter_are_a_400(client, settings, url, value):
    """A NUL in a facet value used to reach PostgreSQL and fail there."""
    settings.ELASTICSEARCH_URL = ""
    publish(title="Велосипедная дорожка", body="Проложить велосипедную дорожку.")

    response = client.get(url, {"state": value})

    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json()["errors"]["state"] == [
            "Недопустимые символы в значении."
        ]
