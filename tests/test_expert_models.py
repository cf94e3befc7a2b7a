"""Expert selection invariants that the database itself enforces."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crowdsourcing.models import (
    AssignmentState,
    Criterion,
    Recommendation,
    Review,
    ReviewScore,
    SelectionDecision,
    SelectionOutcome,
)

from .factories import CriterionFactory, ExpertAssignmentFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def test_a_second_review_for_one_assignment_is_refused_by_the_database():
    assignment = ExpertAssignmentFactory()
    Review.objects.create(assignment=assignment)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(assignment=assignment)
    assert Review.objects.filter(assignment=assignment).count() == 1


def test_a_score_outside_the_scale_is_refused_by_the_database():
    assignment = ExpertAssignmentFactory()
    criterion = CriterionFactory(project=assignment.proposal.project)
    review = Review.objects.create(assignment=assignment)
    for value in (0, 6):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReviewScore.objects.create(
                review=review,
                criterion=criterion,
                value=value,
                scale_min=1,
                scale_max=5,
            )
    ReviewScore.objects.create(
        review=review, criterion=criterion, value=5, scale_min=1, scale_max=5
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewScore.objects.create(
            review=review, criterion=criterion, value=4, scale_min=1, scale_max=5
        )


def test_an_incomplete_review_cannot_be_stored_as_submitted():
    assignment = ExpertAssignmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            assignment=assignment,
            recommendation=Recommendation.SUPPORT,
            justification="Да.",
            no_conflict_declared=False,
            submitted_at=timezone.now(),
        )
    Review.objects.create(
        assignment=assignment,
        recommendation=Recommendation.SUPPORT,
        justification="Да.",
        no_conflict_declared=True,
        submitted_at=timezone.now(),
    )


def test_merge_recommendation_needs_a_target_and_only_then():
    assignment = ExpertAssignmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            assignment=assignment, recommendation=Recommendation.MERGE
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            assignment=assignment,
            recommendation=Recommendation.SUPPORT,
            merge_with=ProposalFactory(),
        )


def test_conflict_state_needs_a_note():
    assignment = ExpertAssignmentFactory()
    assignment.state = AssignmentState.CONFLICT
    with pytest.raises(IntegrityError), transaction.atomic():
        assignment.save()


@pytest.mark.parametrize(
    "fields",
    [
        {"weight": 0},
        {"scale_min": 5, "scale_max": 5},
    ],
)
def test_criterion_weight_and_scale_are_checked(project, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(project=project, name="Польза", **fields)


def test_criterion_names_are_unique_in_a_project(project):
    Criterion.objects.create(project=project, name="Польза")
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(project=project, name="Польза")


def test_selection_decision_needs_a_public_reason_and_is_one_per_proposal():
    proposal = ProposalFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SelectionDecision.objects.create(
            proposal=proposal,
            outcome=SelectionOutcome.SELECTED,
            reason="",
            decided_at=timezone.now(),
        )
    SelectionDecision.objects.create(
        proposal=proposal,
        outcome=SelectionOutcome.SELECTED,
        reason="Лучшее.",
        decided_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SelectionDecision.objects.create(
            proposal=proposal,
            outcome=SelectionOutcome.NOT_SELECTED,
            reason="Нет.",
            decided_at=timezone.now(),
        )
