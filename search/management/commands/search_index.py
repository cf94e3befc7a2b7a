"""``search_index rebuild | drain | status``: look after the discovery index."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from search.backends.database import database_backend
from search.models import OutboxItem, SearchEntry
from search.sources import count_public, iter_entries


class Command(BaseCommand):
    help = (
        "Перестроить поисковый индекс, отправить отложенные записи, показать состояние."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "drain", "status"])
        parser.add_argument(
            "--no-progress", action="store_true", help="Не показывать прогресс."
        )

    def handle(self, *args, action, no_progress=False, **options):
        getattr(self, action)(progress=not no_progress)

    def _bar(self, total: int, label: str, enabled: bool):
        return tqdm(
            total=total, desc=label, unit="doc", disable=not enabled, file=self.stderr
        )

    def rebuild(self, progress: bool) -> None:
        total = sum(count_public().values())
        queued_before = OutboxItem.objects.order_by("-pk").values_list("pk", flat=True)
        last_queued = queued_before.first() or 0
        with self._bar(total, "database", progress) as bar:
            written = database_backend(connection.vendor).rebuild(
                iter_entries(), progress=bar
            )
        self.stdout.write("Записей в базе: %d" % written)
        if settings.ELASTICSEARCH_URL:
            from search.backends.elastic import ElasticsearchBackend

            backend = ElasticsearchBackend()
            if not backend.has_stempel():
                self.stderr.write(
                    "Внимание: в Elasticsearch нет плагина analysis-stempel, "
                    "польские тексты индексируются без стемминга."
                )
            with self._bar(
                SearchEntry.objects.count(), "elasticsearch", progress
            ) as bar:
                name = backend.rebuild(progress=bar)
            # What was queued before the rebuild is in the new index now;
            # anything queued while it ran stays for the next drain.
            OutboxItem.objects.filter(pk__lte=last_queued).delete()
            self.stdout.write("Новый индекс %s, псевдоним переключён." % name)

    def drain(self, progress: bool) -> None:
        if not settings.ELASTICSEARCH_URL:
            raise CommandError("ELASTICSEARCH_URL не задан: очередь не используется.")
        from search.indexing import drain_outbox

        written, left = drain_outbox()
        self.stdout.write("Отправлено: %d, осталось в очереди: %d" % (written, left))
        if left:
            raise CommandError("Elasticsearch недоступен, очередь не пуста.")

    def status(self, progress: bool) -> None:
        if settings.ELASTICSEARCH_URL:
            from search.backends.elastic import ElasticsearchBackend

            info = ElasticsearchBackend().status()
        else:
            info = database_backend(connection.vendor).status()
        self.stdout.write("Поиск: %s" % info["backend"])
        for key, value in info.items():
            if key != "backend":
                self.stdout.write("  %s: %s" % (key, value))
        self.stdout.write("  в очереди (outbox): %d" % OutboxItem.objects.count())
