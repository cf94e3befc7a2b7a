"""Resident voting pages, and secrecy of every page that shows votes."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crowdsourcing.models import (
    BallotKind,
    BallotParticipation,
    BallotRule,
    ProposalState,
    StageKind,
    Vote,
)
from crowdsourcing.services.voting import cast_ballot
from crowdsourcing.views.voting import RECEIPT_COOKIE

from .factories import (
    BallotFactory,
    BallotOptionFactory,
    ProposalFactory,
    UserFactory,
)


@pytest.fixture
def ballot(db):
    ballot = BallotFactory(max_choices=3)
    proposal = ProposalFactory(
        project=ballot.project,
        question__project=ballot.project,
        state=ProposalState.SELECTED,
        title="Скамейки у пруда",
    )
    BallotOptionFactory(
        ballot=ballot, title="Скамейки у пруда", proposal=proposal, summary="Десять"
    )
    BallotOptionFactory(ballot=ballot, title="Фонари в парке", cost=2500000)
    BallotOptionFactory(ballot=ballot, title="Велодорожка")
    return ballot


def login(client, user):
    # UserFactory sets the password after saving without saving again, so
    # the in-memory session hash would not match the stored row.
    user.refresh_from_db()
    client.force_login(user)


def url(name, ballot):
    return reverse(f"crowdsourcing:{name}", args=[ballot.pk])


def option_ids(ballot):
    return list(ballot.options.order_by("position").values_list("pk", flat=True))


@pytest.mark.django_db
def test_ballot_page_lists_options_with_cost_link_and_counter(client, resident, ballot):
    """Title, summary, cost, proposal link and "Осталось 3 из 3"."""
    login(client, resident)
    response = client.get(url("ballot_detail", ballot))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Скамейки у пруда" in html and "Десять" in html
    assert "2 500 000" in html or "2,500,000" in html or "2\xa0500\xa0000" in html
    proposal = ballot.options.get(title="Скамейки у пруда").proposal
    assert proposal.get_absolute_url() in html
    assert "Осталось 3 из 3" in html
    assert "js/ballot.js" in html


@pytest.mark.django_db
def test_check_without_javascript_recounts_on_the_server(client, resident, ballot):
    """ "Проверить" re-renders with what is left and keeps the ticks."""
    login(client, resident)
    first = option_ids(ballot)[0]
    response = client.post(
        url("ballot_detail", ballot), {"option": [first], "action": "check"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Осталось 2 из 3" in html
    assert f'value="{first}" data-cost="100" checked' in html
    assert BallotParticipation.objects.count() == 0


@pytest.mark.django_db
def test_confirm_then_cast_then_receipt_shows_own_choices(client, resident, ballot):
    """Confirmation step, then the vote, then a receipt with the choices."""
    login(client, resident)
    first, second, _third = option_ids(ballot)
    data = {"option": [first, second]}
    confirm = client.post(url("ballot_detail", ballot), {**data, "action": "confirm"})
    html = confirm.content.decode()
    assert "Проверьте свой выбор" in html
    assert f'name="option" value="{second}"' in html
    assert BallotParticipation.objects.count() == 0
    cast = client.post(url("ballot_detail", ballot), {**data, "action": "cast"})
    assert cast.status_code == 302
    assert cast["Location"] == url("ballot_receipt", ballot) + "?new=1"
    cookie = cast.cookies[RECEIPT_COOKIE % ballot.pk]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    receipt = client.get(cast["Location"]).content.decode()
    assert "Ваш голос принят" in receipt
    assert "Скамейки у пруда" in receipt and "Фонари в парке" in receipt
    assert "Велодорожка" not in receipt
    assert cookie.value in receipt  # the code, shown once
    again = client.get(url("ballot_receipt", ballot)).content.decode()
    assert cookie.value not in again and "Фонари в парке" in again
    page = client.get(url("ballot_detail", ballot)).content.decode()
    assert "Вы проголосовали" in page and "ballot-form" not in page


@pytest.mark.django_db
def test_over_limit_is_refused_on_the_page_and_nothing_is_stored(client, ballot):
    """Four options on a three-option ballot: a clear message, no vote."""
    extra = BallotOptionFactory(ballot=ballot)
    login(client, UserFactory())
    response = client.post(
        url("ballot_detail", ballot),
        {"option": option_ids(ballot) + [extra.pk], "action": "cast"},
    )
    assert response.status_code == 400
    assert "не больше 3 вариантов, выбрано 4" in response.content.decode()
    assert Vote.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_and_unconfirmed_visitors_cannot_vote(client, ballot):
    """A visitor is told to log in; an unconfirmed e-mail is refused."""
    page = client.get(url("ballot_detail", ballot)).content.decode()
    assert "Войти, чтобы проголосовать" in page
    response = client.post(
        url("ballot_detail", ballot),
        {"option": option_ids(ballot)[:1], "action": "cast"},
    )
    assert response.status_code == 403
    login(client, UserFactory(email_confirmed=False))
    response = client.post(
        url("ballot_detail", ballot),
        {"option": option_ids(ballot)[:1], "action": "cast"},
    )
    assert response.status_code == 403
    assert "подтверждённым адресом e-mail" in response.content.decode()
    assert BallotParticipation.objects.count() == 0


@pytest.mark.django_db
def test_cumulative_and_budget_counters(client, resident):
    """Points left and budget left are counted on the server."""
    cumulative = BallotFactory(
        kind=BallotKind.CUMULATIVE, max_points=10, max_choices=None
    )
    a, _b = BallotOptionFactory.create_batch(2, ballot=cumulative)
    login(client, resident)
    html = client.post(
        url("ballot_detail", cumulative), {f"points-{a.pk}": "4", "action": "check"}
    ).content.decode()
    assert "Осталось баллов: 6 из 10" in html
    budgeted = BallotFactory(
        kind=BallotKind.BUDGETED, budget=1000, rule=BallotRule.GREEDY, max_choices=None
    )
    c = BallotOptionFactory(ballot=budgeted, cost=300)
    d = BallotOptionFactory(ballot=budgeted, cost=900)
    html = client.post(
        url("ballot_detail", budgeted), {"option": [c.pk], "action": "check"}
    ).content.decode()
    assert "Остаток бюджета: 700\xa0₽ из 1\xa0000\xa0₽" in html
    html = client.post(
        url("ballot_detail", budgeted), {"option": [c.pk, d.pk], "action": "check"}
    ).content.decode()
    assert "Бюджет превышен на 200\xa0₽ (всего 1\xa0000\xa0₽)" in html


@pytest.mark.django_db
def test_receipt_is_for_the_voter_alone(client, ballot, resident):
    """Someone who did not vote has no receipt; a wrong code shows nothing."""
    cast_ballot(resident, ballot, option_ids(ballot)[:1])
    other = UserFactory()
    login(client, other)
    assert client.get(url("ballot_receipt", ballot)).status_code == 404
    login(client, resident)
    page = client.post(
        url("ballot_receipt", ballot), {"code": "guess"}
    ).content.decode()
    assert "Код не подходит" in page and "Скамейки у пруда" not in page


@pytest.mark.django_db
def test_results_wait_for_the_close_then_show_counts_without_voters(client):
    """Before the end: no numbers; after: counts, winners, no names."""
    ballot = BallotFactory(max_choices=2)
    a, b = BallotOptionFactory.create_batch(2, ballot=ballot)
    voters = [UserFactory(display_name=f"Голосующий {n}") for n in range(3)]
    for voter, chosen in zip(voters, [[a], [a, b], [a]], strict=True):
        cast_ballot(voter, ballot, [o.pk for o in chosen])
    response = client.get(url("ballot_results", ballot))
    assert response.status_code == 403
    assert "после завершения" in response.content.decode()

    stage = ballot.project.stages.get(kind=StageKind.VOTING)
    stage.ends_at = timezone.now() - timedelta(seconds=1)
    stage.starts_at = stage.ends_at - timedelta(days=1)
    stage.save()
    html = client.get(url("ballot_results", ballot)).content.decode()
    assert "Проголосовали: 3" in html
    assert a.title in html and "Победитель" in html
    for voter in voters:
        assert voter.display_name not in html and voter.email not in html


@pytest.mark.django_db
def test_no_export_json_or_admin_page_links_a_voter_to_a_choice(
    client, operator, ballot, tmp_path
):
    """Tally JSON and Pabulib export hold no voter; the admin log no choice."""
    voter = UserFactory(email="secret-voter@example.org", display_name="Тайный")
    cast_ballot(voter, ballot, option_ids(ballot)[1:2])
    out = io.StringIO()
    call_command("tally", str(ballot.pk), "--json", stdout=out)
    exported = tmp_path / "ballot.pb"
    call_command("pabulib", "export", str(ballot.pk), str(exported), verbosity=0)
    for text in (out.getvalue(), exported.read_text(encoding="utf-8")):
        assert "secret-voter" not in text and "Тайный" not in text
    votes = exported.read_text(encoding="utf-8").split("VOTES\n")[1].splitlines()
    second = ballot.options.order_by("position")[1]
    assert votes == ["voter_id;vote", f"1;{second.external_id}"]
    login(client, operator)
    history = client.get("/admin/reports/site-history/")
    assert history.status_code == 200
    html = history.content.decode()
    assert "Фонари в парке" not in html
    for path in ("/admin/snippets/", "/admin/"):
        page = client.get(path).content.decode()
        assert "Фонари в парке" not in page and "ballotpaper" not in page.lower()


@pytest.mark.django_db
def test_casting_a_vote_takes_a_pinned_number_of_queries(
    client, resident, ballot, django_assert_num_queries
):
    """The hot path of a vote stays small: see the list in the body."""
    from django.contrib.contenttypes.models import ContentType

    login(client, resident)
    data = {"option": option_ids(ballot)[:2], "action": "cast"}
    # A running server has the content type cached after its first vote, and
    # the ballot snapshot (ballot, project, stages, options) after its first
    # page view; the GET below fills it.
    ContentType.objects.get_for_model(BallotParticipation)
    assert client.get(url("ballot_detail", ballot)).status_code == 200
    # session, user; the service's savepoint (the test's transaction makes
    # the atomic one), then on PostgreSQL one statement writing participation,
    # paper, votes and audit entry, elsewhere four INSERTs; the release. No
    # "already voted?" read: the unique index answers that.
    from django.db import connection

    writes = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(4 + writes):
        response = client.post(url("ballot_detail", ballot), data)
    assert response.status_code == 302


@pytest.mark.django_db
def test_ranked_ballot_page_confirms_places_and_refuses_gaps(client, resident):
    """Places 1 and 2 go to confirmation in order; 1 and 3 are refused."""
    ranked = BallotFactory(kind=BallotKind.RANKED, max_choices=3)
    a, b, c = BallotOptionFactory.create_batch(3, ballot=ranked)
    login(client, resident)
    page = client.get(url("ballot_detail", ranked)).content.decode()
    assert f'name="rank-{a.pk}"' in page and "Осталось 3 из 3" in page
    gap = client.post(
        url("ballot_detail", ranked),
        {f"rank-{a.pk}": "1", f"rank-{c.pk}": "3", "action": "confirm"},
    )
    assert gap.status_code == 400
    assert "подряд с первого" in gap.content.decode()
    confirm = client.post(
        url("ballot_detail", ranked),
        {f"rank-{c.pk}": "1", f"rank-{a.pk}": "2", "action": "confirm"},
    ).content.decode()
    assert confirm.index(c.title) < confirm.index(a.title)
    assert b.title not in confirm
    client.post(
        url("ballot_detail", ranked),
        {f"rank-{c.pk}": "1", f"rank-{a.pk}": "2", "action": "cast"},
    )
    assert dict(Vote.objects.values_list("option_id", "rank")) == {c.pk: 1, a.pk: 2}


@pytest.mark.django_db
def test_cached_ballot_follows_a_calendar_edit_at_once(
    client, resident, ballot, django_capture_on_commit_callbacks
):
    """Closing the voting stage early is seen by the very next vote."""
    login(client, resident)
    assert client.get(url("ballot_detail", ballot)).status_code == 200
    stage = ballot.project.stages.get(kind=StageKind.VOTING)
    with django_capture_on_commit_callbacks(execute=True):
        stage.ends_at = timezone.now() - timedelta(minutes=1)
        stage.save()
    data = {"option": option_ids(ballot)[:1], "action": "cast"}
    response = client.post(url("ballot_detail", ballot), data)
    assert response.status_code == 403
    assert "Голосование завершено" in response.content.decode()
    assert not BallotParticipation.objects.exists()


@pytest.mark.django_db
def test_cached_ballot_follows_an_option_edit(
    client, resident, ballot, django_capture_on_commit_callbacks
):
    """An option renamed before the vote starts shows with its new title."""
    login(client, resident)
    assert "Велодорожка" in client.get(url("ballot_detail", ballot)).content.decode()
    option = ballot.options.get(title="Велодорожка")
    with django_capture_on_commit_callbacks(execute=True):
        option.title = "Велодорожка вдоль реки"
        option.save()
    assert "Велодорожка вдоль реки" in (
        client.get(url("ballot_detail", ballot)).content.decode()
    )


@pytest.mark.django_db
def test_votes_over_the_rate_limit_are_refused_and_write_nothing(
    client, resident, settings
):
    """A resident casting on many ballots in a row meets the vote limit."""
    settings.CROWD_RATE_LIMITS = {"vote": "2/h"}
    ballots = [BallotFactory() for _ in range(3)]
    for each in ballots:
        BallotOptionFactory(ballot=each)
    login(client, resident)
    statuses = [
        client.post(
            url("ballot_detail", each),
            {"option": option_ids(each), "action": "cast"},
        ).status_code
        for each in ballots
    ]
    assert statuses[:2] == [302, 302]
    assert statuses[2] == 429
    assert BallotParticipation.objects.filter(voter=resident).count() == 2
    assert not BallotParticipation.objects.filter(ballot=ballots[2]).exists()


@pytest.mark.django_db
def test_project_page_leads_to_the_vote_then_to_the_results(client, ballot):
    """The participation page links the open ballot, and after it the results."""
    project = ballot.project
    page = reverse("crowdsourcing:project_detail", args=[project.slug])

    html = client.get(page).content.decode()
    assert f'href="{url("ballot_detail", ballot)}"' in html
    assert f"Голосовать: {ballot.title}" in html

    now = timezone.now()
    project.stages.filter(kind=StageKind.VOTING).update(
        starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1)
    )
    html = client.get(page).content.decode()
    assert f'href="{url("ballot_results", ballot)}"' in html
    assert f'href="{url("ballot_detail", ballot)}"' not in html
