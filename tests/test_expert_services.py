"""Expert selection services: assignment, access, reviews, decisions, mail."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm
from wagtail.models import ModelLogEntry

from crowdsourcing import permissions
from crowdsourcing.models import (
    AssignmentState,
    ExpertAssignment,
    ProposalState,
    ProposalUserObjectPermission,
    Recommendation,
    Review,
    ReviewScore,
    SelectionDecision,
    SelectionOutcome,
)
from crowdsourcing.roles import Role
from crowdsourcing.services import PermissionDenied, ServiceError, StageClosed
from crowdsourcing.services import reviews as services
from crowdsourcing.services.reviews import ReviewInput

from .factories import (
    CriterionFactory,
    ProjectFactory,
    ProposalFactory,
    QuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + timedelta(days=7)


@pytest.fixture
def team(project, moderator):
    assign_perm("crowdsourcing.moderate_project", moderator, project)
    return moderator


@pytest.fixture
def criteria(project):
    return [
        CriterionFactory(project=project, name="Польза", weight=2),
        CriterionFactory(
            project=project, name="Реализуемость", scale_min=0, scale_max=10
        ),
    ]


def full_review(criteria, values=(4, 7), recommendation=Recommendation.SUPPORT):
    return ReviewInput(
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
        recommendation=recommendation,
        justification="Полезно и выполнимо.",
        no_conflict_declared=True,
    )


MONTHS_GENITIVE = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
).split()


def test_assigning_grants_access_and_puts_proposal_under_review(
    project, team, expert, django_capture_on_commit_callbacks
):
    """The expert gets review_proposal on that proposal only, in one step."""
    proposal = ProposalFactory(question__project=project)
    other = ProposalFactory(question__project=project)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.UNDER_REVIEW
    assert assignment.state == AssignmentState.ASSIGNED
    assert permissions.can_review(expert, proposal) is True
    assert permissions.can_review(expert, other) is False
    assert list(permissions.reviewable_proposals(expert)) == [proposal]
    # The right is stored in the direct-FK table, not guardian's generic one.
    assert ProposalUserObjectPermission.objects.filter(
        user=expert, content_object=proposal
    ).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [expert.email]
    assert "экспертиз" in mail.outbox[0].subject
    assert proposal.title in mail.outbox[0].body
    due = "%d %s %d" % (DUE.day, MONTHS_GENITIVE[DUE.month - 1], DUE.year)
    assert f"срок: {due}" in mail.outbox[0].body
    html, mime = mail.outbox[0].alternatives[0]
    assert mime == "text/html" and proposal.title in html and due in html
    actions = set(ModelLogEntry.objects.values_list("action", flat=True))
    assert {"crowd.review.assign", "crowd.proposal.under_review"} <= actions


@pytest.mark.parametrize("actor_fixture", ["resident", "expert", "editor"])
def test_people_outside_the_team_cannot_assign(project, request, actor_fixture):
    """Only the project's moderators and department staff assign reviewers."""
    actor = request.getfixturevalue(actor_fixture)
    expert = UserFactory(roles=[Role.EXPERT])
    proposal = ProposalFactory(question__project=project)
    with pytest.raises(PermissionDenied):
        services.assign_expert(proposal, expert, actor=actor, due_date=DUE)
    assert not ExpertAssignment.objects.exists()


def test_moderator_of_another_project_cannot_assign(project, moderator, expert):
    assign_perm("crowdsourcing.moderate_project", moderator, ProjectFactory())
    proposal = ProposalFactory(question__project=project)
    with pytest.raises(PermissionDenied):
        services.assign_expert(proposal, expert, actor=moderator, due_date=DUE)


def test_department_staff_assign_and_review_only_in_their_department(
    project, staff_member, expert
):
    """Staff assign in their department; they can be reviewers only there."""
    assign_perm("crowdsourcing.work_for_department", staff_member, project.department)
    other_project = ProjectFactory()
    mine = ProposalFactory(question__project=project)
    theirs = ProposalFactory(question__project=other_project)
    services.assign_expert(mine, staff_member, actor=staff_member, due_date=DUE)
    assert permissions.can_review(staff_member, mine)
    with pytest.raises(PermissionDenied):
        services.assign_expert(theirs, expert, actor=staff_member, due_date=DUE)
    other_team = UserFactory(roles=[Role.OPERATOR])
    with pytest.raises(ServiceError) as error:
        services.assign_expert(theirs, staff_member, actor=other_team, due_date=DUE)
    assert error.value.code == "not_a_reviewer"
    assert list(permissions.review_team_projects(staff_member)) == [project]


