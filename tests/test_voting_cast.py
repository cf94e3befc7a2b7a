"""cast_ballot: who may vote, when, with what; every refusal changes nothing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from wagtail.models import ModelLogEntry

from crowdsourcing.models import (
    BallotKind,
    BallotPaper,
    BallotParticipation,
    BallotRule,
    District,
    StageKind,
    Vote,
)
from crowdsourcing.services import PermissionDenied, StageClosed
from crowdsourcing.services.voting import (
    AlreadyVoted,
    InvalidBallot,
    cast_ballot,
    find_paper,
)
from crowdsourcing.tally import tally_ballot

from .factories import BallotFactory, BallotOptionFactory, ProjectFactory, UserFactory

MSK = ZoneInfo("Europe/Moscow")
OPENS = datetime(2026, 6, 1, 0, 0, tzinfo=MSK)
CLOSES = datetime(2026, 6, 11, 0, 0, tzinfo=MSK)


def counts():
    return (
        BallotParticipation.objects.count(),
        BallotPaper.objects.count(),
        Vote.objects.count(),
    )


@pytest.fixture
def ballot(db):
    project = ProjectFactory(stages={StageKind.VOTING: (OPENS, CLOSES)})
    ballot = BallotFactory(project=project, min_choices=1, max_choices=3)
    BallotOptionFactory.create_batch(4, ballot=ballot)
    return ballot


def ids(ballot, n=None):
    return list(ballot.options.order_by("position").values_list("pk", flat=True))[:n]


@pytest.mark.django_db
def test_resident_votes_once_and_the_paper_has_no_voter(ballot, resident):
    """A confirmed resident's vote is stored as a voterless paper."""
    receipt = cast_ballot(resident, ballot, ids(ballot, 2), at=OPENS)
    assert counts() == (1, 1, 2)
    participation = BallotParticipation.objects.get()
    assert participation.voter == resident
    paper = BallotPaper.objects.get()
    field_names = {f.name for f in BallotPaper._meta.get_fields()}
    assert field_names == {"id", "ballot", "receipt_digest", "votes"}
    assert find_paper(ballot, receipt.token) == paper
    assert find_paper(ballot, "wrong") is None
    assert [o.votes for o in tally_ballot(ballot).options] == [1, 1, 0, 0]


@pytest.mark.django_db
def test_audit_entry_names_the_ballot_not_the_choices(ballot, resident):
    """The audit trail records that a vote was cast, without options."""
    chosen = ids(ballot, 2)
    cast_ballot(resident, ballot, chosen, at=OPENS)
    entry = ModelLogEntry.objects.get(action="crowd.ballot.cast")
    assert entry.user == resident
    assert entry.data == {"ballot": ballot.pk}
    assert entry.content_type.model == "ballotparticipation"
    assert entry.object_id == str(BallotParticipation.objects.get().pk)
    assert entry.label


@pytest.mark.django_db
def test_second_submission_is_refused_and_changes_nothing(ballot, resident):
    """One participation per voter per ballot."""
    cast_ballot(resident, ballot, ids(ballot, 1), at=OPENS)
    before = counts()
    with pytest.raises(AlreadyVoted, match="Вы уже проголосовали"):
        cast_ballot(resident, ballot, ids(ballot, 2), at=OPENS)
    assert counts() == before


