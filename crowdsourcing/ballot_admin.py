"""Admin screens where project staff set up a ballot and its options.

A ballot's kind, limits, budget and rule are a wagtail-modeladmin form; its
options are a separate page (``ballot_options``) because an option is not
typed in: it is a selected proposal put on the ballot by the voting service,
which moves the proposal to ``on_ballot`` and writes the audit entry. Both
screens are closed for changes once the vote has opened or any paper exists
(Ballot.has_started), and neither shows who voted: the admin reads options
and counts, never participations next to papers.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import CreateView, DeleteView, EditView

from . import permissions
from .models import (
    Ballot,
    BallotKind,
    BallotOption,
    Proposal,
    ProposalState,
    Question,
    StageKind,
)
from .models.ballots import BUDGET_RULES
from .money import format_money
from .services import ServiceError
from .services.voting import (
    add_proposal_option,
    delete_ballot,
    lock_ballot,
    remove_option,
)


class BallotForm(WagtailAdminModelForm):
    """Offer only the projects (and their questions) the person manages."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is None:
            return
        projects = permissions.managed_projects(self.for_user)
        self.fields["project"].queryset = projects.order_by("title")
        self.fields["question"].queryset = Question.objects.filter(
            project__in=projects
        ).select_related("project")


class BallotPermissionHelper(PermissionHelper):
    """Project staff and operators; nothing changes once the vote started."""

    def user_can_list(self, user):
        return permissions.managed_projects(user).exists()

    def user_can_create(self, user):
        return self.user_can_list(user)

    def user_can_edit_obj(self, user, obj):
        return permissions.can_manage_ballot(user, obj) and not obj.has_started()

    def user_can_delete_obj(self, user, obj):
        return self.user_can_edit_obj(user, obj)


class BallotCreateView(CreateView):
    """After creating a ballot, go straight on to its options."""

    def get_success_url(self):
        return reverse("crowd_ballot_options", args=[self.instance.pk])

    def get_success_message(self, instance):
        return gettext(
            "Бюллетень «%s» создан. Теперь вынесите на него предложения."
        ) % (instance.title)


class BallotEditView(EditView):
    """Say why a started ballot cannot be edited, instead of a bare refusal."""

    def dispatch(self, request, *args, **kwargs):
        ballot = self.instance
        if permissions.can_manage_ballot(request.user, ballot) and ballot.has_started():
            messages.error(
                request,
                gettext(
                    "Голосование по бюллетеню «%s» началось: его правила и "
                    "варианты больше не меняются."
                )
                % ballot.title,
            )
            return redirect("crowd_ballot_options", pk=ballot.pk)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # Validate and save under the ballot's row lock, the one
        # add_proposal_option takes: Ballot.clean then sees every option.
        with transaction.atomic():
            lock_ballot(self.instance)
            return super().post(request, *args, **kwargs)

    def get_success_message(self, instance):
        return gettext("Бюллетень «%s» сохранён.") % instance.title


class BallotDeleteView(DeleteView):
    """Delete through the service, which returns the proposals to «Отобрано»."""

    def delete_instance(self):
        delete_ballot(self.request.user, self.instance)


class BallotAdmin(ModelAdmin):
    model = Ballot
    menu_label = _("Бюллетени")
    menu_icon = "tick-inverse"
    list_display = ("title", "project", "kind", "rule", "options_link", "status")
    list_filter = ("kind", "rule")
    search_fields = ("title", "project__title")
    permission_helper_class = BallotPermissionHelper
    create_view_class = BallotCreateView
    edit_view_class = BallotEditView
    delete_view_class = BallotDeleteView
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("project"),
                    FieldPanel("question"),
                    FieldPanel("title"),
                    FieldPanel("description"),
                ],
                heading=_("Бюллетень"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("kind"), FieldPanel("rule")]),
                    FieldRowPanel(
                        [FieldPanel("min_choices"), FieldPanel("max_choices")]
                    ),
                    FieldRowPanel(
                        [
                            FieldPanel("max_points"),
                            FieldPanel("min_points"),
                            FieldPanel("max_points_per_option"),
                        ]
                    ),
                    FieldRowPanel([FieldPanel("budget"), FieldPanel("currency")]),
                    FieldPanel("winners"),
                ],
                heading=_("Правила"),
                help_text=_(
                    "Окно голосования задаётся этапом «Голосование» в календаре "
                    "проекта (московское время). Бюджет нужен виду «Одобрение в "
                    "пределах бюджета» и бюджетным правилам подсчёта."
                ),
            ),
            MultiFieldPanel(
                [FieldPanel("requires_confirmed_district"), FieldPanel("district")],
                heading=_("Кто голосует"),
            ),
        ],
        base_form_class=BallotForm,
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(project__in=permissions.managed_projects(request.user))
            .select_related("project")
            .prefetch_related("project__stages", "options")
        )

    def options_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("crowd_ballot_options", args=[obj.pk]),
            gettext("Варианты: %(n)d") % {"n": len(obj.options.all())},
        )

    options_link.short_description = _("Варианты")

    def status(self, obj):
        return ballot_status(obj)

    status.short_description = _("Состояние")