def test_residents_and_authors_are_not_reviewers(project, team, resident):
    proposal = ProposalFactory(question__project=project)
    with pytest.raises(ServiceError) as error:
        services.assign_expert(proposal, resident, actor=team, due_date=DUE)
    assert error.value.code == "not_a_reviewer"
    author = proposal.author
    author.groups.add(Group.objects.get(name=Role.EXPERT))
    author._crowd_role_names = None
    with pytest.raises(ServiceError) as error:
        services.assign_expert(proposal, author, actor=team, due_date=DUE)
    assert error.value.code == "own_proposal"


def test_assigning_outside_expert_stage_is_refused(moderator, expert):
    now = timezone.now()
    project = ProjectFactory(
        stages={"expert_selection": (now + timedelta(days=1), now + timedelta(days=9))}
    )
    assign_perm("crowdsourcing.moderate_project", moderator, project)
    proposal = ProposalFactory(question__project=project)
    with pytest.raises(StageClosed):
        services.assign_expert(proposal, expert, actor=moderator, due_date=DUE)


def test_only_published_or_reviewed_proposals_are_assignable(project, team, expert):
    draft = ProposalFactory(question__project=project, state=ProposalState.SUBMITTED)
    with pytest.raises(ServiceError) as error:
        services.assign_expert(draft, expert, actor=team, due_date=DUE)
    assert error.value.code == "not_assignable"


def test_revoking_an_assignment_removes_access_at_once(project, team, expert):
    """After unassigning, the very next check (same user object) says no."""
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    assert permissions.can_review(expert, proposal)
    services.unassign_expert(assignment, actor=team)
    assert permissions.can_review(expert, proposal) is False
    assert not permissions.reviewable_proposals(expert).exists()
    assert not ExpertAssignment.objects.exists()
    assert ModelLogEntry.objects.filter(action="crowd.review.unassign").count() == 1


def test_submitted_review_cannot_be_unassigned(project, team, expert, criteria):
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    services.submit_review(assignment, full_review(criteria), actor=expert)
    with pytest.raises(ServiceError):
        services.unassign_expert(assignment, actor=team)
    assert permissions.can_review(expert, proposal)


def test_declared_conflict_hands_the_proposal_back(
    project, team, expert, criteria, django_capture_on_commit_callbacks
):
    """The expert loses access, the draft is gone and bulk refills the slot."""
    proposal = ProposalFactory(question__project=project)
    second = UserFactory(roles=[Role.EXPERT])
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    services.save_review_draft(assignment, full_review(criteria), actor=expert)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.declare_conflict(assignment, actor=expert, note="Автор — мой сосед.")
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.CONFLICT
    assert permissions.can_review(expert, proposal) is False
    assert not Review.objects.exists()
    assert [m.to for m in mail.outbox] == [[team.email]]
    assert "Автор — мой сосед." in mail.outbox[0].body
    # The slot is free again; the conflicted expert is not chosen again.
    result = services.assign_in_bulk(
        project, [expert, second], actor=team, due_date=DUE, reviews_per_proposal=1
    )
    assert [(a.proposal_id, a.expert_id) for a in result.created] == [
        (proposal.pk, second.pk)
    ]
    with pytest.raises(ServiceError):
        services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    with pytest.raises(ServiceError) as error:
        services.unassign_expert(assignment, actor=team)
    assert error.value.code == "conflict"


def test_only_the_expert_declares_their_conflict(project, team, expert):
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    with pytest.raises(PermissionDenied):
        services.declare_conflict(assignment, actor=team, note="нет")
    with pytest.raises(ServiceError):
        services.declare_conflict(assignment, actor=expert, note="   ")


def test_review_is_saved_as_draft_then_submitted_once(project, team, expert, criteria):
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    draft = ReviewInput(scores={criteria[0].pk: 3})
    review = services.save_review_draft(assignment, draft, actor=expert)
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.IN_PROGRESS
    assert review.submitted_at is None
    assert {s.criterion_id: s.value for s in review.scores.all()} == {criteria[0].pk: 3}
    with pytest.raises(ServiceError) as error:
        services.submit_review(assignment, draft, actor=expert)
    assert error.value.code == "scores_missing"
    review = services.submit_review(assignment, full_review(criteria), actor=expert)
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.SUBMITTED
    assert review.submitted_at is not None
    with pytest.raises(ServiceError) as error:
        services.save_review_draft(assignment, draft, actor=expert)
    assert error.value.code == "submitted"
    with pytest.raises(ServiceError):
        services.submit_review(assignment, full_review(criteria, (1, 0)), actor=expert)
    assert sorted(review.scores.values_list("value", flat=True)) == [4, 7]


