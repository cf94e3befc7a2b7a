from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The site's front page: running projects first, then finished ones."""

    intro = RichTextField(_("вступление"), blank=True)

    content_panels = [*Page.content_panels, "intro"]

    max_count = 1

    class Meta:
        verbose_name = _("главная страница")

    def get_context(self, request, *args, **kwargs):
        from crowdsourcing.models import Project

        context = super().get_context(request, *args, **kwargs)
        projects = list(
            Project.objects.public()
            .select_related("department")
            .prefetch_related("stages")
        )
        context["running_projects"] = [p for p in projects if not p.is_finished()]
        context["finished_projects"] = [p for p in projects if p.is_finished()]
        return context
