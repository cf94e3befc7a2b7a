"""RSS and Atom feeds of news and of published proposals.

Only public content goes out: live pages without view restrictions, and
proposals in a listed state of a published project. A feed item carries the
title, the public text and the link, never the author's e-mail.
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from crowdsourcing.models import Proposal

from .models import NewsPage

FEED_SIZE = 30


class NewsFeed(Feed):
    title = _("Новости — Город идей")
    description = _("Новости краудсорсинговых проектов города.")

    def link(self):
        return "/"

    def items(self):
        return NewsPage.objects.live().public().order_by("-date", "-pk")[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Readers treat the description as HTML: escape the plain text.
        return escape(item.summary)

    def item_link(self, item):
        # Relative when there is one site; the framework adds the domain.
        return item.get_url()

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.combine(item.date, time(9, 0)))

    def item_updateddate(self, item):
        return item.last_published_at


class NewsAtomFeed(NewsFeed):
    feed_type = Atom1Feed
    subtitle = NewsFeed.description


class ProposalFeed(Feed):
    title = _("Новые предложения — Город идей")
    description = _("Предложения жителей, прошедшие модерацию.")

    def link(self):
        return "/"

    def items(self):
        return (
            Proposal.objects.listed()
            .filter(published_at__isnull=False)
            .select_related("project", "question")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Readers treat the description as HTML, so a resident's text is
        # escaped first (the XML layer escapes it once more): markup stays
        # visible text, as on the site.
        return linebreaks(Truncator(item.body).chars(500), autoescape=True)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_categories(self, item):
        return [item.project.title, item.question.title]


class ProposalAtomFeed(ProposalFeed):
    feed_type = Atom1Feed
    subtitle = ProposalFeed.description
