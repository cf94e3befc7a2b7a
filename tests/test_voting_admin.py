"""Project staff set up ballots and their options in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm
from wagtail.models import ModelLogEntry

from crowdsourcing.models import (
    Ballot,
    BallotKind,
    BallotRule,
    ProposalState,
    StageKind,
)
from crowdsourcing.roles import Role
from crowdsourcing.services import StageClosed
from crowdsourcing.services.voting import cast_ballot, remove_option

from .factories import (
    BallotFactory,
    BallotOptionFactory,
    DepartmentFactory,
    ProjectFactory,
    ProposalFactory,
    QuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/crowdsourcing/ballot/"
S = ProposalState


@pytest.fixture
def department():
    return DepartmentFactory(name="Департамент благоустройства")


@pytest.fixture
def staff(department):
    user = UserFactory(email="blago@example.org", roles=[Role.DEPARTMENT_STAFF])
    assign_perm("crowdsourcing.work_for_department", user, department)
    return user


@pytest.fixture
def upcoming(department):
    """A project whose vote opens tomorrow."""
    now = timezone.now()
    return ProjectFactory(
        department=department,
        title="Дворы Южного округа",
        stages={StageKind.VOTING: (now + timedelta(days=1), now + timedelta(days=8))},
    )


@pytest.fixture
def selected(upcoming):
    question = QuestionFactory(project=upcoming)
    return [
        ProposalFactory(question=question, state=S.SELECTED, title=title)
        for title in ("Спортплощадка у школы", "Освещение сквера")
    ]


def ballot_form(project, **overrides):
    data = {
        "project": str(project.pk),
        "question": "",
        "title": "Что построить во дворах",
        "description": "",
        "kind": BallotKind.BUDGETED,
        "rule": BallotRule.GREEDY,
        "min_choices": "1",
        "max_choices": "",
        "max_points": "",
        "min_points": "0",
        "max_points_per_option": "",
        "budget": "1000000",
        "currency": "RUB",
        "winners": "1",
        "district": "",
    }
    data.update(overrides)
    return data


def test_staff_create_a_budgeted_ballot_for_their_project(client, staff, upcoming):
    client.force_login(staff)

    response = client.post(f"{ADMIN}create/", ballot_form(upcoming))

    assert response.status_code == 302, response.content.decode()[:3000]
    ballot = Ballot.objects.get()
    assert (ballot.project, ballot.kind, ballot.rule, ballot.budget) == (
        upcoming,
        BallotKind.BUDGETED,
        BallotRule.GREEDY,
        1_000_000,
    )


def test_a_budget_rule_without_budget_is_refused_in_words(client, staff, upcoming):
    client.force_login(staff)

    response = client.post(f"{ADMIN}create/", ballot_form(upcoming, budget=""))

    assert response.status_code == 200
    assert "укажите бюджет больше нуля" in response.content.decode()
    assert Ballot.objects.count() == 0


def test_ranked_ballot_needs_its_length(client, staff, upcoming):
    client.force_login(staff)
    data = ballot_form(upcoming, kind=BallotKind.RANKED, rule=BallotRule.MOST_VOTES)

    response = client.post(f"{ADMIN}create/", data)

    assert "сколько мест в списке" in response.content.decode()
    assert Ballot.objects.count() == 0


def test_create_offers_only_the_staff_members_projects(client, staff, upcoming):
    ProjectFactory(title="Проект другого ведомства")
    client.force_login(staff)

    html = client.get(f"{ADMIN}create/").content.decode()

    assert "Дворы Южного округа" in html
    assert "Проект другого ведомства" not in html
    response = client.post(f"{ADMIN}create/", ballot_form(ProjectFactory()))
    assert response.status_code == 200
    assert Ballot.objects.count() == 0


def test_staff_of_another_department_neither_see_nor_open_the_ballot(client, upcoming):
    ballot = BallotFactory(project=upcoming, title="Бюллетень Южного округа")
    stranger = UserFactory(roles=[Role.DEPARTMENT_STAFF])
    assign_perm("crowdsourcing.work_for_department", stranger, DepartmentFactory())
    client.force_login(stranger)

    assert "Бюллетень Южного округа" not in client.get(ADMIN).content.decode()
    assert client.get(f"{ADMIN}edit/{ballot.pk}/").status_code in (302, 403)
    # Wagtail's admin answers a refusal with a redirect to the dashboard.
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    response = client.get(url)
    assert response.status_code == 302 and response.url == "/admin/"
    proposal = ProposalFactory(
        question=QuestionFactory(project=upcoming), state=S.SELECTED
    )
    response = client.post(url, {"action": "add", "proposal": proposal.pk})
    assert response.status_code == 302 and response.url == "/admin/"
    assert ballot.options.count() == 0


def test_staff_put_selected_proposals_on_the_ballot_and_take_one_off(
    client, staff, upcoming, selected
):
    ballot = BallotFactory(
        project=upcoming, kind=BallotKind.BUDGETED, budget=1_000_000, max_choices=None
    )
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)

    html = client.get(url).content.decode()
    assert "В бюллетене пока нет вариантов" in html
    assert "Спортплощадка у школы" in html

    # A budgeted ballot needs a cost; the form says so and nothing changes.
    refused = client.post(url, {"action": "add", "proposal": selected[0].pk})
    assert refused.status_code == 200
    assert ballot.options.count() == 0

    for proposal, cost in zip(selected, (600_000, 250_000), strict=True):
        response = client.post(
            url, {"action": "add", "proposal": proposal.pk, "cost": cost}
        )
        assert response.status_code == 302
    assert list(ballot.options.values_list("title", "cost", "position")) == [
        ("Спортплощадка у школы", 600_000, 0),
        ("Освещение сквера", 250_000, 1),
    ]
    selected[0].refresh_from_db()
    assert selected[0].state == S.ON_BALLOT

    first = ballot.options.get(position=0)
    response = client.post(url, {"action": "remove", "option": first.pk})
    assert response.status_code == 302
    assert list(ballot.options.values_list("title", flat=True)) == ["Освещение сквера"]
    selected[0].refresh_from_db()
    assert selected[0].state == S.SELECTED
    entry = ModelLogEntry.objects.get(action="crowd.ballot.option_remove")
    assert entry.user == staff
    assert entry.data["title"] == "Спортплощадка у школы"


def test_nothing_changes_once_the_vote_has_opened(client, staff, department):
    project = ProjectFactory(department=department)  # every stage open now
    ballot = BallotFactory(project=project)
    option = BallotOptionFactory(ballot=ballot)
    proposal = ProposalFactory(
        question=QuestionFactory(project=project), state=S.SELECTED
    )
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)

    assert "Голосование началось" in client.get(url).content.decode()
    client.post(url, {"action": "remove", "option": option.pk})
    client.post(url, {"action": "add", "proposal": proposal.pk, "cost": 1})
    assert list(ballot.options.all()) == [option]
    edit = client.get(f"{ADMIN}edit/{ballot.pk}/", follow=True)
    assert edit.redirect_chain[-1][0] == url
    assert "его правила и варианты больше не меняются" in edit.content.decode()
    assert client.get(f"{ADMIN}delete/{ballot.pk}/").status_code in (302, 403)
    client.post(f"{ADMIN}delete/{ballot.pk}/")
    assert Ballot.objects.filter(pk=ballot.pk).exists()
    with pytest.raises(StageClosed):
        remove_option(staff, option)


def test_admin_pages_show_no_voter_next_to_a_choice(client, staff, department):
    project = ProjectFactory(department=department)
    ballot = BallotFactory(project=project, title="Тайное голосование")
    option = BallotOptionFactory(ballot=ballot, title="Фонтан")
    voter = UserFactory(email="secret.voter@example.org", display_name="Тайный Голос")
    cast_ballot(voter, ballot, [option.pk])
    client.force_login(staff)

    pages = [
        client.get(ADMIN),
        client.get(f"/admin/crowd/ballots/{ballot.pk}/options/"),
    ]

    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "secret.voter" not in html
        assert "Тайный Голос" not in html


def test_deleting_a_ballot_returns_its_proposals_to_selected(
    client, staff, upcoming, selected
):
    ballot = BallotFactory(project=upcoming)
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)
    client.post(url, {"action": "add", "proposal": selected[0].pk})
    selected[0].refresh_from_db()
    assert selected[0].state == S.ON_BALLOT

    response = client.post(f"{ADMIN}delete/{ballot.pk}/")

    assert response.status_code == 302
    assert not Ballot.objects.filter(pk=ballot.pk).exists()
    selected[0].refresh_from_db()
    assert selected[0].state == S.SELECTED
    assert ModelLogEntry.objects.filter(action="crowd.ballot.delete").count() == 1


def test_removing_an_option_twice_says_it_is_gone(client, staff, upcoming, selected):
    ballot = BallotFactory(project=upcoming)
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)
    client.post(url, {"action": "add", "proposal": selected[0].pk})
    option = ballot.options.get()

    client.post(url, {"action": "remove", "option": option.pk})
    again = client.post(url, {"action": "remove", "option": option.pk}, follow=True)
    junk = client.post(url, {"action": "remove", "option": "x"}, follow=True)

    assert "Этого варианта уже нет в бюллетене" in again.content.decode()
    assert "Этого варианта уже нет в бюллетене" in junk.content.decode()
    assert ballot.options.count() == 0


def test_an_option_dearer_than_the_whole_budget_is_refused(
    client, staff, upcoming, selected
):
    ballot = BallotFactory(
        project=upcoming, kind=BallotKind.BUDGETED, budget=3_000_000, max_choices=None
    )
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)

    response = client.post(
        url, {"action": "add", "proposal": selected[0].pk, "cost": 5_000_000}
    )

    assert "больше всего бюджета" in response.content.decode()
    assert ballot.options.count() == 0
    selected[0].refresh_from_db()
    assert selected[0].state == S.SELECTED


def test_state_in_search_follows_the_ballot(
    client, staff, upcoming, selected, django_capture_on_commit_callbacks
):
    """Putting a proposal on the ballot and taking it off reindexes it."""
    from search.engine import search
    from search.indexing import index_now
    from search.models import EntryKind
    from search.query import SearchQuery

    for proposal in selected:
        index_now(EntryKind.PROPOSAL, proposal.pk)
    ballot = BallotFactory(project=upcoming)
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "add", "proposal": selected[0].pk})
    facets = search(SearchQuery(filters={"project": str(upcoming.pk)})).facets
    assert facets["state"] == {"on_ballot": 1, "selected": 1}

    option = ballot.options.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "remove", "option": option.pk})
    facets = search(SearchQuery(filters={"project": str(upcoming.pk)})).facets
    assert facets["state"] == {"selected": 2}


def test_an_edit_cannot_make_existing_options_invalid(
    client, staff, upcoming, selected
):
    """A free option blocks a switch to a budget; options pin the project."""
    ballot = BallotFactory(project=upcoming, title="Дворы")
    url = f"/admin/crowd/ballots/{ballot.pk}/options/"
    client.force_login(staff)
    client.post(url, {"action": "add", "proposal": selected[0].pk})
    other = ProjectFactory(department=upcoming.department, title="Набережные")

    to_budget = client.post(
        f"{ADMIN}edit/{ballot.pk}/", ballot_form(upcoming, title="Дворы")
    )
    moved = client.post(
        f"{ADMIN}edit/{ballot.pk}/",
        ballot_form(other, kind=BallotKind.APPROVAL, rule=BallotRule.MOST_VOTES),
    )

    assert "У некоторых вариантов нет стоимости" in to_budget.content.decode()
    assert "варианты из другого проекта" in moved.content.decode()
    ballot.refresh_from_db()
    assert (ballot.project, ballot.kind) == (upcoming, BallotKind.APPROVAL)


def test_an_option_is_checked_against_the_ballot_as_stored(staff, upcoming, selected):
    """add_proposal_option re-reads the ballot under its lock: a ballot made
    budgeted meanwhile (here behind the caller's back) refuses a free option."""
    from crowdsourcing.services.voting import InvalidBallot, add_proposal_option

    ballot = BallotFactory(project=upcoming)
    Ballot.objects.filter(pk=ballot.pk).update(rule=BallotRule.GREEDY, budget=1000)

    with pytest.raises(InvalidBallot, match="Укажите стоимость"):
        add_proposal_option(staff, ballot, selected[0], cost=0)
    assert ballot.options.count() == 0


def test_a_project_with_proposals_is_not_deleted_and_says_why(
    client, operator, upcoming, selected
):
    client.force_login(operator)

    response = client.post(
        f"/admin/crowdsourcing/project/delete/{upcoming.pk}/", follow=True
    )

    assert "есть предложения жителей" in response.content.decode()
    assert response.redirect_chain[-1][0].endswith(
        f"/admin/crowdsourcing/project/edit/{upcoming.pk}/"
    )
    upcoming.refresh_from_db()
