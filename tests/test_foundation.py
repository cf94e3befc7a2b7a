"""The foundation: roles in the admin, resident accounts, health, settings."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import OperationalError
from django.urls import reverse
from guardian.utils import get_anonymous_user

from crowdsourcing.models import User
from crowdsourcing.roles import Role

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def admin_status(client, user, path):
    client.force_login(user)
    return client.get(path).status_code


# path -> roles that may open it. Everybody else is refused.
ADMIN_GRID = {
    "/admin/": {"operator", "moderator", "editor", "staff_member"},
    "/admin/pages/1/": {"operator", "moderator", "editor"},
    "/admin/users/": {"operator"},
    "/admin/groups/": {"operator"},
    "/admin/sites/": {"operator"},
}


@pytest.mark.parametrize(
    "role", ["operator", "moderator", "editor", "staff_member", "expert", "resident"]
)
@pytest.mark.parametrize("path", list(ADMIN_GRID))
def test_admin_access_follows_the_role(client, request, role, path):
    """Each role opens exactly the admin screens the grid gives it."""
    user = request.getfixturevalue(role)
    status = admin_status(client, user, path)
    if role in ADMIN_GRID[path]:
        assert status == 200, (role, path, status)
    else:
        # Wagtail sends people without admin access to its login page and
        # answers a signed-in admin user without the permission with a
        # redirect to the dashboard plus a message.
        assert status in (302, 403), (role, path, status)


def test_resident_is_sent_away_from_the_admin(client, resident):
    client.force_login(resident)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_role_groups_exist_after_migrations():
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {role.value for role in Role} <= names


def test_operator_group_holds_every_permission():
    from django.contrib.auth.models import Group, Permission

    operators = Group.objects.get(name=Role.OPERATOR)
    assert operators.permissions.count() == Permission.objects.count()


def test_experts_have_no_admin_permissions():
    from django.contrib.auth.models import Group

    assert not Group.objects.get(name=Role.EXPERT).permissions.exists()


def test_editor_cannot_change_crowdsourcing_records(editor):
    for codename in ("change_proposal", "change_project", "view_proposal"):
        assert not editor.has_perm(f"crowdsourcing.{codename}")


def test_signup_sends_a_russian_confirmation_and_marks_account_unconfirmed(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.resident@example.org",
            "password1": "Sl0zhnyi-parol-2026",
            "password2": "Sl0zhnyi-parol-2026",
            "display_name": "Новый житель",
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 302

    user = User.objects.get(email="new.resident@example.org")
    assert user.display_name == "Новый житель"
    assert user.email_confirmed is False
    assert not EmailAddress.objects.get(user=user).verified

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.resident@example.org"]
    assert "Подтвердите" in message.subject or "подтвер" in message.body.lower()
    assert "Город идей" in message.subject


def test_unconfirmed_account_cannot_log_in_until_confirmed(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "pending@example.org",
            "password1": "Sl0zhnyi-parol-2026",
            "password2": "Sl0zhnyi-parol-2026",
        },
    )
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "pending@example.org", "password": "Sl0zhnyi-parol-2026"},
    )
    # allauth sends an unconfirmed account to the "confirm your e-mail" page
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_confirming_the_email_marks_the_account_confirmed(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "confirm.me@example.org",
            "password1": "Sl0zhnyi-parol-2026",
            "password2": "Sl0zhnyi-parol-2026",
        },
    )
    body = mail.outbox[0].body
    url = next(
        line.strip() for line in body.splitlines() if "/accounts/confirm-email/" in line
    )
    path = url[url.index("/accounts/") :]
    response = client.post(path)
    assert response.status_code == 302
    assert User.objects.get(email="confirm.me@example.org").email_confirmed is True


def test_guardian_anonymous_user_works_with_email_login():
    anonymous = get_anonymous_user()
    assert anonymous.email == "anonymous@crowd.invalid"
    assert not anonymous.is_active


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch(
        "cms.views.connection.cursor", side_effect=OperationalError("down")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_home_page_is_russian(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "Перейти к содержанию" in html
    assert '<main id="main"' in html


def test_russian_stays_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="ru">' in response.content.decode()


def test_english_is_available_from_the_language_switch(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    response = client.get("/")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html


def _run_production(env_extra, *args):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_extra)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.production"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run_production({"ALLOWED_HOSTS": "crowd.example.org"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_deploy_check_prints_no_warnings():
    result = _run_production(
        {
            "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-value-9f8e7d",
            "ALLOWED_HOSTS": "crowd.example.org",
        },
        "check",
        "--deploy",
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_confirmation_email_names_the_platform_not_the_host(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "named@example.org",
            "password1": "Sl0zhnyi-parol-2026",
            "password2": "Sl0zhnyi-parol-2026",
        },
    )
    message = mail.outbox[0]
    assert message.subject == "[Город идей] Подтвердите адрес электронной почты"
    assert "«Город идей»" in message.body
    assert "testserver" not in message.body.split("http")[0]