@pytest.mark.django_db
def test_unconfirmed_email_is_refused(ballot):
    """Only residents with a confirmed e-mail vote."""
    user = UserFactory(email_confirmed=False)
    with pytest.raises(PermissionDenied, match="подтверждённым адресом e-mail"):
        cast_ballot(user, ballot, ids(ballot, 1), at=OPENS)
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_district_ballot_admits_confirmed_residents_of_its_district(ballot):
    """A district ballot refuses others and unconfirmed districts."""
    okrug = District.objects.create(name="Тестовый округ", kind="okrug")
    district = District.objects.create(
        name="Тестовый район", kind="district", parent=okrug
    )
    other = District.objects.create(name="Чужой район", kind="district")
    ballot.district = okrug
    ballot.requires_confirmed_district = True
    ballot.save()
    unconfirmed = UserFactory(district=district, district_confirmed=False)
    stranger = UserFactory(district=other, district_confirmed=True)
    local = UserFactory(district=district, district_confirmed=True)
    for user in (unconfirmed, stranger):
        with pytest.raises(PermissionDenied, match="Тестовый округ"):
            cast_ballot(user, ballot, ids(ballot, 1), at=OPENS)
    assert counts() == (0, 0, 0)
    cast_ballot(local, ballot, ids(ballot, 1), at=OPENS)
    assert counts() == (1, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (OPENS - timedelta(seconds=1), False),
        (OPENS, True),
        (CLOSES - timedelta(seconds=1), True),
        (CLOSES, False),
    ],
)
def test_window_is_half_open_at_moscow_midnight(ballot, resident, at, allowed):
    """Votes count from 00:00:00 MSK on the first day to 23:59:59 on the last."""
    if allowed:
        cast_ballot(resident, ballot, ids(ballot, 1), at=at)
        assert counts() == (1, 1, 1)
    else:
        with pytest.raises(StageClosed) as error:
            cast_ballot(resident, ballot, ids(ballot, 1), at=at)
        assert ("не началось" if at < OPENS else "завершено") in error.value.message
        assert counts() == (0, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pick", "message"),
    [
        ([], "Выберите вариант"),
        ([0, 1, 2, 3], "не больше 3 вариантов, выбрано 4"),
        ([0, 0], "выбран дважды"),
    ],
)
def test_approval_limits_and_duplicates_are_refused(ballot, resident, pick, message):
    """Too few, too many or a repeated option: refused, nothing stored."""
    options = ids(ballot)
    with pytest.raises(InvalidBallot, match=message):
        cast_ballot(resident, ballot, [options[i] for i in pick], at=OPENS)
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_option_of_another_ballot_is_refused(ballot, resident):
    """An option id from another ballot never counts here."""
    foreign = BallotOptionFactory()
    with pytest.raises(InvalidBallot, match="нет выбранного варианта"):
        cast_ballot(resident, ballot, [ids(ballot, 1)[0], foreign.pk], at=OPENS)
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_cumulative_points_over_the_total_are_refused(resident):
    """Ten points to spread: eleven refused, ten accepted."""
    ballot = BallotFactory(
        kind=BallotKind.CUMULATIVE, max_points=10, min_choices=1, max_choices=None
    )
    a, b = BallotOptionFactory.create_batch(2, ballot=ballot)
    with pytest.raises(InvalidBallot, match="Распределено 11 баллов"):
        cast_ballot(resident, ballot, [a.pk, b.pk], {a.pk: 6, b.pk: 5})
    with pytest.raises(InvalidBallot, match="хотя бы 1 балл"):
        cast_ballot(resident, ballot, [a.pk, b.pk], {a.pk: 6, b.pk: 0})
    assert counts() == (0, 0, 0)
    cast_ballot(resident, ballot, [a.pk, b.pk], {a.pk: 7, b.pk: 3})
    result = tally_ballot(ballot)
    assert [(o.votes, o.score) for o in result.options] == [(1, 7), (1, 3)]


@pytest.mark.django_db
def test_budgeted_ballot_refuses_a_total_over_budget(resident):
    """Chosen costs must fit the budget."""
    ballot = BallotFactory(
        kind=BallotKind.BUDGETED, budget=250, rule=BallotRule.GREEDY, max_choices=None
    )
    a, b, c = (BallotOptionFactory(ballot=ballot, cost=cost) for cost in (100, 120, 90))
    with pytest.raises(InvalidBallot, match="стоят 310\xa0₽, а бюджет — 250\xa0₽"):
        cast_ballot(resident, ballot, [a.pk, b.pk, c.pk])
    assert counts() == (0, 0, 0)
    cast_ballot(resident, ballot, [a.pk, b.pk])
    assert counts() == (1, 1, 2)


