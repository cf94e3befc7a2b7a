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
