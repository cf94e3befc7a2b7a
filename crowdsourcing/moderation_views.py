"""The moderation queue in the Wagtail admin.

Two lists: proposals (awaiting a decision by default) and comments that
residents flagged. Both show only the projects the moderator is assigned to
(permissions.moderated_projects); a typed URL of another project's item
answers 404. Decisions, one or in bulk, go through services/moderation.py.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import permissions
from .models import (
    Comment,
    CommentState,
    ModerationAction,
    ModerationReason,
    Proposal,
    ProposalState,
    Question,
)
from .services import ServiceError
from .services import moderation as services

WAITING_CHOICES = [
    ("", gettext_lazy("любое")),
    ("1", gettext_lazy("больше часа")),
    ("24", gettext_lazy("больше суток")),
    ("72", gettext_lazy("больше трёх суток")),
]
QUEUE_STATES = [
    ProposalState.SUBMITTED,
    ProposalState.PUBLISHED,
    ProposalState.HIDDEN,
    ProposalState.REJECTED,
]


class QueueFilterForm(forms.Form):
    project = forms.ModelChoiceField(
        label=gettext_lazy("Проект"), queryset=None, required=False
    )
    question = forms.ModelChoiceField(
        label=gettext_lazy("Вопрос"), queryset=None, required=False
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Состояние"),
        choices=[(s.value, s.label) for s in QUEUE_STATES],
        required=False,
    )
    waiting = forms.ChoiceField(
        label=gettext_lazy("Ждёт решения"), choices=WAITING_CHOICES, required=False
    )
    flagged = forms.BooleanField(
        label=gettext_lazy("Только с жалобами"), required=False
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["question"].queryset = Question.objects.filter(
            project__in=projects
        ).select_related("project")


class DecisionForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Решение"))
    reason = forms.ModelChoiceField(
        label=gettext_lazy("Причина"),
        queryset=ModerationReason.objects.filter(is_active=True),
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Комментарий для автора"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(a.value, a.label) for a in actions]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") in services.REASON_REQUIRED and not cleaned.get(
            "reason"
        ):
            raise ValidationError(
                _("Выберите причину: без неё нельзя отклонить или скрыть."),
                code="reason_required",
            )
        return cleaned


PROPOSAL_ACTIONS = [
    ModerationAction.PUBLISH,
    ModerationAction.REJECT,
    ModerationAction.HIDE,
    ModerationAction.RESTORE,
]
COMMENT_ACTIONS = [ModerationAction.HIDE, ModerationAction.RESTORE]


def _require_moderator(request):
    if not permissions.moderated_projects(request.user).exists():
        raise DjangoPermissionDenied


def _waiting(since):
    if since is None:
        return ""
    delta = timezone.now() - since
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return _("%(n)d сут.") % {"n": hours // 24}
    if hours >= 1:
        return _("%(n)d ч") % {"n": hours}
    return _("%(n)d мин") % {"n": int(delta.total_seconds() // 60)}


def proposal_queue(request):
    _require_moderator(request)
    projects = permissions.moderated_projects(request.user)
    filters = QueueFilterForm(request.GET or None, projects=projects)
    proposals = (
        Proposal.objects.filter(project__in=projects)
        .select_related("project", "question", "author")
        .annotate(open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
    )
    state = ProposalState.SUBMITTED
    if filters.is_valid():
        data = filters.cleaned_data
        state = data.get("state") or state
        if data.get("project"):
            proposals = proposals.filter(project=data["project"])
        if data.get("question"):
            proposals = proposals.filter(question=data["question"])
        if data.get("waiting"):
            since = timezone.now() - timedelta(hours=int(data["waiting"]))
            proposals = proposals.filter(submitted_at__lte=since)
        if data.get("flagged"):
            proposals = proposals.filter(open_flags__gt=0)
    proposals = proposals.filter(state=state).order_by("submitted_at", "pk")

    if request.method == "POST":
        return _bulk_proposals(request, projects)

    page = Paginator(proposals, 50).get_page(request.GET.get("page"))
    for proposal in page:
        proposal.waiting = _waiting(proposal.submitted_at)
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "crowdsourcing/admin/proposal_queue.html",
        {
            "filters": filters,
            "page_obj": page,
            "decision_form": DecisionForm(actions=PROPOSAL_ACTIONS),
            "state": state,
            "query_string": query.urlencode(),
            "comments_waiting": _flagged_comments(projects).count(),
        },
    )


def _selected_ids(request) -> list[str]:
    """The posted ids; a forged value that is no row id finds nothing (404)."""
    ids = request.POST.getlist("selected")
    if not all(i.isascii() and i.isdigit() and len(i) <= 9 for i in ids):
        raise Http404
    return ids


def _bulk_proposals(request, projects):
    form = DecisionForm(request.POST, actions=PROPOSAL_ACTIONS)
    ids = _selected_ids(request)
    back = redirect(request.get_full_path())
    if not ids:
        messages.error(request, _("Отметьте хотя бы одно предложение."))
        return back
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [_("Проверьте решение.")]:
            messages.error(request, error)
        return back
    selected = list(
        Proposal.objects.filter(pk__in=ids, project__in=projects).select_related(
            "project"
        )
    )
    if len(selected) != len(set(ids)):
        # Something outside the moderator's projects was posted: refuse all.
        raise Http404
    try:
        services.bulk_moderate_proposals(
            request.user,
            selected,
            form.cleaned_data["action"],
            form.cleaned_data.get("reason"),
            form.cleaned_data.get("note", ""),
        )
    except (ServiceError, ValidationError) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(
            request, _("Решение принято по %(n)d предложениям.") % {"n": len(selected)}
        )
    return back


def _flagged_comments(projects):
    return (
        Comment.objects.filter(proposal__project__in=projects)
        .filter(
            Q(state=CommentState.PENDING_REVIEW)
            # flags__isnull=False keeps the join to a real flag: without it a
            # comment with no flags at all matched "unresolved flag".
            | Q(
                flags__isnull=False,
                flags__resolved_at__isnull=True,
                state=CommentState.VISIBLE,
            )
        )
        .distinct()
    )


def comment_queue(request):
    _require_moderator(request)
    projects = permissions.moderated_projects(request.user)
    if request.method == "POST":
        return _bulk_comments(request, projects)
    filters = QueueFilterForm(request.GET or None, projects=projects)
    comments = (
        Comment.objects.filter(pk__in=_flagged_comments(projects).values("pk"))
        .select_related("proposal__project", "author")
        .annotate(open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
        .order_by("created_at", "pk")
    )
    if filters.is_valid() and filters.cleaned_data.get("project"):
        comments = comments.filter(proposal__project=filters.cleaned_data["project"])
    page = Paginator(comments, 50).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "crowdsourcing/admin/comment_queue.html",
        {
            "filters": filters,
            "page_obj": page,
            "decision_form": DecisionForm(actions=COMMENT_ACTIONS),
        },
    )


def _bulk_comments(request, projects):
    form = DecisionForm(request.POST, actions=COMMENT_ACTIONS)
    ids = _selected_ids(request)
    back = redirect(request.get_full_path())
    if not ids:
        messages.error(request, _("Отметьте хотя бы один комментарий."))
        return back
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [_("Проверьте решение.")]:
            messages.error(request, error)
        return back
    selected = list(
        Comment.objects.filter(
            pk__in=ids, proposal__project__in=projects
        ).select_related("proposal__project")
    )
    if len(selected) != len(set(ids)):
        raise Http404
    try:
        services.bulk_moderate_comments(
            request.user,
            selected,
            form.cleaned_data["action"],
            form.cleaned_data.get("reason"),
            form.cleaned_data.get("note", ""),
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Решение принято по %(n)d комментариям.") % {"n": len(selected)}
        )
    return back


def proposal_review(request, pk):
    """One proposal in full with its decisions, flags and a decision form."""
    _require_moderator(request)
    proposal = get_object_or_404(
        Proposal.objects.select_related(
            "project", "question", "author", "category", "district"
        ),
        pk=pk,
    )
    if not permissions.can_moderate(request.user, proposal.project):
        raise Http404
    form = DecisionForm(request.POST or None, actions=PROPOSAL_ACTIONS)
    if request.method == "POST" and form.is_valid():
        try:
            services.bulk_moderate_proposals(
                request.user,
                [proposal],
                form.cleaned_data["action"],
                form.cleaned_data.get("reason"),
                form.cleaned_data.get("note", ""),
            )
        except (ServiceError, ValidationError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        else:
            messages.success(request, _("Решение сохранено."))
            return redirect("crowd_moderation_proposal", pk=proposal.pk)
    return TemplateResponse(
        request,
        "crowdsourcing/admin/proposal_review.html",
        {
            "proposal": proposal,
            "decision_form": form,
            "decisions": proposal.moderation_decisions.select_related(
                "moderator", "reason"
            ),
            "flags": proposal.flags.select_related("user").order_by("-created_at"),
        },
    )