@pytest.mark.django_db
def test_ranked_ballot_stores_places_and_borda_points(resident):
    """Three places: first 3 points, second 2; longer rankings refused."""
    ballot = BallotFactory(kind=BallotKind.RANKED, max_choices=3)
    a, b, c, d = BallotOptionFactory.create_batch(4, ballot=ballot)
    with pytest.raises(InvalidBallot, match="не больше 3"):
        cast_ballot(resident, ballot, [a.pk, b.pk, c.pk, d.pk])
    cast_ballot(resident, ballot, [c.pk, a.pk])
    assert dict(Vote.objects.values_list("option_id", "rank")) == {c.pk: 1, a.pk: 2}
    scores = {o.option_id: o.score for o in tally_ballot(ballot).options}
    assert scores == {a.pk: 2, b.pk: 0, c.pk: 3, d.pk: 0}


@pytest.mark.django_db
def test_choose_one_refuses_two(resident):
    """A choose-one ballot takes exactly one option."""
    ballot = BallotFactory(kind=BallotKind.CHOOSE_ONE, min_choices=1, max_choices=1)
    a, b = BallotOptionFactory.create_batch(2, ballot=ballot)
    with pytest.raises(InvalidBallot, match="не больше 1"):
        cast_ballot(resident, ballot, [a.pk, b.pk])
    cast_ballot(resident, ballot, [b.pk])
    assert [o.selected for o in tally_ballot(ballot).options] == [False, True]


@pytest.mark.django_db
def test_greedy_rules_skip_or_stop_at_the_first_misfit():
    """Budget 100: skip takes A and C, stop-at-first-misfit takes only A."""
    project = ProjectFactory()
    results = {}
    for rule in (BallotRule.GREEDY, BallotRule.GREEDY_STOP):
        ballot = BallotFactory(project=project, rule=rule, budget=100, max_choices=None)
        a = BallotOptionFactory(ballot=ballot, cost=60, external_id="A")
        b = BallotOptionFactory(ballot=ballot, cost=50, external_id="B")
        c = BallotOptionFactory(ballot=ballot, cost=30, external_id="C")
        for n, chosen in enumerate([[a, b, c], [a, b, c], [a, b], [a]]):
            voter = UserFactory(email=f"greedy-{rule}-{n}@example.org")
            cast_ballot(voter, ballot, [o.pk for o in chosen])
        results[rule] = {o.external_id for o in tally_ballot(ballot).selected}
    assert results == {BallotRule.GREEDY: {"A", "C"}, BallotRule.GREEDY_STOP: {"A"}}


@pytest.mark.django_db
def test_ties_break_by_lower_cost_then_position():
    """Equal votes: the cheaper option first, then the earlier one."""
    ballot = BallotFactory(rule=BallotRule.MOST_VOTES, winners=1, max_choices=None)
    a = BallotOptionFactory(ballot=ballot, cost=50, position=1)
    b = BallotOptionFactory(ballot=ballot, cost=40, position=2)
    c = BallotOptionFactory(ballot=ballot, cost=40, position=3)
    cast_ballot(UserFactory(), ballot, [a.pk, b.pk, c.pk])
    ranking = [o.option_id for o in tally_ballot(ballot).ranking()]
    assert ranking == [b.pk, c.pk, a.pk]
    assert [o.option_id for o in tally_ballot(ballot).selected] == [b.pk]


