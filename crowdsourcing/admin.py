"""The Wagtail admin of the participation domain.

Catalogues (departments, projects with their stage calendar, questions,
categories, districts, moderation reasons) are wagtail-modeladmin screens;
the moderation queue is a pair of plain admin views (moderation_views.py)
because it needs bulk decisions, which modeladmin does not offer.

Every screen asks permissions.py which projects a person works on, and the
edit views check the object again, so a typed URL of another project's
record is refused the same way as a hidden menu entry.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup
from wagtail_modeladmin.views import CreateView, DeleteView, EditView

from search.indexing import schedule_index, schedule_unindex

from . import permissions
from .ballot_admin import BallotAdmin
from .models import (
    Category,
    Department,
    District,
    ModerationReason,
    Project,
    ProjectStage,
    Question,
)


class ProjectScopedPermissionHelper(PermissionHelper):
    """Model permissions from the role, narrowed to the person's projects.

    ``project_of(obj)`` returns the project an object belongs to; operators
    pass everywhere, others only inside moderated or managed projects.
    """

    def project_of(self, obj) -> Project:
        return obj.project

    def in_scope(self, user, obj) -> bool:
        project = self.project_of(obj)
        return permissions.can_moderate(
            user, project
        ) or permissions.can_manage_project(user, project)

    def user_can_inspect_obj(self, user, obj):
        return super().user_can_inspect_obj(user, obj) and self.in_scope(user, obj)

    def user_can_edit_obj(self, user, obj):
        return super().user_can_edit_obj(user, obj) and self.in_scope(user, obj)

    def user_can_delete_obj(self, user, obj):
        return super().user_can_delete_obj(user, obj) and self.in_scope(user, obj)


class ProjectPermissionHelper(ProjectScopedPermissionHelper):
    def project_of(self, obj):
        return obj


def _scoped_projects(user):
    return permissions.moderated_projects(user) | permissions.managed_projects(user)


class ProjectForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("stages")
        if formset is not None and formset.is_valid():
            stages = [
                ProjectStage(
                    kind=form.cleaned_data["kind"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                )
                for form in formset.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            kinds = [stage.kind for stage in stages]
            if len(kinds) != len(set(kinds)):
                self.add_error(
                    None,
                    ValidationError(
                        _("У каждого этапа может быть только одно окно."),
                        code="duplicate_stage",
                    ),
                )
            try:
                ProjectStage.validate_calendar(stages)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


ProjectStage.panels = [
    FieldRowPanel([FieldPanel("kind"), FieldPanel("starts_at"), FieldPanel("ends_at")]),
]


class DepartmentAdmin(ModelAdmin):
    model = Department
    menu_label = _("Ведомства")
    menu_icon = "group"
    list_display = ("name", "slug")
    search_fields = ("name",)
    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]


class IndexedProjectFormMixin:
    """Keep search in step: unpublishing removes the project and its
    proposals from the index in the same transaction as the save."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            schedule_index(self.instance)
        return response


class ProjectCreateView(IndexedProjectFormMixin, CreateView):
    pass


class ProjectEditView(IndexedProjectFormMixin, EditView):
    pass


class ProjectDeleteView(DeleteView):
    """A project with proposals stays: they are residents' records.

    Proposals hold their question with PROTECT, one step away from the
    project, so modeladmin's own refusal could not name them; say it here.
    """

    def dispatch(self, request, *args, **kwargs):
        allowed = request.user.is_authenticated and self.check_action_permitted(
            request.user
        )
        if allowed and self.instance.proposals.exists():
            messages.error(
                request,
                _(
                    "В проекте «%(title)s» есть предложения жителей, поэтому его "
                    "нельзя удалить. Чтобы убрать проект с сайта, снимите флажок "
                    "«опубликован»."
                )
                % {"title": self.instance.title},
            )
            return redirect(self.url_helper.get_action_url("edit", self.instance.pk))
        return super().dispatch(request, *args, **kwargs)

    def delete_instance(self):
        schedule_unindex(self.instance)
        super().delete_instance()


class ProjectAdmin(ModelAdmin):
    model = Project
    menu_label = _("Проекты")
    menu_icon = "list-ul"
    list_display = ("title", "department", "current_stage_label", "is_published")
    # Foreign-key filters need django.contrib.admin, which is not installed.
    list_filter = ("is_published",)
    search_fields = ("title",)
    permission_helper_class = ProjectPermissionHelper
    create_view_class = ProjectCreateView
    edit_view_class = ProjectEditView
    delete_view_class = ProjectDeleteView
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("department"),
                    FieldPanel("title"),
                    FieldPanel("slug"),
                    FieldPanel("summary"),
                    FieldPanel("description"),
                    FieldPanel("rules"),
                    FieldPanel("attribution"),
                    FieldPanel("language"),
                    FieldPanel("is_published"),
                ],
                heading=_("Проект"),
            ),
            InlinePanel(
                "stages",
                heading=_("Календарь этапов (московское время)"),
                label=_("Этап"),
            ),
        ],
        base_form_class=ProjectForm,
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("stages")
        if permissions.is_operator(request.user):
            return qs
        return qs.filter(pk__in=_scoped_projects(request.user).values("pk"))

    def current_stage_label(self, obj):
        stage = obj.current_stage()
        return stage.get_kind_display() if stage else "—"

    current_stage_label.short_description = _("Текущий этап")


class QuestionForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and not permissions.is_operator(self.for_user):
            self.fields["project"].queryset = permissions.managed_projects(
                self.for_user
            )


class QuestionAdmin(ModelAdmin):
    model = Question
    menu_label = _("Вопросы")
    menu_icon = "help"
    list_display = ("title", "project", "position")
    search_fields = ("title", "project__title")
    permission_helper_class = ProjectScopedPermissionHelper
    edit_handler = ObjectList(
        [
            FieldPanel("project"),
            FieldPanel("title"),
            FieldPanel("description"),
            FieldPanel("position"),
        ],
        base_form_class=QuestionForm,
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("project")
        if permissions.is_operator(request.user):
            return qs
        return qs.filter(project__in=_scoped_projects(request.user).values("pk"))


class CategoryAdmin(ModelAdmin):
    model = Category
    menu_label = _("Категории")
    menu_icon = "tag"
    list_display = ("name", "slug")
    search_fields = ("name",)
    panels = [FieldPanel("name"), FieldPanel("slug")]


class DistrictAdmin(ModelAdmin):
    model = District
    menu_label = _("Районы")
    menu_icon = "site"
    list_display = ("name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name",)
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("abbreviation"),
        FieldPanel("parent"),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")


class ModerationReasonAdmin(ModelAdmin):
    model = ModerationReason
    menu_label = _("Причины модерации")
    menu_icon = "warning"
    list_display = ("title", "code", "is_active")
    list_filter = ("is_active",)
    panels = [
        FieldPanel("code"),
        FieldPanel("title"),
        FieldPanel("explanation"),
        FieldPanel("is_active"),
    ]


class ParticipationAdminGroup(ModelAdminGroup):
    menu_label = _("Участие")
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (
        ProjectAdmin,
        QuestionAdmin,
        BallotAdmin,
        DepartmentAdmin,
        CategoryAdmin,
        DistrictAdmin,
        ModerationReasonAdmin,
    )
