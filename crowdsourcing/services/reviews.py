"""Expert selection: assign, review, aggregate and decide (DESIGN.md 4).

Audit actions written here (registered in wagtail_hooks.AUDIT_ACTIONS):
``crowd.criterion.add``, ``crowd.criterion.change``,
``crowd.criterion.remove``, ``crowd.review.assign``,
``crowd.review.unassign``, ``crowd.review.conflict``, ``crowd.review.draft``,
``crowd.review.submit``, ``crowd.review.remind``,
``crowd.proposal.under_review``, ``crowd.selection.selected`` and
``crowd.selection.not_selected``.

Access is the django-guardian permission ``review_proposal`` on the proposal;
it is granted and revoked here, in the same transaction as the assignment
row, so an expert never holds one without the other.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from search.indexing import schedule_index

from .. import permissions
from ..models import (
    AssignmentState,
    Criterion,
    ExpertAssignment,
    NotificationKind,
    Project,
    Proposal,
    ProposalState,
    Recommendation,
    Review,
    ReviewScore,
    SelectionDecision,
    SelectionOutcome,
    StageKind,
    User,
)
from ..notifications import notify
from . import PermissionDenied, ServiceError, StageClosed
from .audit import record

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "crowdsourcing.review_proposal"

# Proposals that can still be given to reviewers.
ASSIGNABLE_STATES = (ProposalState.PUBLISHED, ProposalState.UNDER_REVIEW)

# Reviewers disagree strongly when the spread (population standard deviation
# of their overall scores, on 0..1) reaches this value; two reviewers 40
# points apart on a 100-point scale reach it. Opposite recommendations
# (support and reject on one proposal) raise the flag as well.
DISAGREEMENT_SPREAD = 0.20


# Checks shared by the services.


def _require_team(actor: User, project: Project) -> None:
    if not permissions.is_project_team(actor, project):
        raise PermissionDenied(_("Это может делать только команда проекта."))


def _require_stage(project: Project) -> None:
    if not project.is_stage_open(StageKind.EXPERT_SELECTION):
        raise StageClosed(_("Этап экспертного отбора сейчас не идёт."))


def _lock_proposal(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update()
        .select_related("project")
        .get(pk=proposal.pk)
    )


def _move_under_review(proposal: Proposal, actor: User) -> None:
    """Put a published proposal under review when it gets its first expert."""
    if proposal.state == ProposalState.UNDER_REVIEW:
        return
    proposal.transition_to(ProposalState.UNDER_REVIEW)
    proposal.save(update_fields=["state", "updated_at"])
    record(proposal, "crowd.proposal.under_review", user=actor)
    schedule_index(proposal)


def _check_reviewer(expert: User, proposal: Proposal) -> None:
    if not permissions.may_be_reviewer(expert, proposal.project):
        raise ServiceError(
            _("Этот пользователь не может оценивать предложения этого проекта."),
            code="not_a_reviewer",
        )
    if expert.pk == proposal.author_id:
        raise ServiceError(
            _("Автор не может оценивать своё предложение."), code="own_proposal"
        )


# Criteria.


@transaction.atomic
def add_criterion(
    project: Project,
    *,
    actor: User,
    name: str,
    weight: float = 1,
    scale_min: int = 1,
    scale_max: int = 5,
    description: str = "",
) -> Criterion:
    """Add a scoring criterion to the project."""
    _require_team(actor, project)
    if project.criteria.filter(name=name).exists():
        raise ServiceError(
            _("В проекте уже есть такой критерий."), code="criterion_exists"
        )
    position = project.criteria.count()
    criterion = Criterion.objects.create(
        project=project,
        name=name,
        weight=weight,
        scale_min=scale_min,
        scale_max=scale_max,
        description=description,
        position=position,
    )
    record(criterion, "crowd.criterion.add", user=actor, data={"project": project.pk})
    return criterion


@transaction.atomic
def update_criterion(criterion: Criterion, *, actor: User, **changes) -> Criterion:
    """Change a criterion; its scale is fixed once any score uses it."""
    _require_team(actor, criterion.project)
    scale_changed = any(
        key in changes and changes[key] != getattr(criterion, key)
        for key in ("scale_min", "scale_max")
    )
    if scale_changed and criterion.scores.exists():
        raise ServiceError(
            _("Шкалу нельзя менять: по этому критерию уже есть оценки."),
            code="scale_in_use",
        )
    allowed = {"name", "description", "weight", "scale_min", "scale_max", "position"}
    for key, value in changes.items():
        if key not in allowed:
            raise ValueError(key)
        setattr(criterion, key, value)
    criterion.save()
    record(
        criterion,
        "crowd.criterion.change",
        user=actor,
        data={key: str(value) for key, value in changes.items()},
    )
    return criterion


@transaction.atomic
def remove_criterion(criterion: Criterion, *, actor: User) -> None:
    """Delete a criterion nobody has scored yet."""
    _require_team(actor, criterion.project)
    if criterion.scores.exists():
        raise ServiceError(
            _("Критерий нельзя удалить: по нему уже есть оценки."),
            code="criterion_in_use",
        )
    record(
        criterion.project,
        "crowd.criterion.remove",
        user=actor,
        data={"criterion": criterion.pk, "name": criterion.name},
    )
    criterion.delete()


# Assignments.


def _assignment_context(
    assignments: Sequence[ExpertAssignment], today: date | None = None
) -> dict:
    """What the assignment and reminder e-mails show, as plain JSON values.

    notify() may hand the context to a task worker, so dates travel as
    ISO strings and overdue-ness is worked out here.
    """
    return {
        "assignments": [
            {
                "title": a.proposal.title,
                "due": a.due_date.isoformat(),
                "overdue": today is not None and a.due_date < today,
            }
            for a in assignments
        ],
        "queue_url": reverse("crowdsourcing:expert:queue"),
    }


@transaction.atomic
def assign_expert(
    proposal: Proposal, expert: User, *, actor: User, due_date: date
) -> ExpertAssignment:
    """Give ``proposal`` to ``expert`` and grant them access to it.

    A published proposal moves to ``under_review``. The database refuses a
    second assignment of the same proposal to the same person.
    """
    proposal = _lock_proposal(proposal)
    project = proposal.project
    _require_team(actor, project)
    _require_stage(project)
    if proposal.state not in ASSIGNABLE_STATES:
        raise ServiceError(
            _("Это предложение нельзя передать экспертам в его состоянии."),
            code="not_assignable",
        )
    _check_reviewer(expert, proposal)
    if ExpertAssignment.objects.filter(proposal=proposal, expert=expert).exists():
        raise ServiceError(
            _("Это предложение уже было назначено этому эксперту."),
            code="already_assigned",
        )
    assignment = ExpertAssignment.objects.create(
        proposal=proposal, expert=expert, assigned_by=actor, due_date=due_date
    )
    assign_perm(REVIEW_PERMISSION, expert, proposal)
    _move_under_review(proposal, actor)
    record(
        assignment,
        "crowd.review.assign",
        user=actor,
        data={"proposal": proposal.pk, "expert": expert.pk, "due": str(due_date)},
    )
    logger.info("Assigned proposal %s to expert %s", proposal.pk, expert.pk)
    notify(expert, "review_assigned", _assignment_context([assignment]))
    return assignment


@dataclass
class BulkAssignment:
    """What a bulk assignment did, for the page that asked for it."""

    created: list[ExpertAssignment] = field(default_factory=list)
    # Proposals that could not reach the minimum, with how many are missing.
    short: dict[int, int] = field(default_factory=dict)

    @property
    def per_expert(self) -> Counter:
        return Counter(a.expert_id for a in self.created)


@transaction.atomic
def assign_in_bulk(
    project: Project,
    experts: Sequence[User],
    *,
    actor: User,
    due_date: date,
    reviews_per_proposal: int = 2,
    question_id: int | None = None,
    category_id: int | None = None,
    district_id: int | None = None,
    balance: bool = True,
) -> BulkAssignment:
    """Give every matching proposal enough reviewers from ``experts``.

    Each proposal of the project (optionally of one question, category or
    district) that is published or under review gets reviewers until it has
    ``reviews_per_proposal`` active assignments; declared conflicts do not
    count and their experts are not chosen again. With ``balance`` the
    expert with the fewest open assignments (in every project) goes first,
    ties broken by the order of ``experts``; without it the experts take
    turns in the given order. Proposals that run out of eligible experts
    are reported in ``short`` instead of failing the whole batch.
    """
    _require_team(actor, project)
    _require_stage(project)
    if reviews_per_proposal < 1:
        raise ServiceError(_("Нужен хотя бы один отзыв на предложение."))
    experts = list(dict.fromkeys(experts))
    for expert in experts:
        if not permissions.may_be_reviewer(expert, project):
            raise ServiceError(
                _("%(name)s не может оценивать предложения этого проекта.")
                % {"name": expert.public_name},
                code="not_a_reviewer",
            )
    filters = Q(project=project, state__in=ASSIGNABLE_STATES)
    if question_id:
        filters &= Q(question_id=question_id)
    if category_id:
        filters &= Q(category_id=category_id)
    if district_id:
        filters &= Q(district_id=district_id) | Q(district__parent_id=district_id)
    proposals = list(
        Proposal.objects.select_for_update()
        .filter(filters)
        .order_by("question__position", "question_id", "pk")
    )
    expert_ids = [e.pk for e in experts]
    taken: dict[int, set[int]] = defaultdict(set)
    active: Counter = Counter()
    for proposal_id, expert_id, state in ExpertAssignment.objects.filter(
        proposal__in=proposals
    ).values_list("proposal_id", "expert_id", "state"):
        taken[proposal_id].add(expert_id)
        if state != AssignmentState.CONFLICT:
            active[proposal_id] += 1
    load = Counter(
        dict(
            ExpertAssignment.objects.open()
            .filter(expert_id__in=expert_ids)
            .values("expert_id")
            .annotate(n=Count("pk"))
            .values_list("expert_id", "n")
        )
    )
    order = {pk: index for index, pk in enumerate(expert_ids)}
    result = BulkAssignment()
    by_expert: dict[int, list[Proposal]] = defaultdict(list)
    turn = 0
    for proposal in proposals:
        need = reviews_per_proposal - active[proposal.pk]
        if need <= 0:
            continue
        eligible = [
            pk
            for pk in expert_ids
            if pk not in taken[proposal.pk] and pk != proposal.author_id
        ]
        if balance:
            eligible.sort(key=lambda pk: (load[pk], order[pk]))
        else:
            eligible.sort(key=lambda pk: (order[pk] - turn) % len(expert_ids))
            turn += need
        chosen = eligible[:need]
        if len(chosen) < need:
            result.short[proposal.pk] = need - len(chosen)
        for expert_id in chosen:
            load[expert_id] += 1
            by_expert[expert_id].append(proposal)
            result.created.append(
                ExpertAssignment(
                    proposal=proposal,
                    expert_id=expert_id,
                    assigned_by=actor,
                    due_date=due_date,
                )
            )
    # bulk_create returns primary keys on PostgreSQL and on SQLite 3.35+.
    ExpertAssignment.objects.bulk_create(result.created)
    experts_by_pk = {e.pk: e for e in experts}
    for expert_id, given in by_expert.items():
        assign_perm(REVIEW_PERMISSION, experts_by_pk[expert_id], given)
    for proposal in {a.proposal for a in result.created}:
        _move_under_review(proposal, actor)
    for assignment in result.created:
        record(
            assignment,
            "crowd.review.assign",
            user=actor,
            data={
                "proposal": assignment.proposal_id,
                "expert": assignment.expert_id,
                "due": str(due_date),
                "bulk": True,
            },
        )
    for expert_id in by_expert:
        mine = [a for a in result.created if a.expert_id == expert_id]
        notify(experts_by_pk[expert_id], "review_assigned", _assignment_context(mine))
    logger.info(
        "Bulk-assigned %s reviews in project %s (%s proposals short)",
        len(result.created),
        project.pk,
        len(result.short),
    )
    return result


def _lock_assignment(assignment: ExpertAssignment) -> ExpertAssignment:
    return (
        ExpertAssignment.objects.select_for_update()
        .select_related("proposal__project", "expert")
        .get(pk=assignment.pk)
    )


@transaction.atomic
def unassign_expert(assignment: ExpertAssignment, *, actor: User) -> None:
    """Take the proposal back from the expert; access ends at once.

    A submitted review is part of the record and is never withdrawn this way,
    and neither is a declared conflict.
    """
    assignment = _lock_assignment(assignment)
    proposal = assignment.proposal
    _require_team(actor, proposal.project)
    if assignment.state == AssignmentState.SUBMITTED:
        raise ServiceError(
            _("Отзыв уже отправлен; назначение нельзя снять."), code="submitted"
        )
    if assignment.state == AssignmentState.CONFLICT:
        # The row is the record that this person must not review the
        # proposal; deleting it would let them be assigned again.
        raise ServiceError(
            _("Эксперт уже вернул это предложение из-за конфликта интересов."),
            code="conflict",
        )
    remove_perm(REVIEW_PERMISSION, assignment.expert, proposal)
    record(
        proposal,
        "crowd.review.unassign",
        user=actor,
        data={"assignment": assignment.pk, "expert": assignment.expert_id},
    )
    assignment.delete()
    logger.info("Unassigned proposal %s from expert", proposal.pk)


@transaction.atomic
def declare_conflict(
    assignment: ExpertAssignment, *, actor: User, note: str
) -> ExpertAssignment:
    """Record the expert's conflict of interest and hand the proposal back.

    The expert loses access in this transaction; any draft is discarded so
    nothing of it reaches the aggregate. The row stays (state ``conflict``)
    so the same person is not assigned this proposal again.
    """
    assignment = _lock_assignment(assignment)
    if actor.pk != assignment.expert_id:
        raise PermissionDenied(_("Заявить о конфликте может только сам эксперт."))
    if not assignment.is_open:
        raise ServiceError(
            _("По этому назначению уже нельзя заявить о конфликте."), code="closed"
        )
    note = note.strip()
    if not note:
        raise ServiceError(
            _("Опишите, в чём конфликт интересов."), code="conflict_note_required"
        )
    Review.objects.filter(assignment=assignment).delete()
    assignment.state = AssignmentState.CONFLICT
    assignment.conflict_note = note
    assignment.save(update_fields=["state", "conflict_note"])
    remove_perm(REVIEW_PERMISSION, assignment.expert, assignment.proposal)
    record(
        assignment,
        "crowd.review.conflict",
        user=actor,
        data={"proposal": assignment.proposal_id},
    )
    if assignment.assigned_by is not None:
        notify(
            assignment.assigned_by,
            "review_conflict",
            {
                "proposal_title": assignment.proposal.title,
                "conflict_note": assignment.conflict_note,
                "team_url": reverse(
                    "crowdsourcing:expert:assignments",
                    kwargs={"slug": assignment.proposal.project.slug},
                ),
            },
        )
    logger.info("Conflict declared on assignment %s", assignment.pk)
    return assignment


# Reviews.


@dataclass
class ReviewInput:
    """What the review form sends; scores map criterion id to value."""

    scores: dict[int, int | None] = field(default_factory=dict)
    recommendation: str = ""
    merge_with: Proposal | None = None
    justification: str = ""
    no_conflict_declared: bool = False


def _check_may_review(actor: User, assignment: ExpertAssignment) -> None:
    proposal = assignment.proposal
    if actor.pk != assignment.expert_id or not permissions.can_review(actor, proposal):
        raise PermissionDenied(_("Это предложение вам не назначено."))
    if assignment.state == AssignmentState.SUBMITTED:
        raise ServiceError(
            _("Отзыв уже отправлен и не может быть изменён."), code="submitted"
        )
    if not assignment.is_open:
        raise ServiceError(_("Это назначение закрыто."), code="closed")
    if proposal.state != ProposalState.UNDER_REVIEW:
        raise ServiceError(
            _("Решение по предложению уже принято; отзыв больше не нужен."),
            code="decided",
        )
    _require_stage(proposal.project)


def _write_review(assignment: ExpertAssignment, data: ReviewInput) -> Review:
    criteria = {c.pk: c for c in assignment.proposal.project.criteria.all()}
    for criterion_id, value in data.scores.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise ServiceError(_("Неизвестный критерий."), code="unknown_criterion")
        if value is not None and not (
            criterion.scale_min <= value <= criterion.scale_max
        ):
            raise ServiceError(
                _("Оценка по критерию «%(name)s» должна быть от %(min)s до %(max)s.")
                % {
                    "name": criterion.name,
                    "min": criterion.scale_min,
                    "max": criterion.scale_max,
                },
                code="score_out_of_scale",
            )
    if data.recommendation and data.recommendation not in Recommendation.values:
        raise ServiceError(_("Неизвестная рекомендация."), code="bad_recommendation")
    merge_with = None
    if data.recommendation == Recommendation.MERGE:
        merge_with = data.merge_with
        if (
            merge_with is None
            or merge_with.pk == assignment.proposal_id
            or merge_with.project_id != assignment.proposal.project_id
        ):
            raise ServiceError(
                _("Укажите другое предложение этого проекта для объединения."),
                code="merge_target",
            )
    review, _created = Review.objects.get_or_create(assignment=assignment)
    review.recommendation = data.recommendation
    review.merge_with = merge_with
    review.justification = data.justification.strip()
    review.no_conflict_declared = data.no_conflict_declared
    review.save()
    kept = {pk: v for pk, v in data.scores.items() if v is not None}
    review.scores.exclude(criterion_id__in=kept).delete()
    existing = {s.criterion_id: s for s in review.scores.all()}
    for criterion_id, value in kept.items():
        criterion = criteria[criterion_id]
        score = existing.get(criterion_id) or ReviewScore(
            review=review, criterion=criterion
        )
        score.value = value
        score.scale_min = criterion.scale_min
        score.scale_max = criterion.scale_max
        score.save()
    review._criteria = criteria
    review._kept_scores = kept
    return review


@transaction.atomic
def save_review_draft(
    assignment: ExpertAssignment, data: ReviewInput, *, actor: User
) -> Review:
    """Keep the expert's work in progress; nothing is final yet."""
    assignment = _lock_assignment(assignment)
    _check_may_review(actor, assignment)
    review = _write_review(assignment, data)
    if assignment.state == AssignmentState.ASSIGNED:
        assignment.state = AssignmentState.IN_PROGRESS
        assignment.save(update_fields=["state"])
    record(review, "crowd.review.draft", user=actor, data={"assignment": assignment.pk})
    return review


