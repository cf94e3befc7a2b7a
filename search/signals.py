"""Keep Wagtail pages in the discovery index.

Pages are published by Wagtail's own actions, not by our services, so the
signals Wagtail sends after publishing, unpublishing and deleting are the
only place to hear about them. Proposals and projects are indexed by the
services instead (crowdsourcing/services), never from here.
"""

from __future__ import annotations

from django.db.models.signals import pre_delete
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished

from .indexing import schedule_index, schedule_unindex


def index_published_page(sender, instance, **kwargs) -> None:
    schedule_index(instance)


def unindex_page(sender, instance, **kwargs) -> None:
    schedule_unindex(instance)


def unindex_deleted_page(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        schedule_unindex(instance)


def connect() -> None:
    page_published.connect(index_published_page, dispatch_uid="search_page_published")
    page_unpublished.connect(unindex_page, dispatch_uid="search_page_unpublished")
    pre_delete.connect(unindex_deleted_page, dispatch_uid="search_page_deleted")
