"""Attack: a resident's own data export and their ballots."""

from __future__ import annotations

import json

import pytest

from crowdsourcing.services.accounts import export_user_data
from crowdsourcing.services.voting import cast_ballot

from .factories import BallotFactory, BallotOptionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_export_lists_the_ballots_the_resident_took_part_in():
    voter = UserFactory()
    ballot = BallotFactory(title="Голосование за сквер")
    options = BallotOptionFactory.create_batch(2, ballot=ballot, title="Вариант Альфа")
    cast_ballot(voter, ballot, [options[0].pk])

    data = export_user_data(voter)

    assert [entry["ballot_id"] for entry in data["votes"]] == [ballot.pk]
    # The participation is the resident's data; the choices are not kept
    # against them and must not appear.
    assert "Альфа" not in json.dumps(data["votes"], ensure_ascii=False)