@transaction.atomic
def submit_review(
    assignment: ExpertAssignment, data: ReviewInput, *, actor: User
) -> Review:
    """Save and submit the review, once; it is read-only afterwards."""
    assignment = _lock_assignment(assignment)
    _check_may_review(actor, assignment)
    review = _write_review(assignment, data)
    missing = [
        c.name for pk, c in review._criteria.items() if pk not in review._kept_scores
    ]
    if missing:
        raise ServiceError(
            _("Поставьте оценку по каждому критерию: %(names)s.")
            % {"names": ", ".join(missing)},
            code="scores_missing",
        )
    if not review.recommendation:
        raise ServiceError(_("Выберите рекомендацию."), code="recommendation_missing")
    if not review.justification:
        raise ServiceError(
            _("Напишите обоснование оценки."), code="justification_missing"
        )
    if not review.no_conflict_declared:
        raise ServiceError(
            _(
                "Подтвердите отсутствие конфликта интересов или заявите о нём, "
                "чтобы предложение передали другому эксперту."
            ),
            code="statement_missing",
        )
    review.submitted_at = timezone.now()
    review.save(update_fields=["submitted_at"])
    assignment.state = AssignmentState.SUBMITTED
    assignment.save(update_fields=["state"])
    record(
        review,
        "crowd.review.submit",
        user=actor,
        data={"assignment": assignment.pk, "proposal": assignment.proposal_id},
    )
    logger.info("Review %s submitted", review.pk)
    return review


