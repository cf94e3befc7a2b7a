"""Navigation for the site templates: the main menu and breadcrumbs."""

from __future__ import annotations

from django import template
from wagtail.models import Page, Site

register = template.Library()


def _site_root(request):
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        site = (
            Site.objects.select_related("root_page")
            .filter(is_default_site=True)
            .first()
        )
    return site.root_page if site is not None else None


@register.inclusion_tag("cms/includes/main_menu.html", takes_context=True)
def main_menu(context):
    """Live, public pages under the site root marked "show in menus"."""
    request = context.get("request")
    root = _site_root(request)
    items = []
    if root is not None:
        items = [
            {"title": page.title, "url": page.get_url(request), "page": page}
            for page in root.get_children().live().public().in_menu()
        ]
    current = context.get("page")
    current_path = current.path if isinstance(current, Page) else ""
    for item in items:
        item["active"] = bool(current_path) and current_path.startswith(
            item["page"].path
        )
    return {"items": items, "request": request}


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context):
    """The trail from the home page to the current page, for Wagtail pages."""
    request = context.get("request")
    page = context.get("page")
    if not isinstance(page, Page) or page.depth <= 2:
        return {"crumbs": []}
    ancestors = page.get_ancestors().filter(depth__gte=2).live().public()
    crumbs = [{"title": a.title, "url": a.get_url(request)} for a in ancestors]
    crumbs.append({"title": page.title, "url": None})
    return {"crumbs": crumbs}
