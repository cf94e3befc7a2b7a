"""The expert pages on the resident site (/expert/).

Invited experts work here rather than in the Wagtail admin: an outside
specialist should not have to learn a CMS, and the Experts group has no admin
access at all. The project team (moderators of the project and its
department's staff) assigns reviewers, reads the ranked aggregate and records
selection decisions on the same pages. Every question of access goes to
permissions.py; every change to services/reviews.py.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import permissions
from ..forms_reviews import (
    AssignForm,
    BulkAssignForm,
    ConflictForm,
    CriterionForm,
    DecisionForm,
    QueueFilterForm,
    ReviewForm,
    TopSelectionForm,
)
from ..models import (
    Criterion,
    ExpertAssignment,
    Project,
    Proposal,
    ProposalState,
    Recommendation,
    Review,
)
from ..services import ServiceError
from ..services import reviews as review_services
from ..services.reviews import ASSIGNABLE_STATES

QUEUE_PAGE_SIZE = 25
ASSIGNMENT_PAGE_SIZE = 50


def _require_area(user) -> None:
    if not permissions.can_use_review_area(user):
        raise DjangoPermissionDenied


def _team_project(user, slug: str, check=permissions.is_project_team) -> Project:
    """The project, if ``user`` is on its team; 404 otherwise.

    A 404 rather than a 403: a staff member of another department learns
    nothing about projects that are not theirs.
    """
    project = get_object_or_404(
        Project.objects.select_related("department").prefetch_related("stages"),
        slug=slug,
    )
    if not check(user, project):
        raise Http404
    return project


# The reviewer's side.


@login_required
def queue(request):
    """The signed-in reviewer's own assignments, newest due date last."""
    _require_area(request.user)
    filters = QueueFilterForm(request.GET or None)
    assignments = filters.filter(
        ExpertAssignment.objects.filter(expert=request.user)
        .select_related("proposal__project", "proposal__question", "review")
        .order_by("due_date", "pk")
    )
    page = Paginator(assignments, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # One permission query for the whole page instead of one per row.
    checker = permissions.review_checker(request.user, [a.proposal for a in rows])
    today = timezone.localdate()
    for assignment in rows:
        assignment.can_open = permissions.can_review_with(
            checker, request.user, assignment.proposal
        )
        assignment.overdue = assignment.is_open and assignment.due_date < today
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "crowdsourcing/expert/queue.html",
        {
            "page_obj": page,
            "rows": rows,
            "filters": filters,
            "query_string": query.urlencode(),
            "team_projects": permissions.review_team_projects(request.user).exists(),
        },
    )


def _reviewer_assignment(request, pk: int) -> ExpertAssignment:
    """The user's own assignment that they may still open, or 404."""
    assignment = get_object_or_404(
        ExpertAssignment.objects.select_related(
            "proposal__project", "proposal__question", "proposal__category"
        ),
        pk=pk,
        expert=request.user,
    )
    if not permissions.can_review(request.user, assignment.proposal):
        raise Http404
    return assignment


