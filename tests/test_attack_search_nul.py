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
