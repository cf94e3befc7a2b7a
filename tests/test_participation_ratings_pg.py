"""Parallel ratings on PostgreSQL, with real threads and connections."""

import threading

import pytest
from django.db import connection

from crowdsourcing.models import Proposal, Rating
from crowdsourcing.services import proposals as proposal_services

from .factories import ProposalFactory, UserFactory
from .participation import fresh_rate_limits  # noqa: F401

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 20


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so nothing races")


def run_in_threads(target, count):
    barrier = threading.Barrier(count)
    errors = []

    def worker(index):
        from django.db import connections

        try:
            barrier.wait(timeout=30)
            target(index)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_twenty_parallel_ratings_by_one_resident_leave_one_row():
    """Twenty simultaneous clicks, each in its own connection and transaction,
    end with exactly one rating and a support count of one."""
    proposal = ProposalFactory()
    resident = UserFactory()
    errors = run_in_threads(
        lambda i: proposal_services.rate_proposal(resident, proposal, 1), THREADS
    )
    assert errors == []
    assert Rating.objects.filter(proposal=proposal, user=resident).count() == 1
    assert Rating.objects.get(proposal=proposal, user=resident).value == 1
    counted = Proposal.objects.with_counts().get(pk=proposal.pk)
    assert (counted.support_count, counted.oppose_count) == (1, 0)
    assert counted.support_tally == 1


def test_parallel_ratings_by_many_residents_keep_the_tally_exact():
    """Twenty residents at once: the ordering tally ends at exactly twenty."""
    proposal = ProposalFactory()
    residents = [UserFactory() for _ in range(THREADS)]
    errors = run_in_threads(
        lambda i: proposal_services.rate_proposal(residents[i], proposal, 1),
        THREADS,
    )
    assert errors == []
    proposal.refresh_from_db()
    assert proposal.support_tally == THREADS
    assert Rating.objects.filter(proposal=proposal).count() == THREADS


def test_parallel_mixed_ratings_leave_one_row_with_one_of_the_values():
    """Support and opposition racing each other: still one row, one value."""
    proposal = ProposalFactory()
    resident = UserFactory()
    errors = run_in_threads(
        lambda i: proposal_services.rate_proposal(
            resident, proposal, 1 if i % 2 else -1
        ),
        THREADS,
    )
    assert errors == []
    (rating,) = Rating.objects.filter(proposal=proposal, user=resident)
    assert rating.value in (1, -1)
