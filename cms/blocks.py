"""StreamField blocks for the site's pages.

Blocks that show participation data (a stage timeline, a list of proposals)
only read it: the querysets come from the domain's own public filters, so a
hidden or rejected proposal never reaches a page through a block.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock

MAX_LISTED_PROPOSALS = 50


def project_choices() -> list[tuple[str, str]]:
    """List published projects for a block's project chooser.

    Evaluated when the editor opens the form, so new projects appear without
    a migration.
    """
    from crowdsourcing.models import Project

    return [
        (str(pk), title)
        for pk, title in Project.objects.public()
        .order_by("title")
        .values_list("pk", "title")
    ]


def question_choices() -> list[tuple[str, str]]:
    from crowdsourcing.models import Question

    return [
        (str(pk), "%s — %s" % (project, title))
        for pk, title, project in Question.objects.filter(project__is_published=True)
        .order_by("project__title", "position", "pk")
        .values_list("pk", "title", "project__title")
    ]


def category_choices() -> list[tuple[str, str]]:
    from crowdsourcing.models import Category

    return [(str(pk), name) for pk, name in Category.objects.values_list("pk", "name")]


def district_choices() -> list[tuple[str, str]]:
    from crowdsourcing.models import District

    return [
        (str(pk), name)
        for pk, name in District.objects.order_by("name").values_list("pk", "name")
    ]


def listed_state_choices() -> list[tuple[str, str]]:
    from crowdsourcing.models import ProposalState
    from crowdsourcing.models.proposals import LISTED_STATES

    return [
        (value, label)
        for value, label in ProposalState.choices
        if value in LISTED_STATES
    ]


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("цитата"))
    author = blocks.CharBlock(label=_("автор"), required=False, max_length=200)
    role = blocks.CharBlock(label=_("должность или район"), required=False)

    class Meta:
        icon = "openquote"
        label = _("Цитата")
        template = "cms/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("заголовок"), max_length=120)
    text = blocks.TextBlock(label=_("текст"), required=False)
    button_label = blocks.CharBlock(label=_("надпись на кнопке"), max_length=60)
    page = blocks.PageChooserBlock(label=_("страница"), required=False)
    url = blocks.URLBlock(
        label=_("или адрес"),
        required=False,
        help_text=_("Если страница не выбрана."),
    )

    class Meta:
        icon = "pick"
        label = _("Призыв к действию")
        template = "cms/blocks/call_to_action.html"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("page") and not value.get("url"):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "page": ValidationError(_("Выберите страницу или укажите адрес."))
                }
            )
        return value


class ProjectStageTimelineBlock(blocks.StructBlock):
    """The stage calendar of one project, with the current stage marked."""

    project = blocks.ChoiceBlock(choices=project_choices, label=_("проект"))
    title = blocks.CharBlock(label=_("заголовок"), required=False)

    class Meta:
        icon = "date"
        label = _("Календарь этапов")
        template = "cms/blocks/stage_timeline.html"

    def get_context(self, value, parent_context=None):
        from crowdsourcing.models import Project

        context = super().get_context(value, parent_context)
        project = (
            Project.objects.public()
            .prefetch_related("stages")
            .filter(pk=value.get("project") or None)
            .first()
        )
        context["project"] = project
        context["stages"] = (
            sorted(project.stages.all(), key=lambda s: s.starts_at) if project else []
        )
        context["current_stage"] = project.current_stage() if project else None
        return context


class ProposalListBlock(blocks.StructBlock):
    """Published proposals picked by filter, newest or most supported first."""

    title = blocks.CharBlock(label=_("заголовок"), required=False)
    project = blocks.ChoiceBlock(
        choices=project_choices, label=_("проект"), required=False
    )
    question = blocks.ChoiceBlock(
        choices=question_choices, label=_("вопрос"), required=False
    )
    category = blocks.ChoiceBlock(
        choices=category_choices, label=_("категория"), required=False
    )
    district = blocks.ChoiceBlock(
        choices=district_choices, label=_("район"), required=False
    )
    state = blocks.ChoiceBlock(
        choices=listed_state_choices, label=_("состояние"), required=False
    )
    order = blocks.ChoiceBlock(
        choices=[
            ("newest", _("Сначала новые")),
            ("supported", _("Сначала поддержанные")),
        ],
        default="newest",
        label=_("порядок"),
    )
    limit = blocks.IntegerBlock(
        label=_("сколько показать"),
        default=6,
        min_value=1,
        max_value=MAX_LISTED_PROPOSALS,
    )

    class Meta:
        icon = "list-ul"
        label = _("Список предложений")
        template = "cms/blocks/proposal_list.html"

    def get_queryset(self, value):
        from crowdsourcing.models import Proposal

        proposals = Proposal.objects.listed().select_related(
            "project", "question", "district", "category"
        )
        for field in ("project", "question", "category", "district"):
            if value.get(field):
                proposals = proposals.filter(**{f"{field}_id": value[field]})
        if value.get("state"):
            proposals = proposals.filter(state=value["state"])
        if value.get("order") == "supported":
            proposals = proposals.with_counts().order_by("-support_count", "-pk")
        else:
            proposals = proposals.order_by("-published_at", "-pk")
        limit = min(value.get("limit") or 6, MAX_LISTED_PROPOSALS)
        return proposals[:limit]

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["proposals"] = list(self.get_queryset(value))
        return context


class BodyBlock(blocks.StreamBlock):
    """The content stream shared by the editorial page types."""

    heading = blocks.CharBlock(
        label=_("Подзаголовок"), icon="title", template="cms/blocks/heading.html"
    )
    text = blocks.RichTextBlock(
        label=_("Текст"),
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"],
    )
    image = ImageBlock(label=_("Изображение"), template="cms/blocks/image.html")
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    stage_timeline = ProjectStageTimelineBlock()
    proposal_list = ProposalListBlock()