def test_review_refuses_scores_outside_the_scale_and_other_people(
    project, team, expert, criteria
):
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    with pytest.raises(ServiceError) as error:
        services.save_review_draft(
            assignment, ReviewInput(scores={criteria[0].pk: 6}), actor=expert
        )
    assert error.value.code == "score_out_of_scale"
    intruder = UserFactory(roles=[Role.EXPERT])
    with pytest.raises(PermissionDenied):
        services.save_review_draft(assignment, ReviewInput(), actor=intruder)
    with pytest.raises(PermissionDenied):
        services.submit_review(assignment, full_review(criteria), actor=team)


def test_submission_needs_the_statement_and_a_merge_target(
    project, team, expert, criteria
):
    proposal = ProposalFactory(question__project=project)
    target = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    data = full_review(criteria)
    data.no_conflict_declared = False
    with pytest.raises(ServiceError) as error:
        services.submit_review(assignment, data, actor=expert)
    assert error.value.code == "statement_missing"
    data = full_review(criteria, recommendation=Recommendation.MERGE)
    with pytest.raises(ServiceError) as error:
        services.submit_review(assignment, data, actor=expert)
    assert error.value.code == "merge_target"
    data.merge_with = target
    review = services.submit_review(assignment, data, actor=expert)
    assert review.merge_with == target


def test_bulk_assignment_balances_load_and_meets_the_minimum(project, team):
    """30 proposals, 3 experts, 2 reviews each: 20 per expert, 2 per proposal."""
    questions = [QuestionFactory(project=project) for _ in range(3)]
    proposals = [
        ProposalFactory(question=questions[i % 3], project=project) for i in range(30)
    ]
    experts = [UserFactory(roles=[Role.EXPERT]) for _ in range(3)]
    result = services.assign_in_bulk(
        project, experts, actor=team, due_date=DUE, reviews_per_proposal=2
    )
    assert len(result.created) == 60
    assert sorted(result.per_expert.values()) == [20, 20, 20]
    assert result.short == {}
    per_proposal = {
        p.pk: ExpertAssignment.objects.filter(proposal=p).count() for p in proposals
    }
    assert set(per_proposal.values()) == {2}
    for expert in experts:
        assert permissions.reviewable_proposals(expert).count() == 20
    # Running it again adds nothing: every proposal already has two.
    again = services.assign_in_bulk(
        project, experts, actor=team, due_date=DUE, reviews_per_proposal=2
    )
    assert again.created == []


def test_bulk_balance_counts_existing_load(project, team):
    """A busy expert gets less; without balancing the experts take turns."""
    busy, free = UserFactory(roles=[Role.EXPERT]), UserFactory(roles=[Role.EXPERT])
    first = [ProposalFactory(question__project=project) for _ in range(4)]
    for proposal in first:
        services.assign_expert(proposal, busy, actor=team, due_date=DUE)
    question = QuestionFactory(project=project)
    for _ in range(4):
        ProposalFactory(question=question, project=project)
    result = services.assign_in_bulk(
        project,
        [busy, free],
        actor=team,
        due_date=DUE,
        reviews_per_proposal=1,
        question_id=question.pk,
    )
    assert result.per_expert == {free.pk: 4}
    question2 = QuestionFactory(project=project)
    for _ in range(4):
        ProposalFactory(question=question2, project=project)
    turns = services.assign_in_bulk(
        project,
        [busy, free],
        actor=team,
        due_date=DUE,
        reviews_per_proposal=1,
        question_id=question2.pk,
        balance=False,
    )
    assert [a.expert_id for a in turns.created] == [busy.pk, free.pk] * 2


def test_bulk_reports_proposals_short_of_reviewers(project, team, expert):
    ProposalFactory(question__project=project)
    result = services.assign_in_bulk(
        project, [expert], actor=team, due_date=DUE, reviews_per_proposal=3
    )
    assert len(result.created) == 1
    assert list(result.short.values()) == [2]