def ballot_status(ballot: Ballot) -> str:
    if ballot.is_open():
        return gettext("Идёт голосование")
    if ballot.is_closed():
        return gettext("Голосование завершено")
    if ballot.project.stage_window(StageKind.VOTING) is None:
        return gettext("Нет этапа голосования в календаре")
    return gettext("Готовится")


class AddOptionForm(forms.Form):
    proposal = forms.ModelChoiceField(
        label=_("Отобранное предложение"), queryset=Proposal.objects.none()
    )
    cost = forms.IntegerField(label=_("Стоимость"), min_value=0)

    def __init__(self, *args, ballot: Ballot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"].queryset = candidates(ballot)
        if ballot.kind == BallotKind.BUDGETED or ballot.rule in BUDGET_RULES:
            self.fields["cost"].min_value = 1
            self.fields["cost"].help_text = _(
                "Обязательна: бюллетень считается в пределах бюджета %(budget)s."
            ) % {"budget": format_money(ballot.budget, ballot.currency)}
        else:
            self.fields["cost"].required = False


def candidates(ballot: Ballot):
    """Selected proposals of the ballot's project (and question) not on it."""
    proposals = Proposal.objects.filter(
        project=ballot.project, state=ProposalState.SELECTED
    ).exclude(ballot_options__ballot=ballot)
    if ballot.question_id:
        proposals = proposals.filter(question_id=ballot.question_id)
    return proposals.order_by("title")


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ballot_options(request, pk: int):
    """List a ballot's options; add selected proposals or take options off."""
    ballot = get_object_or_404(
        Ballot.objects.select_related("project", "question"), pk=pk
    )
    if not permissions.can_manage_ballot(request.user, ballot):
        raise PermissionDenied
    started = ballot.has_started()
    form = AddOptionForm(ballot=ballot)

    if request.method == "POST" and not started:
        try:
            if request.POST.get("action") == "remove":
                option = BallotOption.objects.filter(
                    pk=_int_or_none(request.POST.get("option")), ballot=ballot
                ).first()
                if option is None:
                    messages.warning(
                        request, gettext("Этого варианта уже нет в бюллетене.")
                    )
                else:
                    remove_option(request.user, option)
                    messages.success(
                        request,
                        gettext("Вариант «%s» снят с голосования.") % option.title,
                    )
                return redirect("crowd_ballot_options", pk=ballot.pk)

            form = AddOptionForm(request.POST, ballot=ballot)
            if form.is_valid():
                option = add_proposal_option(
                    request.user,
                    ballot,
                    form.cleaned_data["proposal"],
                    cost=form.cleaned_data["cost"] or 0,
                )
                messages.success(
                    request,
                    gettext("Вариант «%s» добавлен в бюллетень.") % option.title,
                )
                return redirect("crowd_ballot_options", pk=ballot.pk)
        except ServiceError as error:
            messages.error(request, error.message)
    elif request.method == "POST":
        messages.error(
            request, gettext("Варианты нельзя менять после начала голосования.")
        )

    options = ballot.options.select_related("proposal").order_by("position", "pk")
    page = Paginator(options, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "crowdsourcing/admin/ballot_options.html",
        {
            "ballot": ballot,
            "page_obj": page,
            "form": form,
            "started": started,
            "status": ballot_status(ballot),
            "has_candidates": form.fields["proposal"].queryset.exists(),
            "total_cost": sum(option.cost for option in options),
        },
    )
