"""HTTP entry points of discovery search: the page, suggestions, the API."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import engine
from .backends.common import facet_choices
from .query import FACETS, SearchQuery, Sort

MAX_FACET_LINKS = 15


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Show results with facets as filter links; works without JavaScript."""
    try:
        query = SearchQuery.from_params(request.GET)
        errors = {}
    except ValidationError as error:
        query, errors = None, error.message_dict
    results = engine.search(query) if query is not None else None
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "query": query,
        "text": request.GET.get("q", ""),
        "errors": errors,
        "results": results,
        "facet_groups": facet_groups(results, params) if results else [],
        "sorts": Sort.choices,
        "base_query": params.urlencode(),
    }
    status = 400 if errors else 200
    return render(request, "search/search.html", context, status=status)


FACET_TITLES = {
    "type": _("Тип"),
    "project": _("Проект"),
    "question": _("Вопрос"),
    "category": _("Категория"),
    "district": _("Район"),
    "state": _("Состояние"),
    "stage": _("Этап проекта"),
}


def facet_groups(results, params) -> list[dict]:
    """Give each facet value a link that turns its filter on or off."""
    groups = []
    choices = facet_choices(results.facets, results.query.filters)
    for name in FACETS:
        values = choices.get(name) or []
        if not values:
            continue
        links = []
        for value in values[:MAX_FACET_LINKS]:
            toggled = params.copy()
            if value.selected:
                toggled.pop(name, None)
            else:
                toggled[name] = value.value
            links.append({"facet": value, "url": "?" + toggled.urlencode()})
        groups.append({"name": name, "title": FACET_TITLES[name], "links": links})
    return groups


@require_GET
def suggest_view(request: HttpRequest) -> JsonResponse:
    """Answer ``{"suggestions": [{"title", "url", "type"}]}`` while typing."""
    found = engine.suggest(request.GET.get("q", ""))
    return JsonResponse(
        {
            "suggestions": [
                {"title": s.title, "url": s.url, "type": s.kind} for s in found
            ]
        }
    )


@require_GET
def search_api(request: HttpRequest) -> JsonResponse:
    """``GET /api/v1/search/``: count, one page of results and facet counts."""
    unknown = sorted(set(request.GET) - {"q", "page", "sort", *FACETS})
    try:
        if unknown:
            raise ValidationError({name: "Неизвестный параметр." for name in unknown})
        query = SearchQuery.from_params(request.GET)
    except ValidationError as error:
        return JsonResponse(
            {"errors": {k: [str(m) for m in v] for k, v in error.message_dict.items()}},
            status=400,
        )
    results = engine.search(query)
    return JsonResponse(
        {
            "count": results.count,
            "results": [
                {
                    "type": hit.kind,
                    "id": hit.object_id,
                    "title": hit.title,
                    "url": request.build_absolute_uri(hit.url),
                    "highlight": str(hit.highlight),
                }
                for hit in results.hits
            ],
            "facets": results.facets,
        },
        json_dumps_params={"ensure_ascii": False},
    )
