"""The /expert/ pages: who sees what, the forms, exports and query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook

from crowdsourcing.models import (
    AssignmentState,
    ExpertAssignment,
    ProposalState,
    Recommendation,
    Review,
)
from crowdsourcing.roles import Role
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


def url(name, *args, **kwargs):
    return reverse(f"crowdsourcing:expert:{name}", args=args, kwargs=kwargs)


@pytest.fixture
def team(project, moderator):
    assign_perm("crowdsourcing.moderate_project", moderator, project)
    return moderator


@pytest.fixture
def criteria(project):
    return [
        CriterionFactory(project=project, name="Польза", weight=2),
        CriterionFactory(project=project, name="Стоимость", scale_min=0, scale_max=10),
    ]


@pytest.fixture
def assigned(project, team, expert):
    """Two proposals for the expert, one for somebody else."""
    mine = [ProposalFactory(question__project=project) for _ in range(2)]
    other_expert = UserFactory(roles=[Role.EXPERT])
    theirs = ProposalFactory(question__project=project)
    mine_assignments = [
        services.assign_expert(p, expert, actor=team, due_date=DUE) for p in mine
    ]
    their_assignment = services.assign_expert(
        theirs, other_expert, actor=team, due_date=DUE
    )
    return mine_assignments, their_assignment


def review_post(criteria, action, **overrides):
    data = {
        f"score_{criteria[0].pk}": "4",
        f"score_{criteria[1].pk}": "8",
        "recommendation": Recommendation.SUPPORT,
        "justification": "Хорошее предложение, стоит сделать.",
        "no_conflict_declared": "on",
        action: "1",
    }
    data.update(overrides)
    return data


def test_queue_lists_only_the_experts_own_assignments(client, expert, assigned):
    mine, theirs = assigned
    client.force_login(expert)
    response = client.get(url("queue"))
    assert response.status_code == 200
    shown = [a.pk for a in response.context["rows"]]
    assert shown == [a.pk for a in mine]
    body = response.content.decode()
    assert theirs.proposal.title not in body
    for assignment in mine:
        assert url("review", assignment.pk) in body


def test_expert_cannot_open_anything_not_assigned(client, expert, assigned, project):
    """Hand-typed URLs of another expert's review or other pages give 404/403."""
    _mine, theirs = assigned
    client.force_login(expert)
    assert client.get(url("review", theirs.pk)).status_code == 404
    assert client.post(url("review", theirs.pk), {"draft": "1"}).status_code == 404
    assert client.post(url("conflict", theirs.pk), {"note": "x"}).status_code == 404
    assert client.get(url("aggregate", project.slug)).status_code == 404
    for fmt in ("csv", "xlsx"):
        assert client.get(url("aggregate_export", project.slug, fmt)).status_code == 404
    assert client.get(url("assignments", project.slug)).status_code == 404
    assert client.post(url("unassign", theirs.pk)).status_code == 404
    assert client.post(url("decide", project.slug), {}).status_code == 404
    assert client.post(url("select_top", project.slug), {}).status_code == 404
    assert ExpertAssignment.objects.filter(pk=theirs.pk).exists()


def test_expert_has_no_admin_access(client, expert, assigned):
    _mine, theirs = assigned
    client.force_login(expert)
    for path in (
        "/admin/",
        "/admin/pages/",
        f"/admin/snippets/crowdsourcing/proposal/edit/{theirs.proposal.pk}/",
    ):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), path
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"]