@pytest.mark.django_db
def test_equal_shares_funds_a_cohesive_minority():
    """MES (pabutools): 2 of 3 voters want X, 1 wants Y; both fit shares."""
    ballot = BallotFactory(
        rule=BallotRule.EQUAL_SHARES, budget=90, max_choices=None, min_choices=1
    )
    x = BallotOptionFactory(ballot=ballot, cost=60, external_id="X")
    y = BallotOptionFactory(ballot=ballot, cost=30, external_id="Y")
    z = BallotOptionFactory(ballot=ballot, cost=60, external_id="Z")
    for chosen in ([x, z], [x, z], [y]):
        cast_ballot(UserFactory(), ballot, [o.pk for o in chosen])
    assert {o.external_id for o in tally_ballot(ballot).selected} == {"X", "Y"}


@pytest.mark.django_db
def test_tally_is_pinned_to_three_queries(ballot, resident, django_assert_num_queries):
    """Options, one aggregate over votes, one count of papers."""
    cast_ballot(resident, ballot, ids(ballot, 2), at=OPENS)
    with django_assert_num_queries(3):
        tally_ballot(ballot)


@pytest.mark.django_db
def test_project_staff_put_a_selected_proposal_on_the_ballot(operator, resident):
    """Staff add a selected proposal before the vote; others may not."""
    from crowdsourcing.models import ProposalState
    from crowdsourcing.services.voting import add_proposal_option

    from .factories import ProposalFactory

    now = datetime.now(MSK)
    project = ProjectFactory(
        stages={StageKind.VOTING: (now + timedelta(days=1), now + timedelta(days=2))}
    )
    ballot = BallotFactory(project=project)
    proposal = ProposalFactory(
        project=project, question__project=project, state=ProposalState.SELECTED
    )
    draft = ProposalFactory(
        project=project, question__project=project, state=ProposalState.PUBLISHED
    )
    with pytest.raises(PermissionDenied):
        add_proposal_option(resident, ballot, proposal, cost=500)
    option = add_proposal_option(operator, ballot, proposal, cost=500)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ON_BALLOT
    assert (option.title, option.cost, option.proposal) == (
        proposal.title,
        500,
        proposal,
    )
    with pytest.raises(InvalidBallot, match="только отобранные"):
        add_proposal_option(operator, ballot, draft)
    assert ballot.options.count() == 1


@pytest.mark.django_db
def test_options_are_fixed_once_voting_has_started(operator):
    """No option may be added while the window is open."""
    from crowdsourcing.services.voting import add_proposal_option

    from .factories import ProposalFactory

    open_ballot = BallotFactory()
    proposal = ProposalFactory(
        project=open_ballot.project,
        question__project=open_ballot.project,
        state="selected",
    )
    with pytest.raises(StageClosed, match="после начала голосования"):
        add_proposal_option(operator, open_ballot, proposal)


@pytest.mark.django_db
def test_audit_refuses_an_unregistered_action(ballot, resident):
    """A typo in an action name fails loudly instead of logging junk."""
    from django.core.exceptions import ImproperlyConfigured

    from crowdsourcing.services import audit

    cast_ballot(resident, ballot, ids(ballot, 1), at=OPENS)
    participation = BallotParticipation.objects.get()
    with pytest.raises(ImproperlyConfigured, match="crowd.ballot.typo"):
        audit.record(participation, "crowd.ballot.typo", user=resident)
    assert ModelLogEntry.objects.filter(action="crowd.ballot.typo").count() == 0


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("ru", 1_250_000, "RUB", "1\xa0250\xa0000\xa0₽"),
        ("ru", 329_457, "PLN", "329\xa0457\xa0PLN"),
        ("ru", 5_000, "", "5\xa0000"),
        ("en", 1_250_000, "RUB", "RUB1,250,000"),
        ("en", 1_250_000, "EUR", "€1,250,000"),
    ],
)
def test_amounts_follow_the_language(language, amount, currency, shown):
    """Grouping, sign and its place come from the language, kopecks never."""
    from django.utils import translation

    from crowdsourcing.money import format_money

    with translation.override(language):
        assert format_money(amount, currency) == shown