# Aggregation.


@dataclass
class ProposalAggregate:
    """The experts' verdict on one proposal.

    ``criterion_means`` and ``overall`` are on 0..1; the pages show them on
    the criterion's own scale and as points out of 100.
    """

    proposal: Proposal
    review_count: int = 0
    criterion_means: dict[int, float] = field(default_factory=dict)
    overall: float | None = None
    spread: float | None = None
    disagreement: bool = False
    recommendations: dict[str, int] = field(default_factory=dict)
    open_assignments: int = 0
    rank: int | None = None

    @property
    def overall_points(self) -> float | None:
        return None if self.overall is None else round(self.overall * 100, 1)

    @property
    def spread_points(self) -> float | None:
        return None if self.spread is None else round(self.spread * 100, 1)


def rank_key(aggregate: ProposalAggregate) -> tuple:
    """Best first: higher overall, then more reviews, then the older proposal."""
    overall = -1.0 if aggregate.overall is None else aggregate.overall
    return (-overall, -aggregate.review_count, aggregate.proposal.pk)


AGGREGATE_STATES = (
    ProposalState.UNDER_REVIEW,
    ProposalState.SELECTED,
    ProposalState.NOT_SELECTED,
)


def aggregate_project(
    project: Project, criteria: Iterable[Criterion] | None = None
) -> list[ProposalAggregate]:
    """Aggregate every submitted review of the project, ranked per question.

    Formula. For a score s on criterion c with scale [min_c, max_c] the
    normalised score is n = (s - min_c) / (max_c - min_c), in 0..1. One
    review's overall score is the weighted mean of its normalised scores,
    o = sum(w_c * n_c) / sum(w_c), over the criteria it scored (a criterion
    added after a review was submitted is left out of that review rather
    than counted as zero). A proposal's overall score is the plain mean of
    its reviews' o, and its criterion mean is the mean of n over reviews.
    The spread is the population standard deviation of the reviews' o
    (0 with one review). The disagreement flag is raised with at least two
    reviews when the spread reaches DISAGREEMENT_SPREAD or when one review
    recommends support and another rejection. Only submitted reviews count.

    Runs four queries whatever the number of proposals and reviews.
    """
    criteria = {
        c.pk: c for c in (criteria if criteria is not None else project.criteria.all())
    }
    proposals = list(
        Proposal.objects.filter(project=project, state__in=AGGREGATE_STATES)
        .select_related("question", "selection_decision")
        .defer("body")
        .order_by("question__position", "question_id", "pk")
    )
    aggregates = {p.pk: ProposalAggregate(proposal=p) for p in proposals}
    for proposal_id, n in (
        ExpertAssignment.objects.open()
        .filter(proposal__project=project)
        .values("proposal_id")
        .annotate(n=Count("pk"))
        .values_list("proposal_id", "n")
    ):
        if proposal_id in aggregates:
            aggregates[proposal_id].open_assignments = n
    recommendations: dict[int, Counter] = defaultdict(Counter)
    for proposal_id, recommendation in Review.objects.filter(
        assignment__proposal__project=project, submitted_at__isnull=False
    ).values_list("assignment__proposal_id", "recommendation"):
        recommendations[proposal_id][recommendation] += 1
    # review id -> (proposal id, {criterion id: normalised score})
    per_review: dict[int, tuple[int, dict[int, float]]] = {}
    for review_id, proposal_id, criterion_id, value in ReviewScore.objects.filter(
        review__assignment__proposal__project=project,
        review__submitted_at__isnull=False,
    ).values_list(
        "review_id", "review__assignment__proposal_id", "criterion_id", "value"
    ):
        criterion = criteria.get(criterion_id)
        if criterion is None:
            continue
        entry = per_review.setdefault(review_id, (proposal_id, {}))
        entry[1][criterion_id] = criterion.normalise(value)
    by_proposal: dict[int, list[dict[int, float]]] = defaultdict(list)
    for proposal_id, scores in per_review.values():
        by_proposal[proposal_id].append(scores)
    weights = {pk: float(c.weight) for pk, c in criteria.items()}
    for proposal_id, aggregate in aggregates.items():
        aggregate.recommendations = {
            value: recommendations[proposal_id][value]
            for value in Recommendation.values
        }
        reviews = by_proposal.get(proposal_id, [])
        aggregate.review_count = sum(recommendations[proposal_id].values())
        overalls = [
            sum(weights[c] * n for c, n in scores.items())
            / sum(weights[c] for c in scores)
            for scores in reviews
        ]
        if overalls:
            # Plain float arithmetic: statistics.pstdev works in exact
            # fractions and costs seconds on a project of a few thousand.
            mean = sum(overalls) / len(overalls)
            aggregate.overall = mean
            aggregate.spread = math.sqrt(
                sum((o - mean) ** 2 for o in overalls) / len(overalls)
            )
            for criterion_id in criteria:
                values = [s[criterion_id] for s in reviews if criterion_id in s]
                if values:
                    aggregate.criterion_means[criterion_id] = sum(values) / len(values)
        opposite = (
            aggregate.recommendations[Recommendation.SUPPORT] > 0
            and aggregate.recommendations[Recommendation.REJECT] > 0
        )
        aggregate.disagreement = aggregate.review_count >= 2 and (
            (aggregate.spread or 0) >= DISAGREEMENT_SPREAD or opposite
        )
    by_question: dict[int, list[ProposalAggregate]] = defaultdict(list)
    for aggregate in aggregates.values():
        by_question[aggregate.proposal.question_id].append(aggregate)
    ranked = []
    for group in by_question.values():
        group.sort(key=rank_key)
        for position, aggregate in enumerate(group, start=1):
            aggregate.rank = position if aggregate.overall is not None else None
        ranked.extend(group)
    return ranked


