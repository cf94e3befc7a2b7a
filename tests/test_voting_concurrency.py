"""Twenty parallel submissions by one voter store exactly one vote."""

import threading

import pytest
from django.db import connection, connections

from crowdsourcing.models import BallotPaper, BallotParticipation, Vote
from crowdsourcing.services import ServiceError
from crowdsourcing.services.voting import cast_ballot
from crowdsourcing.tally import tally_ballot

from .factories import BallotFactory, BallotOptionFactory, UserFactory

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_submissions_store_one_participation():
    """Real threads on PostgreSQL: one accepted, nineteen refused."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers itself")
    voter = UserFactory()
    ballot = BallotFactory(max_choices=3)
    options = BallotOptionFactory.create_batch(3, ballot=ballot)
    chosen = [options[0].pk, options[2].pk]
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit():
        try:
            start.wait()
            cast_ballot(voter, ballot, chosen)
            result = "ok"
        except ServiceError as error:
            result = error.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already_voted"] * 19 + ["ok"]
    assert BallotParticipation.objects.filter(ballot=ballot, voter=voter).count() == 1
    assert BallotPaper.objects.filter(ballot=ballot).count() == 1
    assert sorted(Vote.objects.values_list("option_id", flat=True)) == chosen
    assert [o.votes for o in tally_ballot(ballot).options] == [1, 0, 1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ballot_edit_waits_for_an_option_being_added(monkeypatch):
    """Real threads: while staff add a free option, a colleague turns the
    ballot greedy with a budget. The ballot's row lock makes the edit wait
    and then see the option, so it is refused; no free option ends up on a
    budget-counted ballot."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers itself")
    import time
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from crowdsourcing.models import Ballot, BallotRule, ProposalState, StageKind
    from crowdsourcing.roles import Role
    from crowdsourcing.services import voting

    from .factories import ProjectFactory, ProposalFactory, QuestionFactory
    from .test_voting_admin import ADMIN, ballot_form

    now = timezone.now()
    project = ProjectFactory(
        stages={StageKind.VOTING: (now + timedelta(days=1), now + timedelta(days=8))}
    )
    staff = UserFactory(roles=[Role.DEPARTMENT_STAFF])
    assign_perm("crowdsourcing.work_for_department", staff, project.department)
    proposal = ProposalFactory(
        question=QuestionFactory(project=project), state=ProposalState.SELECTED
    )
    ballot = BallotFactory(project=project, max_choices=None)
    adding = threading.Event()
    checked = voting._refuse_if_started

    def slow_check(locked):
        checked(locked)
        if threading.current_thread().name == "add":
            adding.set()
            time.sleep(1.0)  # the edit arrives now and waits on the lock

    monkeypatch.setattr(voting, "_refuse_if_started", slow_check)
    statuses = {}

    def request(name, url, data):
        client = Client()
        client.force_login(staff)
        try:
            statuses[name] = client.post(url, data).status_code
        finally:
            connections.close_all()

    add = threading.Thread(
        name="add",
        target=request,
        args=(
            "add",
            f"/admin/crowd/ballots/{ballot.pk}/options/",
            {"action": "add", "proposal": proposal.pk, "cost": ""},
        ),
    )
    add.start()
    assert adding.wait(20)
    edit = threading.Thread(
        name="edit",
        target=request,
        args=(
            "edit",
            f"{ADMIN}edit/{ballot.pk}/",
            ballot_form(
                project, kind="approval", rule=BallotRule.GREEDY, budget="1000"
            ),
        ),
    )
    edit.start()
    add.join(30)
    edit.join(30)

    ballot = Ballot.objects.get(pk=ballot.pk)
    assert statuses == {"add": 302, "edit": 200}  # the edit form came back
    assert (ballot.rule, list(ballot.options.values_list("cost", flat=True))) == (
        BallotRule.MOST_VOTES,
        [0],
    )
