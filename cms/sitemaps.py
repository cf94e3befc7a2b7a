"""Sitemap sections for projects and proposals (pages come from Wagtail)."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from crowdsourcing.models import Project, Proposal


class ProjectSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Project.objects.public().order_by("pk")

    def location(self, item):
        return item.get_absolute_url()


class ProposalSitemap(Sitemap):
    changefreq = "weekly"
    limit = 10_000

    def items(self):
        return Proposal.objects.listed().order_by("pk").only("pk", "updated_at")

    def lastmod(self, item):
        return item.updated_at

    def location(self, item):
        return item.get_absolute_url()
