"""What a search asks and what it answers, whatever the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .models import EntryKind

# Facet name → SearchEntry column. "stage" has no column: a project's stage
# follows the clock, so it is worked out at query time (see stages.py).
FACET_COLUMNS = {
    "type": "kind",
    "project": "project_id",
    "question": "question_id",
    "category": "category_id",
    "district": "district_id",
    "state": "state",
}
FACETS = (*FACET_COLUMNS, "stage")
ID_FACETS = frozenset({"project", "question", "category", "district"})

MAX_QUERY_LENGTH = 200
MAX_PAGE = 500
PER_PAGE = 20


class Sort(TextChoices):
    RELEVANCE = "relevance", _("по релевантности")
    NEWEST = "newest", _("сначала новые")
    SUPPORTED = "supported", _("по поддержке")


def _plain_number(value: str) -> int | None:
    """An ASCII decimal that fits a database integer, or None.

    ``str.isdigit`` alone also accepts "²" and other Unicode digits that
    ``int`` refuses, and a long digit string overflows the id columns.
    """
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = Sort.RELEVANCE
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def from_params(cls, params, *, per_page: int = PER_PAGE) -> SearchQuery:
        """Build a query from request parameters, refusing bad values.

        Raises ValidationError with one message per bad parameter, keyed by
        the parameter name, so the API can answer 400 with the details.
        """
        errors: dict[str, str] = {}
        text = (params.get("q") or "").strip()
        if len(text) > MAX_QUERY_LENGTH:
            errors["q"] = _("Запрос длиннее %(max)d символов.") % {
                "max": MAX_QUERY_LENGTH
            }
        filters = {}
        for name in FACETS:
            value = (params.get(name) or "").strip()
            if not value:
                continue
            if name in ID_FACETS and _plain_number(value) is None:
                errors[name] = _("Ожидается число.")
            elif name == "type" and value not in EntryKind.values:
                errors[name] = _("Неизвестный тип: %(value)s.") % {"value": value}
            elif len(value) > 40:
                errors[name] = _("Слишком длинное значение.")
            elif any(ord(ch) < 32 for ch in value):
                # PostgreSQL refuses NUL in text; no facet value has controls.
                errors[name] = _("Недопустимые символы в значении.")
            else:
                filters[name] = value
        sort = params.get("sort") or (Sort.RELEVANCE if text else Sort.NEWEST)
        if sort not in Sort.values:
            errors["sort"] = _("Неизвестный порядок: %(value)s.") % {"value": sort}
        page_param = params.get("page") or "1"
        page = _plain_number(page_param) or 0
        if not 1 <= page <= MAX_PAGE:
            errors["page"] = _("Страница должна быть числом от 1 до %(max)d.") % {
                "max": MAX_PAGE
            }
        if errors:
            raise ValidationError(errors)
        return cls(text=text, filters=filters, sort=sort, page=page, per_page=per_page)


@dataclass
class Hit:
    kind: str
    object_id: int
    title: str
    url: str
    language: str
    date: datetime | None
    title_html: SafeString
    highlight: SafeString
    score: float = 0.0


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchResults:
    query: SearchQuery
    count: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.query.per_page))

    @property
    def has_next(self) -> bool:
        return self.query.page < min(self.num_pages, MAX_PAGE)

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1


@dataclass
class Suggestion:
    title: str
    url: str
    kind: str
