"""Proposal pages of the resident site: thin wrappers around the services."""

from __future__ import annotations

from math import ceil

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import permissions
from ..forms import CommentForm, FlagForm, ProposalFilterForm, ProposalForm
from ..models import (
    Category,
    Comment,
    CommentState,
    District,
    ModerationDecision,
    Project,
    Proposal,
    ProposalState,
    Rating,
    StageKind,
)
from ..services import ServiceError
from ..services import proposals as proposal_services

PAGE_SIZE = 20
# The count-ordered sorts use the tallies the services keep (recounted from
# rows on every change) so that an index serves them; the numbers shown are
# still annotated from rows.
SORT_ORDERS = {
    "new": ("-created_at", "-id"),
    "supported": ("-support_tally", "-created_at", "-id"),
    "discussed": ("-comment_tally", "-created_at", "-id"),
}


class CappedPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP rows.

    Counting every published proposal of a large project exactly costs more
    than the page itself (an index scan over all of them); past the cap the
    page says "more than N" and offers the first N / page size pages.
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.COUNT_CAP

    @cached_property
    def num_pages(self) -> int:
        return (
            super().num_pages
            if not self.is_capped
            else ceil(self.COUNT_CAP / self.per_page)
        )


def _public_project(slug: str) -> Project:
    return get_object_or_404(
        Project.objects.public().prefetch_related("stages"), slug=slug
    )


def proposal_list(request, slug):
    """Published proposals of a project: filters, sorting, pages.

    The number of queries does not depend on the page size: counts are
    annotated subqueries and every related row comes by a join.
    """
    project = _public_project(slug)
    form = ProposalFilterForm(
        request.GET or None,
        questions=project.questions.all(),
        categories=Category.objects.all(),
        districts=District.objects.all(),
    )
    proposals = (
        permissions.visible_proposals(request.user)
        .filter(project=project)
        .with_counts()
        .select_related("question", "author", "category", "district")
        .defer("body")
    )
    sort = "new"
    if form.is_valid():
        data = form.cleaned_data
        for name in ("question", "category", "district"):
            if data.get(name):
                proposals = proposals.filter(**{name: data[name]})
        sort = data.get("sort") or "new"
    proposals = proposals.order_by(*SORT_ORDERS[sort])
    page = CappedPaginator(proposals, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "crowdsourcing/proposal_list.html",
        {
            "project": project,
            "form": form,
            "page_obj": page,
            "sort": sort,
            "query_string": query.urlencode(),
            "can_submit": permissions.can_submit_proposal(request.user, project),
        },
    )