def test_bulk_filters_by_category_and_district(project, team, expert):
    from crowdsourcing.models import District

    from .factories import CategoryFactory

    category = CategoryFactory()
    okrug = District.objects.filter(parent__isnull=True).first()
    district = okrug.children.first()
    in_category = ProposalFactory(question__project=project, category=category)
    in_district = ProposalFactory(question__project=project, district=district)
    ProposalFactory(question__project=project)
    by_category = services.assign_in_bulk(
        project,
        [expert],
        actor=team,
        due_date=DUE,
        category_id=category.pk,
        reviews_per_proposal=1,
    )
    assert [a.proposal_id for a in by_category.created] == [in_category.pk]
    by_okrug = services.assign_in_bulk(
        project,
        [expert],
        actor=team,
        due_date=DUE,
        district_id=okrug.pk,
        reviews_per_proposal=1,
    )
    assert [a.proposal_id for a in by_okrug.created] == [in_district.pk]


def test_aggregate_matches_a_hand_computed_example(project, team):
    """Weights 2 and 1, scales 1..5 and 0..10, two reviews.

    Review 1: A=5 -> 1.0, B=4 -> 0.4; overall (2*1.0 + 0.4) / 3 = 0.8.
    Review 2: A=3 -> 0.5, B=10 -> 1.0; overall (2*0.5 + 1.0) / 3 = 0.6667.
    Mean 0.7333 (73.3 points); spread pstdev = 0.0667 (6.7 points);
    criterion means A 0.75 (4.0 on 1..5), B 0.7 (7.0 on 0..10). One support
    and one reject recommendation raise the disagreement flag.
    The second proposal: reviews 1.0 and 0.3 -> spread 0.35, flagged.
    """
    a = CriterionFactory(project=project, name="A", weight=2, scale_min=1, scale_max=5)
    b = CriterionFactory(project=project, name="B", weight=1, scale_min=0, scale_max=10)
    question = QuestionFactory(project=project)
    first = ProposalFactory(question=question, project=project)
    second = ProposalFactory(question=question, project=project)
    third = ProposalFactory(question=question, project=project)
    e1, e2 = UserFactory(roles=[Role.EXPERT]), UserFactory(roles=[Role.EXPERT])
    plan = [
        (first, e1, (5, 4), Recommendation.SUPPORT),
        (first, e2, (3, 10), Recommendation.REJECT),
        (second, e1, (5, 10), Recommendation.SUPPORT),
        (second, e2, (2, 0), Recommendation.SUPPORT),
    ]
    for proposal, expert, (va, vb), recommendation in plan:
        assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
        services.submit_review(
            assignment,
            ReviewInput(
                scores={a.pk: va, b.pk: vb},
                recommendation=recommendation,
                justification="Обоснование.",
                no_conflict_declared=True,
            ),
            actor=expert,
        )
    # A draft never counts.
    pending = services.assign_expert(third, e1, actor=team, due_date=DUE)
    services.save_review_draft(pending, ReviewInput(scores={a.pk: 5}), actor=e1)

    rows = {row.proposal.pk: row for row in services.aggregate_project(project)}
    one = rows[first.pk]
    assert one.review_count == 2
    assert one.overall == pytest.approx(0.733333, abs=1e-6)
    assert one.overall_points == 73.3
    assert one.spread == pytest.approx(0.066667, abs=1e-6)
    assert one.criterion_means == {
        a.pk: pytest.approx(0.75),
        b.pk: pytest.approx(0.7),
    }
    assert one.recommendations == {"support": 1, "reject": 1, "merge": 0}
    assert one.disagreement is True
    two = rows[second.pk]
    # (2*1 + 1)/3 = 1.0 and (2*0.25 + 0)/3 = 0.1667
    assert two.overall == pytest.approx((1.0 + 1 / 6) / 2)
    assert two.spread == pytest.approx((1.0 - 1 / 6) / 2)
    assert two.disagreement is True
    three = rows[third.pk]
    assert three.review_count == 0 and three.overall is None
    assert three.open_assignments == 1 and three.rank is None
    assert (one.rank, two.rank) == (1, 2)


def test_agreeing_reviews_are_not_flagged(project, team, criteria):
    proposal = ProposalFactory(question__project=project)
    for values in ((4, 7), (5, 8)):
        expert = UserFactory(roles=[Role.EXPERT])
        assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
        services.submit_review(assignment, full_review(criteria, values), actor=expert)
    (row,) = services.aggregate_project(project)
    assert row.review_count == 2
    assert row.spread < services.DISAGREEMENT_SPREAD
    assert row.disagreement is False


