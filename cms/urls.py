from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from . import feeds, views
from .sitemaps import ProjectSitemap, ProposalSitemap

SITEMAPS = {
    "pages": Sitemap,
    "projects": ProjectSitemap,
    "proposals": ProposalSitemap,
}

feed_urls = (
    [
        path("news/", feeds.NewsFeed(), name="news_rss"),
        path("news/atom/", feeds.NewsAtomFeed(), name="news_atom"),
        path("proposals/", feeds.ProposalFeed(), name="proposals_rss"),
        path("proposals/atom/", feeds.ProposalAtomFeed(), name="proposals_atom"),
    ],
    "feeds",
)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("me/", include("crowdsourcing.urls_cabinet")),
    path("", include("crowdsourcing.urls")),
    path("", include("search.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}),
    path("feeds/", include(feed_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page tree serves everything not matched above; keep it last.
urlpatterns += [path("", include(wagtail_urls))]
