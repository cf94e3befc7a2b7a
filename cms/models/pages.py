"""The site's page types.

Pages carry what editors write; whatever comes from participation data
(projects, stages, proposals, tallies, implementation) is read at render time
from the crowdsourcing app and never written from here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from crowdsourcing.services.accounts import is_following

from ..blocks import BodyBlock
from ..calls_to_action import calls_to_action

NEWS_PER_PAGE = 12


class ProjectBoundMixin:
    """A page about one Project exists publicly only while the project does.

    An operator may unpublish a project after its page went live; the page
    then answers 404 and leaves the sitemap, while editors can still preview
    it in the admin.
    """

    def project_is_public(self) -> bool:
        return bool(self.project_id) and self.project.is_published

    def serve(self, request, *args, **kwargs):
        if not self.project_is_public() and not getattr(request, "is_preview", False):
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_sitemap_urls(self, request=None):
        if not self.project_is_public():
            return []
        return super().get_sitemap_urls(request)


class SitePage(Page):
    """Fields every public page of ours has: a share image and a summary."""

    share_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("картинка для соцсетей"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Показывается при публикации ссылки в соцсетях (1200×630)."),
    )

    promote_panels = [*Page.promote_panels, "share_image"]

    class Meta:
        abstract = True

    def share_description(self) -> str:
        return self.search_description


def split_projects(projects, at=None) -> tuple[list, list]:
    """Split projects into running ones (nearest deadline first) and finished.

    A project whose calendar has not started yet counts as running: it is
    announced. Finished projects come latest first.
    """
    at = at or timezone.now()
    running, finished = [], []
    for project in projects:
        stage = project.current_stage(at)
        project.shown_stage = stage
        if project.is_finished(at):
            finished.append(project)
        else:
            running.append(project)
    far_future = datetime.max.replace(tzinfo=UTC)
    running.sort(
        key=lambda p: (p.shown_stage.ends_at if p.shown_stage else far_future, p.pk)
    )
    finished.sort(key=lambda p: p.shown_stage.starts_at, reverse=True)
    return running, finished


def project_page_urls(request) -> dict[int, str]:
    """Map project IDs to the URL of their live, public announcement page."""
    pages = ProjectPage.objects.live().public().only("id", "url_path", "project_id")
    return {page.project_id: page.get_url(request) for page in pages}


class HomePage(SitePage):
    """The site's front page: running projects first, then finished ones."""

    intro = RichTextField(_("вступление"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("содержимое"), blank=True)

    content_panels = [*Page.content_panels, "intro", "body"]
    subpage_types = [
        "cms.ProjectIndexPage",
        "cms.NewsIndexPage",
        "cms.StandardPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("главная страница")

    def get_context(self, request, *args, **kwargs):
        from crowdsourcing.models import Project

        context = super().get_context(request, *args, **kwargs)
        projects = (
            Project.objects.public()
            .select_related("department")
            .prefetch_related("stages")
        )
        running, finished = split_projects(projects)
        urls = project_page_urls(request)
        for project in [*running, *finished]:
            project.page_url = urls.get(project.pk) or project.get_absolute_url()
        context["running_projects"] = running
        context["finished_projects"] = finished
        context["latest_news"] = (
            NewsPage.objects.live().public().order_by("-date", "-pk")[:3]
        )
        return context


class ProjectIndexPage(SitePage):
    intro = RichTextField(_("вступление"), blank=True)

    content_panels = [*Page.content_panels, "intro"]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ProjectPage"]

    class Meta:
        verbose_name = _("список проектов")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        pages = list(
            ProjectPage.objects.child_of(self)
            .live()
            .public()
            .filter(project__is_published=True)
            .select_related("project__department")
            .prefetch_related("project__stages")
        )
        by_project = {page.project_id: page for page in pages}
        running, finished = split_projects([page.project for page in pages])
        for project in [*running, *finished]:
            project.page_url = by_project[project.pk].get_url(request)
        context["running_projects"] = running
        context["finished_projects"] = finished
        return context


class ProjectPage(ProjectBoundMixin, SitePage):
    """The announcement of one crowdsourcing project.

    Description, rules, stage calendar and questions come from the Project
    record, so the page never disagrees with what the platform enforces; the
    editor adds an introduction and free content around them.
    """

    project = models.ForeignKey(
        "crowdsourcing.Project",
        verbose_name=_("проект"),
        on_delete=models.PROTECT,
        related_name="announcement_pages",
    )
    intro = RichTextField(_("вступление"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("обложка"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(BodyBlock(), verbose_name=_("содержимое"), blank=True)

    content_panels = [*Page.content_panels, "project", "intro", "image", "body"]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]
    parent_page_types = ["cms.ProjectIndexPage"]
    subpage_types = ["cms.ResultsPage", "cms.NewsPage"]

    class Meta:
        verbose_name = _("страница проекта")
        verbose_name_plural = _("страницы проектов")

    def clean(self):
        super().clean()
        if self.project_id is None:
            return
        others = ProjectPage.objects.filter(project_id=self.project_id)
        if self.pk:
            others = others.exclude(pk=self.pk)
        if others.exists():
            raise ValidationError(
                {"project": _("У этого проекта уже есть страница.")},
                code="duplicate_project_page",
            )

    def share_description(self) -> str:
        return self.search_description or self.project.summary

    def get_project(self):
        from crowdsourcing.models import Project

        return (
            Project.objects.public()
            .select_related("department")
            .prefetch_related("stages", "questions")
            .filter(pk=self.project_id)
            .first()
        )

    def results_page(self):
        return ResultsPage.objects.child_of(self).live().public().first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        project = self.get_project()
        context["project"] = project
        if project is not None:
            results = self.results_page()
            context["stages"] = sorted(project.stages.all(), key=lambda s: s.starts_at)
            context["current_stage"] = project.current_stage()
            context["questions"] = list(project.questions.all())
            context["calls_to_action"] = calls_to_action(
                project, results_url=results.get_url(request) if results else None
            )
            context["is_following"] = is_following(request.user, project)
        return context


class ResultsPage(ProjectBoundMixin, SitePage):
    """The final report of a project: editorial text and generated figures.

    Every number on the page is computed by ``cms.results`` from the data at
    render time; editors write only the words around them.
    """

    project = models.ForeignKey(
        "crowdsourcing.Project",
        verbose_name=_("проект"),
        on_delete=models.PROTECT,
        related_name="results_pages",
    )
    intro = RichTextField(_("вступление"), blank=True)
    body = StreamField(
        BodyBlock(),
        verbose_name=_("текст отчёта"),
        blank=True,
        help_text=_(
            "Цифры участия, отобранные предложения, итоги голосования и ход "
            "реализации добавляются на страницу автоматически."
        ),
    )

    content_panels = [*Page.content_panels, "project", "intro", "body"]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]
    parent_page_types = ["cms.ProjectPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("итоги проекта")
        verbose_name_plural = _("итоги проектов")

    def clean(self):
        super().clean()
        # The report sits under its project's page; a different project here
        # would publish one project's figures under another's name.
        parent = self.get_parent() if self.path else None
        parent = parent.specific if parent is not None else None
        if isinstance(parent, ProjectPage) and self.project_id != parent.project_id:
            raise ValidationError(
                {
                    "project": _(
                        "Выберите тот же проект, что и у родительской страницы."
                    )
                },
                code="results_project_mismatch",
            )

    def share_description(self) -> str:
        return self.search_description or self.project.summary

    def get_context(self, request, *args, **kwargs):
        from .. import results

        context = super().get_context(request, *args, **kwargs)
        context["results"] = results.gather(self.project)
        return context


class NewsIndexPage(SitePage):
    intro = RichTextField(_("вступление"), blank=True)

    content_panels = [*Page.content_panels, "intro"]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = _("список новостей")

    def news(self):
        return (
            NewsPage.objects.descendant_of(self)
            .live()
            .public()
            .order_by("-date", "-pk")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        paginator = Paginator(self.news(), NEWS_PER_PAGE)
        context["page_obj"] = paginator.get_page(request.GET.get("page"))
        return context


class NewsPage(SitePage):
    date = models.DateField(_("дата"), default=timezone.localdate)
    summary = models.CharField(
        _("кратко"),
        max_length=300,
        help_text=_("Одна-две фразы для списка новостей и RSS."),
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("иллюстрация"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    project = models.ForeignKey(
        "crowdsourcing.Project",
        verbose_name=_("проект"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="news_pages",
    )
    body = StreamField(BodyBlock(), verbose_name=_("текст"))

    content_panels = [
        *Page.content_panels,
        "date",
        "summary",
        "image",
        "project",
        "body",
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["cms.NewsIndexPage", "cms.ProjectPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("новость")
        verbose_name_plural = _("новости")

    def share_description(self) -> str:
        return self.search_description or self.summary


class StandardPage(SitePage):
    """Rules, help, the privacy notice: text an editor keeps up to date."""

    intro = models.CharField(_("кратко"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("текст"))

    content_panels = [*Page.content_panels, "intro", "body"]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]

    class Meta:
        verbose_name = _("информационная страница")
        verbose_name_plural = _("информационные страницы")

    def share_description(self) -> str:
        return self.search_description or self.intro