def test_author_who_turned_decisions_off_gets_no_selection_mail(
    project, team, expert, django_capture_on_commit_callbacks
):
    """The selection decision is a decision on the author's proposal: the
    cabinet's «Решения модераторов» switch covers it."""
    proposal = ProposalFactory(
        question__project=project, author=UserFactory(notify_moderation=False)
    )
    services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_selection(
            proposal, actor=team, outcome=SelectionOutcome.SELECTED, reason="Нужно."
        )
    assert mail.outbox == []


def test_decision_moves_state_records_reason_and_mails_author(
    project, team, expert, django_capture_on_commit_callbacks
):
    proposal = ProposalFactory(question__project=project)
    services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decide_selection(
            proposal,
            actor=team,
            outcome=SelectionOutcome.NOT_SELECTED,
            reason="Уже входит в городскую программу.",
        )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.NOT_SELECTED
    assert decision.decided_by == team
    assert mail.outbox[0].to == [proposal.author.email]
    assert mail.outbox[0].subject == "Ваше предложение не прошло экспертный отбор"
    assert "Уже входит в городскую программу." in mail.outbox[0].body
    assert ModelLogEntry.objects.filter(action="crowd.selection.not_selected").exists()
    with pytest.raises(ServiceError) as error:
        services.decide_selection(
            proposal, actor=team, outcome=SelectionOutcome.SELECTED, reason="x"
        )
    assert error.value.code == "not_under_review"


def test_decision_needs_a_reason_and_the_team(project, team, expert, resident):
    proposal = ProposalFactory(question__project=project)
    services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    with pytest.raises(ServiceError) as error:
        services.decide_selection(
            proposal, actor=team, outcome=SelectionOutcome.SELECTED, reason="  "
        )
    assert error.value.code == "reason_required"
    for outsider in (expert, resident):
        with pytest.raises(PermissionDenied):
            services.decide_selection(
                proposal, actor=outsider, outcome=SelectionOutcome.SELECTED, reason="да"
            )
    assert not SelectionDecision.objects.exists()


def test_reminder_command_mails_due_assignments_once(
    project, team, django_capture_on_commit_callbacks
):
    """Due within --days (or overdue) and not yet reminded: one mail each."""
    soon, late, far = (UserFactory(roles=[Role.EXPERT]) for _ in range(3))
    today = timezone.localdate()
    for expert, due in (
        (soon, today + timedelta(days=1)),
        (late, today - timedelta(days=1)),
        (far, today + timedelta(days=10)),
    ):
        services.assign_expert(
            ProposalFactory(question__project=project), expert, actor=team, due_date=due
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_review_reminders", "--days", "2", verbosity=0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([soon.email, late.email])
    assert "срок истёк" in next(m for m in mail.outbox if m.to == [late.email]).body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_review_reminders", "--days", "2", verbosity=0)
    assert mail.outbox == []
    assert ModelLogEntry.objects.filter(action="crowd.review.remind").count() == 2


def test_criterion_scale_is_locked_once_scored(project, team, expert, criteria):
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    services.update_criterion(criteria[0], actor=team, scale_max=7)
    services.save_review_draft(
        assignment, ReviewInput(scores={criteria[0].pk: 7}), actor=expert
    )
    with pytest.raises(ServiceError) as error:
        services.update_criterion(criteria[0], actor=team, scale_max=5)
    assert error.value.code == "scale_in_use"
    services.update_criterion(criteria[0], actor=team, weight=3)


def test_database_refuses_a_second_assignment_of_one_pair(project, expert):
    from .factories import ExpertAssignmentFactory

    first = ExpertAssignmentFactory(proposal__question__project=project, expert=expert)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpertAssignmentFactory(proposal=first.proposal, expert=expert)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_submissions_of_one_assignment_leave_one_review(criteria):
    """Two simultaneous submits (double click): one wins, one is refused."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers")
    project = criteria[0].project
    team = UserFactory(roles=[Role.OPERATOR])
    expert = UserFactory(roles=[Role.EXPERT])
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            services.submit_review(assignment, full_review(criteria), actor=expert)
            outcomes.append("ok")
        except ServiceError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "submitted"]
    assert Review.objects.filter(assignment=assignment).count() == 1
    assert ReviewScore.objects.filter(review__assignment=assignment).count() == 2