@login_required
def proposal_create(request, slug):
    project = _public_project(slug)
    if not permissions.can_submit_proposal(request.user, project):
        return render(
            request,
            "crowdsourcing/proposal_closed.html",
            {
                "project": project,
                "user_can_participate": permissions.can_participate(request.user),
            },
            status=403,
        )
    form = ProposalForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = proposal_services.create_proposal(
                request.user,
                project,
                submit="submit" in request.POST,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            if proposal.state == ProposalState.SUBMITTED:
                messages.success(
                    request,
                    _("Предложение отправлено на модерацию. Мы сообщим о решении."),
                )
            else:
                messages.success(request, _("Черновик сохранён."))
            return redirect("crowdsourcing:my_proposals")
    return render(
        request,
        "crowdsourcing/proposal_form.html",
        {"project": project, "form": form},
    )


@login_required
def proposal_edit(request, pk):
    proposal = get_object_or_404(
        Proposal.objects.select_related("project").prefetch_related("project__stages"),
        pk=pk,
    )
    if not permissions.can_edit_proposal(request.user, proposal):
        raise Http404
    project = proposal.project
    form = ProposalForm(request.POST or None, instance=proposal, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = proposal_services.update_draft(
                request.user, proposal, **form.cleaned_data
            )
            if "submit" in request.POST:
                proposal_services.submit_proposal(request.user, proposal)
                messages.success(request, _("Предложение отправлено на модерацию."))
            else:
                messages.success(request, _("Черновик сохранён."))
        except ValidationError as error:
            form.add_error(None, error)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            return redirect("crowdsourcing:my_proposals")
    return render(
        request,
        "crowdsourcing/proposal_form.html",
        {"project": project, "form": form, "proposal": proposal},
    )


@login_required
def my_proposals(request):
    """The resident's own proposals in every state, with decisions."""
    proposals = (
        Proposal.objects.filter(author=request.user)
        .with_counts()
        .select_related("project", "question")
        .prefetch_related(_decisions_prefetch())
        .order_by("-created_at", "-id")
    )
    page = Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crowdsourcing/my_proposals.html", {"page_obj": page})


def _decisions_prefetch():
    from django.db.models import Prefetch

    return Prefetch(
        "moderation_decisions",
        queryset=ModerationDecision.objects.select_related("reason").order_by(
            "-created_at", "-pk"
        ),
    )


def _comment_tree(comments: list[Comment], show_all: bool, user) -> list[Comment]:
    """Nest ``comments`` under their parents; drop what the viewer may not see.

    A hidden comment keeps its place (without text or author) only when a
    visible reply hangs under it, so that the thread still reads.
    """
    by_parent: dict[int | None, list[Comment]] = {}
    for comment in comments:
        comment.body_visible = (
            show_all
            or comment.state == CommentState.VISIBLE
            or (user.is_authenticated and comment.author_id == user.pk)
        )
        by_parent.setdefault(comment.parent_id, []).append(comment)

    def build(parent_id):
        nodes = []
        for comment in by_parent.get(parent_id, []):
            comment.children = build(comment.pk)
            if comment.body_visible or comment.children:
                nodes.append(comment)
        return nodes

    return build(None)


def proposal_detail(request, pk):
    proposal = get_object_or_404(
        Proposal.objects.with_counts()
        .select_related(
            "project", "question", "author", "category", "district", "merged_into"
        )
        .prefetch_related("project__stages", _decisions_prefetch()),
        pk=pk,
    )
    user = request.user
    if not permissions.can_view_proposal(user, proposal):
        raise Http404
    privileged = permissions.can_see_unpublished(user, proposal)
    is_moderator = privileged and permissions.can_moderate(user, proposal.project)
    comments = list(
        proposal.comments.select_related("author").order_by("created_at", "pk")
    )
    my_rating = None
    if user.is_authenticated:
        my_rating = (
            Rating.objects.filter(proposal=proposal, user=user)
            .values_list("value", flat=True)
            .first()
        )
    decision = next(iter(proposal.moderation_decisions.all()), None)
    return render(
        request,
        "crowdsourcing/proposal_detail.html",
        {
            "proposal": proposal,
            "project": proposal.project,
            "comments": _comment_tree(comments, is_moderator, user),
            "comment_form": CommentForm(),
            "flag_form": FlagForm(),
            "my_rating": my_rating,
            "privileged": privileged,
            "last_decision": decision if privileged else None,
            "can_comment": permissions.can_comment(user, proposal),
            "can_rate": permissions.can_rate(user, proposal),
            "can_flag": permissions.can_flag_proposal(user, proposal),
            "can_flag_comments": permissions.can_participate(user),
            "can_edit": permissions.can_edit_proposal(user, proposal),
            "discussion_open": permissions.is_stage_open(
                proposal.project, StageKind.DISCUSSION
            ),
            "max_depth": Comment.MAX_DEPTH,
        },
    )


def _visible_proposal_or_404(request, pk) -> Proposal:
    proposal = get_object_or_404(
        Proposal.objects.select_related("project").prefetch_related("project__stages"),
        pk=pk,
    )
    if not permissions.can_view_proposal(request.user, proposal):
        raise Http404
    return proposal


@login_required
@require_POST
def proposal_submit(request, pk):
    proposal = _visible_proposal_or_404(request, pk)
    try:
        proposal_services.submit_proposal(request.user, proposal)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Предложение отправлено на модерацию."))
    return redirect("crowdsourcing:my_proposals")


@login_required
@require_POST
def proposal_rate(request, pk):
    proposal = _visible_proposal_or_404(request, pk)
    value = request.POST.get("value", "")
    try:
        if value == "withdraw":
            proposal_services.withdraw_rating(request.user, proposal)
            messages.success(request, _("Оценка отозвана."))
        else:
            proposal_services.rate_proposal(
                request.user, proposal, int(value) if value in ("1", "-1") else 0
            )
            messages.success(request, _("Спасибо, ваша оценка учтена."))
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect(proposal.get_absolute_url() + "#rating")


@login_required
@require_POST
def proposal_flag(request, pk):
    from ..services import comments as comment_services

    proposal = _visible_proposal_or_404(request, pk)
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Выберите причину жалобы."))
    else:
        try:
            comment_services.flag_proposal(request.user, proposal, **form.cleaned_data)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Жалоба отправлена модераторам."))
    return redirect(proposal.get_absolute_url())
