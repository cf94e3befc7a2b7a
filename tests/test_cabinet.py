"""The resident cabinet shows a resident only their own things."""

import json

import pytest
from django.urls import reverse

from crowdsourcing.models import Comment, ProjectFollow, Proposal, Rating, User
from crowdsourcing.services import accounts

from .factories import CommentFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(db):
    return UserFactory(email="anna@example.org", display_name="Анна")


@pytest.fixture
def boris(db):
    return UserFactory(email="boris@example.org", display_name="Борис")


@pytest.fixture
def activity(anna, boris):
    mine = ProposalFactory(author=anna, title="Моя идея про велодорожки")
    theirs = ProposalFactory(author=boris, title="Чужая идея про парковки")
    CommentFactory(proposal=theirs, author=anna, body="Мой комментарий")
    CommentFactory(proposal=mine, author=boris, body="Комментарий Бориса")
    Rating.objects.create(
        proposal=theirs, user=anna, value=1, created_at=mine.created_at
    )
    Rating.objects.create(
        proposal=mine, user=boris, value=-1, created_at=mine.created_at
    )
    return mine, theirs


def test_cabinet_needs_login(client):
    response = client.get(reverse("cabinet:overview"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_overview_lists_only_my_proposals(client, anna, activity):
    client.force_login(anna)
    html = client.get(reverse("cabinet:overview")).content.decode()
    assert "Моя идея про велодорожки" in html
    assert "Чужая идея про парковки" not in html


def test_my_comments_and_ratings_are_mine_only(client, anna, activity):
    client.force_login(anna)
    comments = client.get(reverse("cabinet:comments")).content.decode()
    assert "Мой комментарий" in comments
    assert "Комментарий Бориса" not in comments

    ratings = client.get(reverse("cabinet:ratings")).content.decode()
    assert "Чужая идея про парковки" in ratings
    assert "Моя идея про велодорожки" not in ratings


def test_export_holds_my_data_and_nobody_elses(client, anna, activity):
    client.force_login(anna)
    response = client.get(reverse("cabinet:export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["email"] == "anna@example.org"
    assert [p["title"] for p in data["proposals"]] == ["Моя идея про велодорожки"]
    assert [c["body"] for c in data["comments"]] == ["Мой комментарий"]
    assert [r["value"] for r in data["ratings"]] == [1]
    assert "boris@example.org" not in response.content.decode()


def test_notification_settings_are_saved(client, anna):
    client.force_login(anna)
    response = client.post(
        reverse("cabinet:settings"),
        {"notify_moderation": "on", "notify_results": "on"},
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.notify_moderation is True
    assert anna.notify_replies is False
    assert anna.notify_stages is False
    assert anna.wants_notification("results") is True
    assert anna.wants_notification("replies") is False


def test_follow_and_unfollow_a_project(client, anna, project):
    client.force_login(anna)
    url = reverse("cabinet:follow", args=[project.slug])
    client.post(url)
    client.post(url)
    assert ProjectFollow.objects.filter(user=anna, project=project).count() == 1
    client.post(url, {"action": "unfollow"})
    assert not ProjectFollow.objects.filter(user=anna, project=project).exists()


def test_delete_needs_the_right_password(client, anna):
    client.force_login(anna)
    response = client.post(
        reverse("cabinet:delete"), {"password": "wrong", "confirm": "on"}
    )
    assert response.status_code == 200
    assert "Неверный пароль." in response.content.decode()
    anna.refresh_from_db()
    assert anna.is_active


def test_delete_keeps_public_content_under_a_pseudonym(client, anna, activity):
    mine, theirs = activity
    client.force_login(anna)
    response = client.post(
        reverse("cabinet:delete"), {"password": "pass-word-123", "confirm": "on"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session

    anna = User.objects.get(pk=anna.pk)
    assert anna.email == f"deleted-{anna.pk}@deleted.invalid"
    assert anna.display_name == f"Удалённый участник №{anna.pk}"
    assert not anna.is_active and anna.is_pseudonymous
    assert not anna.has_usable_password()
    assert not anna.wants_notification("moderation")
    # the proposal, the comment and the support stay, counted and public
    assert Proposal.objects.get(pk=mine.pk).author_id == anna.pk
    assert Comment.objects.filter(author=anna).count() == 1
    counted = Proposal.objects.with_counts().get(pk=theirs.pk)
    assert counted.support_count == 1

    assert not client.login(email="anna@example.org", password="pass-word-123")


def test_operator_account_cannot_be_deleted_by_itself(operator):
    operator.is_superuser = True
    operator.save()
    with pytest.raises(accounts.PermissionDenied):
        accounts.delete_account(operator)


def test_cabinet_lists_my_ballots_but_not_my_choices(client, anna):
    from crowdsourcing.models import BallotParticipation

    from .factories import BallotFactory

    ballot = BallotFactory(title="Народный бюджет двора")
    BallotParticipation.objects.create(
        ballot=ballot, voter=anna, voted_at=ballot.created_at
    )
    other = BallotFactory(title="Чужое голосование")

    client.force_login(anna)
    html = client.get(reverse("cabinet:overview")).content.decode()
    assert "Народный бюджет двора" in html
    assert other.title not in html
    data = json.loads(client.get(reverse("cabinet:export")).content)
    assert [v["ballot"] for v in data["votes"]] == ["Народный бюджет двора"]
    assert "choices" not in data["votes"][0]


def test_project_page_offers_to_follow_and_unfollow(client, anna, project):
    page = reverse("crowdsourcing:project_detail", args=[project.slug])
    assert "Войдите, чтобы следить за проектом" in client.get(page).content.decode()

    client.force_login(anna)
    assert "Следить за проектом" in client.get(page).content.decode()
    client.post(reverse("cabinet:follow", args=[project.slug]))
    html = client.get(page).content.decode()
    assert "Вы следите за проектом — не следить" in html


def test_deleting_an_account_keeps_its_vote_counted(client, anna):
    from crowdsourcing.services.voting import cast_ballot
    from crowdsourcing.tally import tally_ballot

    from .factories import BallotFactory, BallotOptionFactory

    ballot = BallotFactory(max_choices=2)
    first, second = BallotOptionFactory.create_batch(2, ballot=ballot)
    cast_ballot(anna, ballot, [first.pk, second.pk])
    cast_ballot(UserFactory(), ballot, [first.pk])
    before = tally_ballot(ballot)

    client.force_login(anna)
    client.post(
        reverse("cabinet:delete"), {"password": "pass-word-123", "confirm": "on"}
    )

    after = tally_ballot(ballot)
    assert User.objects.get(pk=anna.pk).deleted_at is not None
    assert after.voters == before.voters == 2
    assert [(o.title, o.votes) for o in after.options] == [
        (o.title, o.votes) for o in before.options
    ]
    assert [o.votes for o in after.options] == [2, 1]