# Selection decisions.


def _decide(
    proposal: Proposal, outcome: str, reason: str, actor: User
) -> SelectionDecision:
    if proposal.state != ProposalState.UNDER_REVIEW:
        raise ServiceError(
            _("Решение можно принять только по предложению на экспертизе."),
            code="not_under_review",
        )
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            _("Напишите обоснование решения: его прочитают жители."),
            code="reason_required",
        )
    if outcome not in SelectionOutcome.values:
        raise ServiceError(_("Неизвестное решение."), code="bad_outcome")
    proposal.transition_to(outcome)
    proposal.save(update_fields=["state", "updated_at"])
    decision = SelectionDecision.objects.create(
        proposal=proposal,
        outcome=outcome,
        reason=reason,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    record(
        proposal,
        f"crowd.selection.{outcome}",
        user=actor,
        data={"decision": decision.pk},
    )
    schedule_index(proposal)
    notify(
        proposal.author,
        "selection_decision",
        {
            "proposal_title": proposal.title,
            "reason": decision.reason,
            "selected": outcome == SelectionOutcome.SELECTED,
            "proposal_url": proposal.get_absolute_url(),
        },
        kind=NotificationKind.MODERATION,
    )
    logger.info("Selection decision %s on proposal %s", outcome, proposal.pk)
    return decision


@transaction.atomic
def decide_selection(
    proposal: Proposal, *, actor: User, outcome: str, reason: str
) -> SelectionDecision:
    """Record the team's decision on one proposal and tell its author."""
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("project", "author")
        .get(pk=proposal.pk)
    )
    _require_team(actor, proposal.project)
    _require_stage(proposal.project)
    return _decide(proposal, outcome, reason, actor)