@login_required
def review(request, pk: int):
    """Read the proposal and write, save or submit the review."""
    _require_area(request.user)
    assignment = _reviewer_assignment(request, pk)
    proposal = assignment.proposal
    criteria = list(proposal.project.criteria.all())
    existing = (
        Review.objects.filter(assignment=assignment)
        .prefetch_related("scores__criterion")
        .select_related("merge_with")
        .first()
    )
    read_only = existing is not None and existing.is_submitted
    form = ReviewForm(
        request.POST if request.method == "POST" and not read_only else None,
        assignment=assignment,
        criteria=criteria,
        review=existing,
    )
    status = 200
    if request.method == "POST":
        if read_only:
            messages.error(request, _("Отзыв уже отправлен и не может быть изменён."))
            return redirect("crowdsourcing:expert:review", pk=assignment.pk)
        if form.is_valid():
            service = (
                review_services.submit_review
                if "submit" in request.POST
                else review_services.save_review_draft
            )
            try:
                service(assignment, form.to_input(), actor=request.user)
            except ServiceError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                if service is review_services.submit_review:
                    messages.success(request, _("Отзыв отправлен. Спасибо!"))
                else:
                    messages.success(request, _("Черновик сохранён."))
                return redirect("crowdsourcing:expert:review", pk=assignment.pk)
        else:
            status = 400
    scores = {}
    if existing is not None:
        scores = {s.criterion_id: s.value for s in existing.scores.all()}
    return render(
        request,
        "crowdsourcing/expert/review.html",
        {
            "assignment": assignment,
            "proposal": proposal,
            "criteria_scores": [(c, scores.get(c.pk)) for c in criteria],
            "review": existing,
            "read_only": read_only,
            "form": form,
            "conflict_form": ConflictForm(),
            "overdue": assignment.is_open
            and assignment.due_date < timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_POST
def declare_conflict(request, pk: int):
    _require_area(request.user)
    assignment = _reviewer_assignment(request, pk)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Опишите, в чём конфликт интересов."))
        return redirect("crowdsourcing:expert:review", pk=assignment.pk)
    try:
        review_services.declare_conflict(
            assignment, actor=request.user, note=form.cleaned_data["note"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("crowdsourcing:expert:review", pk=assignment.pk)
    messages.success(
        request,
        _("Конфликт интересов записан; предложение передано команде проекта."),
    )
    return redirect("crowdsourcing:expert:queue")


# The project team's side.


@login_required
def team_projects(request):
    _require_area(request.user)
    projects = (
        permissions.review_team_projects(request.user)
        .select_related("department")
        .order_by("-created_at")
    )
    return render(
        request, "crowdsourcing/expert/team_projects.html", {"projects": projects}
    )


@login_required
def criteria(request, slug: str):
    """The project's scoring criteria: list, add, change, remove."""
    _require_area(request.user)
    project = _team_project(request.user, slug)
    form = CriterionForm(instance=Criterion(project=project))
    status = 200
    if request.method == "POST":
        form = CriterionForm(request.POST, instance=Criterion(project=project))
        if form.is_valid():
            try:
                review_services.add_criterion(
                    project, actor=request.user, **form.cleaned_data
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Критерий добавлен."))
                return redirect("crowdsourcing:expert:criteria", slug=project.slug)
        status = 400
    return render(
        request,
        "crowdsourcing/expert/criteria.html",
        {
            "project": project,
            "criteria": project.criteria.all(),
            "form": form,
        },
        status=status,
    )


def _team_criterion(request, pk: int) -> Criterion:
    criterion = get_object_or_404(
        Criterion.objects.select_related("project__department"), pk=pk
    )
    if not permissions.is_project_team(request.user, criterion.project):
        raise Http404
    return criterion


@login_required
def criterion_edit(request, pk: int):
    _require_area(request.user)
    criterion = _team_criterion(request, pk)
    project = criterion.project
    original = Criterion.objects.get(pk=criterion.pk)
    form = CriterionForm(request.POST or None, instance=criterion)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = {
                name: value
                for name, value in form.cleaned_data.items()
                if getattr(original, name) != value
            }
            try:
                review_services.update_criterion(
                    original, actor=request.user, **changes
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Критерий изменён."))
                return redirect("crowdsourcing:expert:criteria", slug=project.slug)
        status = 400
    return render(
        request,
        "crowdsourcing/expert/criterion_edit.html",
        {"project": project, "criterion": original, "form": form},
        status=status,
    )


@login_required
@require_POST
def criterion_remove(request, pk: int):
    _require_area(request.user)
    criterion = _team_criterion(request, pk)
    try:
        review_services.remove_criterion(criterion, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Критерий удалён."))
    return redirect("crowdsourcing:expert:criteria", slug=criterion.project.slug)


@login_required
def assignments(request, slug: str):
    """Who reviews what in the project; assign one by one or in bulk."""
    _require_area(request.user)
    project = _team_project(request.user, slug)
    assign_form = AssignForm(project=project, prefix="one")
    bulk_form = BulkAssignForm(project=project, prefix="bulk")
    status = 200
    if request.method == "POST":
        try:
            if "bulk" in request.POST:
                bulk_form = BulkAssignForm(request.POST, project=project, prefix="bulk")
                if bulk_form.is_valid():
                    data = bulk_form.cleaned_data
                    result = review_services.assign_in_bulk(
                        project,
                        list(data["experts"]),
                        actor=request.user,
                        due_date=data["due_date"],
                        reviews_per_proposal=data["reviews_per_proposal"],
                        question_id=data["question"] and data["question"].pk,
                        category_id=data["category"] and data["category"].pk,
                        district_id=data["district"] and data["district"].pk,
                        balance=data["balance"],
                    )
                    messages.success(
                        request,
                        _("Создано назначений: %(n)s.") % {"n": len(result.created)},
                    )
                    if result.short:
                        messages.warning(
                            request,
                            _(
                                "Не хватило экспертов для %(n)s предложений: "
                                "добавьте людей в группу."
                            )
                            % {"n": len(result.short)},
                        )
                    return redirect(
                        "crowdsourcing:expert:assignments", slug=project.slug
                    )
            else:
                assign_form = AssignForm(request.POST, project=project, prefix="one")
                if assign_form.is_valid():
                    data = assign_form.cleaned_data
                    review_services.assign_expert(
                        data["proposal"],
                        data["expert"],
                        actor=request.user,
                        due_date=data["due_date"],
                    )
                    messages.success(request, _("Эксперт назначен."))
                    return redirect(
                        "crowdsourcing:expert:assignments", slug=project.slug
                    )
        except ServiceError as error:
            messages.error(request, error.message)
        status = 400
    proposals = (
        Proposal.objects.filter(
            project=project, state__in=(*ASSIGNABLE_STATES, *_DECIDED_STATES)
        )
        .select_related("question")
        .prefetch_related(
            Prefetch(
                "expert_assignments",
                queryset=ExpertAssignment.objects.select_related("expert").order_by(
                    "pk"
                ),
            )
        )
        .order_by("question__position", "question_id", "pk")
    )
    page = Paginator(proposals, ASSIGNMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "crowdsourcing/expert/assignments.html",
        {
            "project": project,
            "page_obj": page,
            "assign_form": assign_form,
            "bulk_form": bulk_form,
        },
        status=status,
    )


_DECIDED_STATES = (ProposalState.SELECTED, ProposalState.NOT_SELECTED)


@login_required
@require_POST
def unassign(request, pk: int):
    _require_area(request.user)
    assignment = get_object_or_404(
        ExpertAssignment.objects.select_related("proposal__project"), pk=pk
    )
    project = assignment.proposal.project
    if not permissions.can_assign_reviews(request.user, project):
        raise Http404
    try:
        review_services.unassign_expert(assignment, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Назначение снято."))
    return redirect("crowdsourcing:expert:assignments", slug=project.slug)


def _aggregate_rows(project: Project):
    criteria = list(project.criteria.all())
    rows = review_services.aggregate_project(project, criteria)
    for row in rows:
        row.criterion_cells = [
            _on_scale(c, row.criterion_means.get(c.pk)) for c in criteria
        ]
    return criteria, rows


def _shown(value: float | None) -> str:
    """Format a score for the page with a decimal comma (ru).

    The page renders thousands of numbers; Django's per-value localisation
    costs about a second per two thousand rows, so the table is rendered
    with localisation off and formatted here.
    """
    if value is None:
        return "—"
    return f"{value:g}".replace(".", ",")


def _on_scale(criterion, mean: float | None) -> float | None:
    """Show a 0..1 mean back on the criterion's own scale."""
    if mean is None:
        return None
    span = criterion.scale_max - criterion.scale_min
    return round(criterion.scale_min + mean * span, 2)


@login_required
def aggregate(request, slug: str):
    """The ranked table per question with the decision forms."""
    _require_area(request.user)
    project = _team_project(request.user, slug, permissions.can_view_review_aggregate)
    criteria, rows = _aggregate_rows(project)
    questions: dict[int, dict] = {}
    for row in rows:
        question = row.proposal.question
        questions.setdefault(question.pk, {"question": question, "rows": []})
        questions[question.pk]["rows"].append(row)
    all_questions = [group["question"] for group in questions.values()]
    # A large project reads better one question at a time.
    try:
        current = int(request.GET.get("question", ""))
    except ValueError:
        current = None
    shown = [questions[current]] if current in questions else list(questions.values())
    for group in shown:
        for row in group["rows"]:
            row.shown_overall = _shown(row.overall_points)
            row.shown_spread = _shown(row.spread_points)
            row.shown_cells = [_shown(cell) for cell in row.criterion_cells]
    return render(
        request,
        "crowdsourcing/expert/aggregate.html",
        {
            "project": project,
            "criteria": criteria,
            "questions": shown,
            "all_questions": all_questions,
            "current_question": current if current in questions else None,
            "top_form": TopSelectionForm(),
            "can_decide": permissions.can_decide_selection(request.user, project),
            "disagreement_points": round(review_services.DISAGREEMENT_SPREAD * 100),
        },
    )


@login_required
@require_POST
def decide(request, slug: str):
    _require_area(request.user)
    project = _team_project(request.user, slug, permissions.can_decide_selection)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Укажите решение и его обоснование."))
        return redirect("crowdsourcing:expert:aggregate", slug=project.slug)
    proposal = get_object_or_404(
        Proposal, pk=form.cleaned_data["proposal"], project=project
    )
    try:
        review_services.decide_selection(
            proposal,
            actor=request.user,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Решение записано, автор получит письмо."))
    return redirect("crowdsourcing:expert:aggregate", slug=project.slug)


@login_required
@require_POST
def select_top(request, slug: str):
    _require_area(request.user)
    project = _team_project(request.user, slug, permissions.can_decide_selection)
    form = TopSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Проверьте поля формы отбора."))
        return redirect("crowdsourcing:expert:aggregate", slug=project.slug)
    data = form.cleaned_data
    try:
        result = review_services.select_top_per_question(
            project,
            actor=request.user,
            top_n=data["top_n"],
            min_reviews=data["min_reviews"],
            reason_selected=data["reason_selected"],
            decide_rest=data["decide_rest"],
            reason_not_selected=data["reason_not_selected"],
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Отобрано: %(selected)s, не отобрано: %(rest)s.")
            % {"selected": len(result.selected), "rest": len(result.not_selected)},
        )
    return redirect("crowdsourcing:expert:aggregate", slug=project.slug)


# Export.

# A cell starting with one of these is read as a formula by spreadsheet
# programs (OWASP "CSV injection"); such text gets a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _export_table(project: Project) -> tuple[list[str], list[list]]:
    criteria, rows = _aggregate_rows(project)
    header = [
        _("Вопрос"),
        _("Место"),
        _("ID"),
        _("Предложение"),
        _("Состояние"),
        _("Отзывов"),
        _("Общий балл (из 100)"),
        _("Разброс"),
        _("Сильное расхождение"),
        *[c.name for c in criteria],
        *[label for _value, label in Recommendation.choices],
        _("Обоснование решения"),
    ]
    # get_state_display() translates every choice on each call, which costs
    # seconds over a few thousand rows; translate the labels once.
    state_labels = {value: str(label) for value, label in ProposalState.choices}
    yes, no = str(_("да")), str(_("нет"))
    table = []
    for row in rows:
        decision = getattr(row.proposal, "selection_decision", None)
        table.append(
            [
                row.proposal.question.title,
                row.rank,
                row.proposal.pk,
                row.proposal.title,
                state_labels[row.proposal.state],
                row.review_count,
                row.overall_points,
                row.spread_points,
                yes if row.disagreement else no,
                *row.criterion_cells,
                *[row.recommendations[value] for value in Recommendation.values],
                decision.reason if decision else "",
            ]
        )
    return [str(h) for h in header], table


@login_required
def aggregate_export(request, slug: str, fmt: str):
    """The aggregate table as CSV or XLSX, for the project team only."""
    _require_area(request.user)
    project = _team_project(request.user, slug, permissions.can_view_review_aggregate)
    header, table = _export_table(project)
    filename = f"expert-aggregate-{project.slug}"
    if fmt == "csv":
        buffer = io.StringIO()
        # A BOM lets spreadsheet programs read the Cyrillic as UTF-8.
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow([safe_cell(h) for h in header])
        for line in table:
            writer.writerow([safe_cell(v) for v in line])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(_("Экспертная оценка"))[:31]
        sheet.append([safe_cell(h) for h in header])
        for line in table:
            sheet.append([safe_cell(v) for v in line])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
