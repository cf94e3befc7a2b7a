"""Demo accounts for every role (README's first command prints them)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from .models import Department, Project, User
from .roles import Role

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-crowd-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: str | None
    superuser: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("operator@demo.crowd", "Оператор Ольга", Role.OPERATOR, superuser=True),
    DemoAccount("moderator@demo.crowd", "Модератор Михаил", Role.MODERATOR),
    DemoAccount("editor@demo.crowd", "Редактор Елена", Role.EDITOR),
    DemoAccount("staff@demo.crowd", "Сотрудник Сергей", Role.DEPARTMENT_STAFF),
    DemoAccount("expert@demo.crowd", "Эксперт Эмма", Role.EXPERT),
    DemoAccount("expert2@demo.crowd", "Эксперт Эдуард", Role.EXPERT),
    DemoAccount("expert3@demo.crowd", "Эксперт Эльвира", Role.EXPERT),
    DemoAccount("resident@demo.crowd", "Жительница Анна", None),
    DemoAccount("resident2@demo.crowd", "Житель Борис", None),
]


@transaction.atomic
def ensure_demo_accounts(password: str = DEMO_PASSWORD) -> list[User]:
    """Create or refresh the demo accounts; safe to run again."""
    from allauth.account.models import EmailAddress

    users = []
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=account.email,
            defaults={"display_name": account.display_name},
        )
        user.display_name = account.display_name
        user.email_confirmed = True
        user.is_superuser = account.superuser
        user.is_staff = account.role is not None
        user.set_password(password)
        user.save()
        if account.role:
            user.groups.add(Group.objects.get(name=account.role))
        EmailAddress.objects.update_or_create(
            user=user,
            email=account.email,
            defaults={"verified": True, "primary": True},
        )
        users.append(user)
        if created:
            logger.info("Created demo account %s", user.pk)
    return users


def grant_demo_project_roles(project: Project) -> None:
    """Make the demo moderator and staff member responsible for ``project``."""
    moderator = User.objects.get(email="moderator@demo.crowd")
    staff = User.objects.get(email="staff@demo.crowd")
    assign_perm("crowdsourcing.moderate_project", moderator, project)
    assign_perm("crowdsourcing.work_for_department", staff, project.department)


def grant_demo_department(department: Department) -> None:
    staff = User.objects.get(email="staff@demo.crowd")
    assign_perm("crowdsourcing.work_for_department", staff, department)
