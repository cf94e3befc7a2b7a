"""Admin screens where department staff report implementation.

Staff see and change only the updates of their department's projects
(permissions.implementation_projects); every save goes through the
implementation service, which checks the same rule again and writes the
audit entry.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import SimpleListFilter
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import CreateView, EditView

from . import permissions
from .models import (
    IMPLEMENTABLE_STATES,
    ImplementationStatus,
    ImplementationUpdate,
    Proposal,
)
from .services import ServiceError
from .services.implementation import (
    edit_implementation_update,
    record_implementation_update,
)


def reportable_proposals(user):
    return (
        Proposal.objects.filter(
            state__in=IMPLEMENTABLE_STATES,
            project__in=permissions.implementation_projects(user),
        )
        .select_related("project")
        .order_by("project__title", "title")
    )


class ProposalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "%s — %s" % (obj.project.title, obj.title)


class ImplementationUpdateForm(WagtailAdminModelForm):
    """Limit the proposal choice to the user's projects; freeze the status
    of an existing update (a new status is a new update)."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if "proposal" in self.fields:
            field = self.fields["proposal"]
            self.fields["proposal"] = ProposalChoiceField(
                queryset=reportable_proposals(for_user),
                label=field.label,
                required=True,
            )
        if self.instance.pk:
            for name in ("proposal", "status", "declined_reason"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean(self):
        cleaned = super().clean()
        # The same rules as the service and the constraints, said next to
        # the field instead of as a constraint name.
        reason = (cleaned.get("declined_reason") or "").strip()
        status = cleaned.get("status")
        if status == ImplementationStatus.DECLINED and not reason:
            self.add_error(
                "declined_reason", _("Укажите причину отказа от реализации.")
            )
        elif status and status != ImplementationStatus.DECLINED and reason:
            self.add_error(
                "declined_reason",
                _("Причину указывают, только если от реализации отказались."),
            )
        return cleaned


# Which form field a service refusal belongs to; the rest go on top.
ERROR_FIELDS = {"reason_required": "declined_reason", "note_required": "note"}


def _refuse(view, form, error: ServiceError):
    field = ERROR_FIELDS.get(error.code)
    form.add_error(field if field in form.fields else None, error.message)
    if field is None:
        messages.error(view.request, error.message)
    return view.form_invalid(form)


def _photos(form) -> list[tuple[object, str]]:
    formset = form.formsets.get("photos")
    if formset is None:
        return []
    photos = []
    for photo_form in formset.forms:
        if not photo_form.has_changed() and not photo_form.instance.pk:
            continue
        if formset.can_delete and formset._should_delete_form(photo_form):
            continue
        data = photo_form.cleaned_data
        if data.get("image"):
            photos.append((data["image"], data.get("caption", "")))
    return photos


class ImplementationCreateView(CreateView):
    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.instance = record_implementation_update(
                self.request.user,
                data["proposal"],
                status=data["status"],
                note=data["note"],
                happened_on=data["happened_on"],
                declined_reason=data.get("declined_reason", ""),
                photos=_photos(form),
            )
        except ServiceError as error:
            return _refuse(self, form, error)
        messages.success(self.request, _("Обновление о реализации сохранено."))
        return redirect(self.get_success_url())


class ImplementationEditView(EditView):
    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.instance = edit_implementation_update(
                self.request.user,
                self.instance,
                note=data["note"],
                happened_on=data["happened_on"],
                photos=_photos(form),
            )
        except ServiceError as error:
            return _refuse(self, form, error)
        messages.success(self.request, _("Обновление о реализации исправлено."))
        return redirect(self.get_success_url())


class ImplementationPermissionHelper(PermissionHelper):
    """Department staff of a project, and operators; nobody deletes history."""

    def user_can_list(self, user):
        return permissions.implementation_projects(user).exists()

    def user_can_create(self, user):
        return self.user_can_list(user)

    def user_can_inspect_obj(self, user, obj):
        return permissions.can_report_implementation(user, obj.proposal)

    def user_can_edit_obj(self, user, obj):
        return permissions.can_report_implementation(user, obj.proposal)

    def user_can_delete_obj(self, user, obj):
        return False


class ProjectFilter(SimpleListFilter):
    title = _("проект")
    parameter_name = "project"

    def lookups(self, request, model_admin):
        projects = permissions.implementation_projects(request.user).order_by("title")
        return [(str(p.pk), p.title) for p in projects]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(proposal__project_id=self.value())
        return queryset


class ImplementationUpdateAdmin(ModelAdmin):
    model = ImplementationUpdate
    menu_label = _("Ход реализации")
    menu_icon = "tasks"
    menu_order = 400
    add_to_admin_menu = True
    list_display = ("proposal", "status", "happened_on", "author")
    list_filter = ("status", ProjectFilter)
    search_fields = ("proposal__title", "note")
    ordering = ("-happened_on", "-created_at")
    inspect_view_enabled = True
    permission_helper_class = ImplementationPermissionHelper
    create_view_class = ImplementationCreateView
    edit_view_class = ImplementationEditView
    edit_handler = ObjectList(
        [
            FieldPanel("proposal"),
            FieldPanel("status"),
            FieldPanel("happened_on"),
            FieldPanel("note"),
            FieldPanel("declined_reason"),
            InlinePanel("photos", label=_("Фотографии"), max_num=12),
        ],
        base_form_class=ImplementationUpdateForm,
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                proposal__project__in=permissions.implementation_projects(request.user)
            )
            .select_related("proposal__project", "author")
        )
