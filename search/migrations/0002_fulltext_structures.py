"""Create the full-text structures of the database fallback.

PostgreSQL gets a GIN index over ``search_vector``, without the pending
list (fastupdate): entries change one at a time, and a long pending list made
every search scan it (10 ms for a rare word over 100,000 proposals); SQLite gets the FTS5
table ``search_fts`` whose rowid is the SearchEntry id. Each database skips
the other's structure, so the same migration runs on both. This file holds
no schema of the models and can stay as it is when schema migrations are
regenerated (it only needs to run after the one creating SearchEntry).
"""

from django.db import migrations

FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')"
)
GIN_CREATE = (
    "CREATE INDEX IF NOT EXISTS search_entry_vector_gin "
    "ON search_searchentry USING gin (search_vector) WITH (fastupdate = off)"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(FTS_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(GIN_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_entry_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