@dataclass
class TopSelection:
    selected: list[int] = field(default_factory=list)
    not_selected: list[int] = field(default_factory=list)


@transaction.atomic
def select_top_per_question(
    project: Project,
    *,
    actor: User,
    top_n: int,
    reason_selected: str,
    reason_not_selected: str = "",
    decide_rest: bool = False,
    min_reviews: int = 1,
) -> TopSelection:
    """Select the best ``top_n`` proposals of each question by the aggregate.

    Only proposals under review with at least ``min_reviews`` submitted
    reviews take part; proposals already selected in a question count
    towards its ``top_n``. With ``decide_rest`` the other ranked candidates
    become ``not_selected`` with ``reason_not_selected``; proposals with too
    few reviews are left for a later decision. Ties follow rank_key.
    """
    _require_team(actor, project)
    _require_stage(project)
    if top_n < 1:
        raise ServiceError(_("Число отбираемых должно быть больше нуля."))
    if decide_rest and not reason_not_selected.strip():
        raise ServiceError(
            _("Напишите обоснование для неотобранных предложений."),
            code="reason_required",
        )
    # Lock the project's proposals so two team members cannot both fill
    # the same top N.
    list(
        Proposal.objects.select_for_update()
        .filter(project=project, state__in=AGGREGATE_STATES)
        .values_list("pk", flat=True)
    )
    result = TopSelection()
    groups: dict[int, list[ProposalAggregate]] = defaultdict(list)
    for aggregate in aggregate_project(project):
        groups[aggregate.proposal.question_id].append(aggregate)
    authors = {
        p.pk: p
        for p in Proposal.objects.filter(project=project).select_related("author")
    }
    for group in groups.values():
        already = sum(1 for a in group if a.proposal.state == ProposalState.SELECTED)
        candidates = [
            a
            for a in group
            if a.proposal.state == ProposalState.UNDER_REVIEW
            and a.review_count >= min_reviews
            and a.overall is not None
        ]
        candidates.sort(key=rank_key)
        room = max(0, top_n - already)
        for aggregate in candidates[:room]:
            proposal = authors[aggregate.proposal.pk]
            _decide(proposal, SelectionOutcome.SELECTED, reason_selected, actor)
            result.selected.append(proposal.pk)
        if decide_rest:
            for aggregate in candidates[room:]:
                proposal = authors[aggregate.proposal.pk]
                _decide(
                    proposal,
                    SelectionOutcome.NOT_SELECTED,
                    reason_not_selected,
                    actor,
                )
                result.not_selected.append(proposal.pk)
    return result


# Reminders.


@transaction.atomic
def send_due_reminders(days: int = 2, today: date | None = None) -> int:
    """E-mail every reviewer whose open assignments fall due within ``days``.

    Overdue assignments that never got a reminder are included. Each
    assignment is reminded once; returns the number of e-mails sent.
    """
    today = today or timezone.localdate()
    due = list(
        ExpertAssignment.objects.open()
        .select_for_update(of=("self",))
        .filter(due_date__lte=today + timedelta(days=days), reminded_at__isnull=True)
        .select_related("expert", "proposal")
        .order_by("expert_id", "due_date", "pk")
    )
    by_expert: dict[int, list[ExpertAssignment]] = defaultdict(list)
    for assignment in due:
        by_expert[assignment.expert_id].append(assignment)
    now = timezone.now()
    for assignments in by_expert.values():
        expert = assignments[0].expert
        notify(expert, "review_reminder", _assignment_context(assignments, today))
        for assignment in assignments:
            record(
                assignment,
                "crowd.review.remind",
                data={"due": str(assignment.due_date)},
            )
    ExpertAssignment.objects.filter(pk__in=[a.pk for a in due]).update(reminded_at=now)
    return len(by_expert)