def test_residents_are_kept_out_of_the_expert_area(client, resident):
    # UserFactory skips the save after set_password for users without roles,
    # so the stored hash would not match the session's; save it here.
    resident.save()
    client.force_login(resident)
    assert client.get(url("queue")).status_code == 403
    client.logout()
    response = client.get(url("queue"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_queue_filters_by_state_and_due_date_and_marks_overdue(
    client, project, team, expert
):
    today = timezone.localdate()
    late = services.assign_expert(
        ProposalFactory(question__project=project),
        expert,
        actor=team,
        due_date=today - timedelta(days=1),
    )
    later = services.assign_expert(
        ProposalFactory(question__project=project),
        expert,
        actor=team,
        due_date=today + timedelta(days=20),
    )
    client.force_login(expert)
    response = client.get(url("queue"), {"state": "overdue"})
    assert [a.pk for a in response.context["rows"]] == [late.pk]
    assert "просрочено" in response.content.decode()
    response = client.get(
        url("queue"), {"due_from": (today + timedelta(days=10)).isoformat()}
    )
    assert [a.pk for a in response.context["rows"]] == [later.pk]
    response = client.get(url("queue"), {"state": AssignmentState.SUBMITTED})
    assert response.context["rows"] == []


def test_review_form_saves_a_draft_then_submits_once(
    client, expert, assigned, criteria
):
    (assignment, _other), _theirs = assigned
    client.force_login(expert)
    page = client.get(url("review", assignment.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Польза" in body and "Стоимость" in body
    assert "Заявить о конфликте интересов" in body
    response = client.post(url("review", assignment.pk), review_post(criteria, "draft"))
    assert response.status_code == 302
    review = Review.objects.get(assignment=assignment)
    assert review.submitted_at is None
    response = client.post(
        url("review", assignment.pk), review_post(criteria, "submit")
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.submitted_at is not None
    page = client.get(url("review", assignment.pk))
    assert "изменить нельзя" in page.content.decode()
    assert "Отправить отзыв</button>" not in page.content.decode()
    # A second submission changes nothing.
    client.post(
        url("review", assignment.pk),
        review_post(criteria, "submit", justification="Передумал."),
    )
    review.refresh_from_db()
    assert review.justification == "Хорошее предложение, стоит сделать."


def test_incomplete_submission_is_refused_with_a_message(
    client, expert, assigned, criteria
):
    (assignment, _other), _theirs = assigned
    client.force_login(expert)
    response = client.post(
        url("review", assignment.pk),
        review_post(criteria, "submit", no_conflict_declared=""),
    )
    assert response.status_code == 400
    assert "конфликта интересов" in response.content.decode()
    assert not Review.objects.filter(submitted_at__isnull=False).exists()


def test_conflict_from_the_page_removes_access(client, expert, assigned):
    (assignment, _other), _theirs = assigned
    client.force_login(expert)
    response = client.post(url("conflict", assignment.pk), {"note": "Мой брат."})
    assert response.status_code == 302
    assert client.get(url("review", assignment.pk)).status_code == 404
    queue = client.get(url("queue"))
    row = next(a for a in queue.context["rows"] if a.pk == assignment.pk)
    assert row.can_open is False
    assert row.state == AssignmentState.CONFLICT


def test_revoked_assignment_closes_the_page_at_once(client, expert, team, assigned):
    (assignment, _other), _theirs = assigned
    client.force_login(expert)
    assert client.get(url("review", assignment.pk)).status_code == 200
    client.force_login(team)
    assert client.post(url("unassign", assignment.pk)).status_code == 302
    client.force_login(expert)
    assert client.get(url("review", assignment.pk)).status_code == 404


def test_department_staff_see_only_their_departments_projects(
    client, staff_member, expert
):
    mine = ProjectFactory()
    theirs = ProjectFactory()
    assign_perm("crowdsourcing.work_for_department", staff_member, mine.department)
    client.force_login(staff_member)
    response = client.get(url("team_projects"))
    assert list(response.context["projects"]) == [mine]
    assert client.get(url("aggregate", mine.slug)).status_code == 200
    assert client.get(url("assignments", mine.slug)).status_code == 200
    assert client.get(url("aggregate", theirs.slug)).status_code == 404
    assert client.get(url("aggregate_export", theirs.slug, "csv")).status_code == 404
    assert client.get(url("assignments", theirs.slug)).status_code == 404


def test_team_assigns_one_and_in_bulk_from_the_page(client, project, team):
    experts = [UserFactory(roles=[Role.EXPERT]) for _ in range(2)]
    proposals = [ProposalFactory(question__project=project) for _ in range(3)]
    client.force_login(team)
    page = client.get(url("assignments", project.slug))
    assert page.status_code == 200
    response = client.post(
        url("assignments", project.slug),
        {
            "one-proposal": proposals[0].pk,
            "one-expert": experts[0].pk,
            "one-due_date": DUE.isoformat(),
            "one": "1",
        },
    )
    assert response.status_code == 302
    response = client.post(
        url("assignments", project.slug),
        {
            "bulk-experts": [e.pk for e in experts],
            "bulk-reviews_per_proposal": "2",
            "bulk-balance": "on",
            "bulk-due_date": DUE.isoformat(),
            "bulk": "1",
        },
    )
    assert response.status_code == 302
    assert ExpertAssignment.objects.count() == 6
    assert {p.state for p in type(proposals[0]).objects.all()} == {
        ProposalState.UNDER_REVIEW
    }


def _reviewed_project(n_proposals, project, team, criteria):
    """``n_proposals`` proposals in two questions, each with two reviews."""
    questions = [QuestionFactory(project=project) for _ in range(2)]
    experts = [UserFactory(roles=[Role.EXPERT]) for _ in range(2)]
    for i in range(n_proposals):
        proposal = ProposalFactory(question=questions[i % 2], project=project)
        for j, expert in enumerate(experts):
            assignment = services.assign_expert(
                proposal, expert, actor=team, due_date=DUE
            )
            services.submit_review(
                assignment,
                ReviewInput(
                    scores={criteria[0].pk: 1 + (i + j) % 5, criteria[1].pk: i % 11},
                    recommendation=Recommendation.SUPPORT,
                    justification='=HYPERLINK("http://evil")' if i == 0 else "Ок.",
                    no_conflict_declared=True,
                ),
                actor=expert,
            )
    return experts


def test_aggregate_page_and_exports(client, project, team, criteria):
    proposal_title = "=cmd|' /C calc'!A0 опасный заголовок"
    _reviewed_project(3, project, team, criteria)
    first = project.proposals.order_by("pk").first()
    first.title = proposal_title
    first.save()
    client.force_login(team)
    page = client.get(url("aggregate", project.slug))
    assert page.status_code == 200
    assert "Отобрать лучшие в каждом вопросе" in page.content.decode()
    assert len(page.context["questions"]) == 2
    question = page.context["all_questions"][1]
    one = client.get(url("aggregate", project.slug), {"question": question.pk})
    assert [group["question"] for group in one.context["questions"]] == [question]
    assert [
        row.proposal.question_id for row in one.context["questions"][0]["rows"]
    ] == [question.pk]
    response = client.get(url("aggregate_export", project.slug, "csv"))
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Вопрос", "Место", "ID", "Предложение"]
    assert len(rows) == 4
    titles = [row[3] for row in rows[1:]]
    assert "'" + proposal_title in titles
    response = client.get(url("aggregate_export", project.slug, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for cell in sheet["D"]]
    assert "'" + proposal_title in values
    assert all(not str(v).startswith("=") for row in sheet.values for v in row if v)
    assert client.get(url("aggregate_export", project.slug, "pdf")).status_code == 404


def test_decisions_from_the_aggregate_page(client, project, team, criteria):
    _reviewed_project(4, project, team, criteria)
    proposal = project.proposals.order_by("pk").first()
    client.force_login(team)
    response = client.post(
        url("decide", project.slug),
        {"proposal": proposal.pk, "outcome": "selected", "reason": "Лучшее."},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.SELECTED
    response = client.post(
        url("select_top", project.slug),
        {
            "top_n": "1",
            "min_reviews": "2",
            "reason_selected": "В числе лучших.",
            "decide_rest": "on",
            "reason_not_selected": "Оценки ниже.",
        },
    )
    assert response.status_code == 302
    # The first question already had its one selected proposal; the other
    # candidate there is not selected. The second question selects its best.
    states = sorted(project.proposals.values_list("state", flat=True))
    assert states == ["not_selected", "not_selected", "selected", "selected"]
    proposal.refresh_from_db()
    assert proposal.selection_decision.reason == "Лучшее."


def test_queue_runs_a_constant_number_of_queries(
    client, project, team, expert, django_assert_num_queries
):
    """Five or twenty-five rows cost the same: permissions are prefetched."""
    client.force_login(expert)

    def add(n):
        for _ in range(n):
            services.assign_expert(
                ProposalFactory(question__project=project),
                expert,
                actor=team,
                due_date=DUE,
            )

    add(5)
    # session, user, groups, count, page, one direct-FK permission prefetch
    # for the page and the team-projects check.
    client.get(url("queue"))
    with django_assert_num_queries(QUEUE_QUERIES) as small:
        response = client.get(url("queue"))
    assert len(response.context["rows"]) == 5
    add(20)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url("queue"))
    assert len(response.context["rows"]) == 25


# Two queries of each page are the main menu in base.html.
QUEUE_QUERIES = 9
AGGREGATE_QUERIES = 16


def test_aggregate_runs_a_constant_number_of_queries(
    client, project, team, criteria, django_assert_num_queries
):
    _reviewed_project(2, project, team, criteria)
    client.force_login(team)
    client.get(url("aggregate", project.slug))
    with django_assert_num_queries(AGGREGATE_QUERIES):
        response = client.get(url("aggregate", project.slug))
    assert sum(len(q["rows"]) for q in response.context["questions"]) == 2
    other = ProjectFactory()
    assign_perm("crowdsourcing.moderate_project", team, other)
    _reviewed_project(
        12,
        other,
        team,
        [
            CriterionFactory(project=other, name="Польза", weight=2),
            CriterionFactory(
                project=other, name="Стоимость", scale_min=0, scale_max=10
            ),
        ],
    )
    with django_assert_num_queries(AGGREGATE_QUERIES):
        response = client.get(url("aggregate", other.slug))
    assert sum(len(q["rows"]) for q in response.context["questions"]) == 12


def test_full_path_assign_review_aggregate_select_top(
    client, project, team, django_capture_on_commit_callbacks
):
    """30 proposals, 3 experts, 2 reviews each, top 5 of each of 3 questions."""
    criteria = [
        CriterionFactory(project=project, name="Польза", weight=3),
        CriterionFactory(project=project, name="Цена", weight=1, scale_max=10),
    ]
    questions = [QuestionFactory(project=project) for _ in range(3)]
    proposals = [
        ProposalFactory(question=questions[i % 3], project=project) for i in range(30)
    ]
    experts = [UserFactory(roles=[Role.EXPERT]) for _ in range(3)]
    client.force_login(team)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("assignments", project.slug),
            {
                "bulk-experts": [e.pk for e in experts],
                "bulk-reviews_per_proposal": "2",
                "bulk-balance": "on",
                "bulk-due_date": DUE.isoformat(),
                "bulk": "1",
            },
        )
    assert response.status_code == 302
    assert ExpertAssignment.objects.count() == 60
    # One summary e-mail per expert.
    assert sorted(len(m.to) for m in mail.outbox) == [1, 1, 1]
    # Each expert reviews through the page; the score rises with the index so
    # the expected winners are known: the 5 highest indices per question.
    score_of = {p.pk: i for i, p in enumerate(proposals)}
    for expert in experts:
        client.force_login(expert)
        queue = client.get(url("queue"))
        assert queue.context["page_obj"].paginator.count == 20
        for assignment in ExpertAssignment.objects.filter(expert=expert):
            i = score_of[assignment.proposal_id]
            response = client.post(
                url("review", assignment.pk),
                {
                    f"score_{criteria[0].pk}": str(1 + i * 4 // 29),
                    f"score_{criteria[1].pk}": str(1 + i * 9 // 29),
                    "recommendation": "support",
                    "justification": "Оценено по критериям.",
                    "no_conflict_declared": "on",
                    "submit": "1",
                },
            )
            assert response.status_code == 302, response.content
    assert Review.objects.filter(submitted_at__isnull=False).count() == 60
    client.force_login(team)
    page = client.get(url("aggregate", project.slug))
    for group in page.context["questions"]:
        assert [row.review_count for row in group["rows"]] == [2] * 10
        assert [row.rank for row in group["rows"]] == list(range(1, 11))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("select_top", project.slug),
            {
                "top_n": "5",
                "min_reviews": "2",
                "reason_selected": "Вошло в пятёрку лучших по оценке экспертов.",
                "decide_rest": "on",
                "reason_not_selected": "Оценка экспертов ниже пятёрки лучших.",
            },
        )
    assert response.status_code == 302
    for question in questions:
        in_question = [p for p in proposals if p.question_id == question.pk]
        expected = {p.pk for p in in_question[-5:]}
        selected = set(
            question.proposals.filter(state=ProposalState.SELECTED).values_list(
                "pk", flat=True
            )
        )
        assert selected == expected
        assert question.proposals.filter(state=ProposalState.NOT_SELECTED).count() == 5
    assert len(mail.outbox) == 30
    subjects = {m.subject for m in mail.outbox}
    assert subjects == {
        "Ваше предложение отобрано экспертами",
        "Ваше предложение не прошло экспертный отбор",
    }


def test_admin_menu_links_the_team_to_the_expert_pages(client, team, editor):
    """The project team finds the pages from the admin; editors do not."""
    client.force_login(team)
    assert url("team_projects") in client.get("/admin/").content.decode()
    client.force_login(editor)
    assert url("team_projects") not in client.get("/admin/").content.decode()


def test_team_manages_criteria_and_outsiders_cannot(
    client, project, team, expert, staff_member
):
    client.force_login(team)
    response = client.post(
        url("criteria", project.slug),
        {
            "name": "Польза для района",
            "weight": "2",
            "scale_min": "1",
            "scale_max": "5",
            "position": "0",
        },
    )
    assert response.status_code == 302
    criterion = project.criteria.get()
    assert (criterion.weight, criterion.scale_max) == (2, 5)
    response = client.post(
        url("criteria", project.slug),
        {"name": "Пустая", "weight": "1", "scale_min": "3", "scale_max": "3"},
    )
    assert response.status_code == 400
    assert "Максимальная оценка должна быть больше минимальной." in (
        response.content.decode()
    )
    response = client.post(
        url("criterion_edit", criterion.pk),
        {
            "name": "Польза для района",
            "weight": "3",
            "scale_min": "1",
            "scale_max": "10",
            "position": "0",
        },
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.weight, criterion.scale_max) == (3, 10)
    # Department staff of another department and experts see nothing.
    for outsider in (expert, staff_member):
        client.force_login(outsider)
        assert client.get(url("criteria", project.slug)).status_code == 404
        assert client.get(url("criterion_edit", criterion.pk)).status_code == 404
        assert client.post(url("criterion_remove", criterion.pk)).status_code == 404
    client.force_login(team)
    assert client.post(url("criterion_remove", criterion.pk)).status_code == 302
    assert not project.criteria.exists()


def test_scored_criterion_keeps_its_scale(client, project, team, expert, criteria):
    proposal = ProposalFactory(question__project=project)
    assignment = services.assign_expert(proposal, expert, actor=team, due_date=DUE)
    services.save_review_draft(
        assignment, ReviewInput(scores={criteria[0].pk: 2}), actor=expert
    )
    client.force_login(team)
    response = client.post(
        url("criterion_edit", criteria[0].pk),
        {"name": "Польза", "weight": "2", "scale_min": "1", "scale_max": "3"},
    )
    assert response.status_code == 400
    assert "Шкалу нельзя менять" in response.content.decode()
    response = client.post(url("criterion_remove", criteria[0].pk))
    assert project.criteria.filter(pk=criteria[0].pk).exists()
