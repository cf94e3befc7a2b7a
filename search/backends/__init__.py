"""The backend switch: Elasticsearch when configured, else the database.

Every backend answers the same calls (``search``, ``suggest``, ``similar``,
``index``, ``unindex``, ``rebuild``, ``status``) with the same dataclasses
from ``search/query.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def get_backend():
    """Return the backend the current settings ask for."""
    if settings.ELASTICSEARCH_URL:
        from .elastic import ElasticsearchBackend

        return ElasticsearchBackend()
    from .database import database_backend

    return database_backend(connection.vendor)
