"""Announcing a closed ballot's outcome moves its proposals once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crowdsourcing.models import BallotOption, ProposalState, StageKind
from crowdsourcing.services import PermissionDenied, StageClosed
from crowdsourcing.services.voting import cast_ballot, record_ballot_outcome

from .factories import BallotFactory, ProposalFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ballot_on_proposals():
    question = QuestionFactory()
    ballot = BallotFactory(project=question.project, max_choices=1, winners=1)
    proposals = [
        ProposalFactory(question=question, state=ProposalState.ON_BALLOT)
        for _ in range(3)
    ]
    options = [
        BallotOption.objects.create(
            ballot=ballot, proposal=p, title=p.title, position=i
        )
        for i, p in enumerate(proposals)
    ]
    for choice in (0, 0, 1):
        cast_ballot(UserFactory(), ballot, [options[choice].pk])
    return ballot, proposals


def _close(ballot):
    ballot.project.stages.filter(kind=StageKind.VOTING).update(
        ends_at=timezone.now() - timedelta(minutes=1)
    )


def test_outcome_waits_for_the_close(ballot_on_proposals, operator):
    ballot, _ = ballot_on_proposals
    with pytest.raises(StageClosed):
        record_ballot_outcome(operator, ballot)


def test_outcome_marks_winner_and_the_rest_once(ballot_on_proposals, operator):
    ballot, proposals = ballot_on_proposals
    _close(ballot)

    outcome = record_ballot_outcome(operator, ballot)

    states = [type(p).objects.get(pk=p.pk).state for p in proposals]
    assert states == [
        ProposalState.WINNER,
        ProposalState.NOT_WINNER,
        ProposalState.NOT_WINNER,
    ]
    assert (outcome.winners, outcome.not_winners) == (1, 2)
    again = record_ballot_outcome(operator, ballot)
    assert (again.winners, again.not_winners) == (0, 0)


def test_a_resident_cannot_announce_the_outcome(ballot_on_proposals, resident):
    ballot, proposals = ballot_on_proposals
    _close(ballot)
    with pytest.raises(PermissionDenied):
        record_ballot_outcome(resident, ballot)
    assert type(proposals[0]).objects.get(pk=proposals[0].pk).state == (
        ProposalState.ON_BALLOT
    )


def test_close_ballot_command(ballot_on_proposals, capsys):
    ballot, _ = ballot_on_proposals
    _close(ballot)
    call_command("close_ballot", str(ballot.pk))
    assert "Победителей: 1, не победили: 2" in capsys.readouterr().out
