"""The database side of discovery search.

``SearchEntry`` is one row per public thing that search can find: the
database fallbacks query it (PostgreSQL through ``search_vector`` and a GIN
index, SQLite through the FTS5 table ``search_fts`` keyed by the entry's id),
and it is also what the Elasticsearch documents are built from. Both the GIN
index and the FTS5 table exist only on their own database; migration 0002
creates them.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    PROPOSAL = "proposal", _("Предложение")
    PROJECT = "project", _("Проект")
    PAGE = "page", _("Страница")


class SearchEntry(models.Model):
    """A public proposal, project or page as search sees it.

    Facet columns hold plain ids rather than foreign keys: the entry is a
    copy that indexing refreshes, and deleting a category must not reach
    into the search tables.
    """

    kind = models.CharField(_("тип"), max_length=16, choices=EntryKind.choices)
    object_id = models.PositiveBigIntegerField(_("идентификатор"))
    language = models.CharField(_("язык"), max_length=8)
    title = models.CharField(_("заголовок"), max_length=300)
    url = models.CharField(_("адрес"), max_length=500)
    project_id = models.BigIntegerField(_("проект"), null=True, blank=True)
    question_id = models.BigIntegerField(_("вопрос"), null=True, blank=True)
    category_id = models.BigIntegerField(_("категория"), null=True, blank=True)
    district_id = models.BigIntegerField(_("район"), null=True, blank=True)
    state = models.CharField(_("состояние"), max_length=20, blank=True)
    date = models.DateTimeField(_("дата"), null=True, blank=True)
    # A copy of the support count for sorting only: it is refreshed whenever
    # the proposal is indexed again, and is never shown to anyone. Rating
    # services that want a fresh order call schedule_index after a rating.
    support_count = models.PositiveIntegerField(_("поддержка"), default=0)
    indexed_at = models.DateTimeField(_("проиндексировано"), auto_now=True)
    # Filled on PostgreSQL only (see search/backends/postgres.py).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("запись поискового индекса")
        verbose_name_plural = _("записи поискового индекса")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="search_entry_unique_object"
            ),
        ]
        indexes = [
            models.Index(fields=["-date"], name="search_entry_date"),
            models.Index(fields=["project_id"], name="search_entry_project"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.object_id}"

    @property
    def body(self) -> str:
        try:
            return self.text.body
        except SearchEntryText.DoesNotExist:
            return ""


class SearchEntryText(models.Model):
    """The body of an entry, kept apart so the searched rows stay narrow.

    A search reads the entry row of every match (facets, rank); with the
    body inline a row filled most of a page, and a common word touched one
    page per match. Only the page of hits reads the body, to highlight it.
    """

    entry = models.OneToOneField(
        SearchEntry, primary_key=True, on_delete=models.CASCADE, related_name="text"
    )
    body = models.TextField(_("текст"), blank=True)

    class Meta:
        verbose_name = _("текст записи поискового индекса")
        verbose_name_plural = _("тексты записей поискового индекса")

    def __str__(self):
        return str(self.entry_id)


class OutboxAction(models.TextChoices):
    INDEX = "index", _("Проиндексировать")
    DELETE = "delete", _("Удалить")


class OutboxItem(models.Model):
    """An Elasticsearch write that failed and waits to be retried.

    Only the Elasticsearch backend writes here: the database fallbacks change
    their tables in the same database as the content, so they cannot fall
    behind. ``search_index drain`` replays the items in order.
    """

    kind = models.CharField(_("тип"), max_length=16, choices=EntryKind.choices)
    object_id = models.PositiveBigIntegerField(_("идентификатор"))
    action = models.CharField(_("действие"), max_length=8, choices=OutboxAction)
    attempts = models.PositiveIntegerField(_("попыток"), default=0)
    last_error = models.CharField(_("последняя ошибка"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)

    class Meta:
        verbose_name = _("отложенная запись в индекс")
        verbose_name_plural = _("отложенные записи в индекс")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.action} {self.kind} #{self.object_id}"
