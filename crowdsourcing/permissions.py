"""The one place that answers "may this person do that to this object".

Views, the admin, the API and search all ask here. Global rights come from
the role groups (roles.py); per-object rights are django-guardian
permissions on a Project (moderator, department staff), on a Department
(department staff) or on a Proposal (invited expert).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from .roles import Role

if TYPE_CHECKING:
    from .models import Ballot, Project, Proposal


def has_role(user, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    # The group names are cached on the user object for the request.
    cached = getattr(user, "_crowd_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._crowd_role_names = cached
    return role in cached


def is_operator(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or has_role(user, Role.OPERATOR))
    )


def is_resident(user) -> bool:
    """Return True for a signed-in person who may take part as a resident."""
    return bool(user.is_authenticated and user.is_active and not user.is_pseudonymous)


def can_participate(user) -> bool:
    """Taking part (propose, comment, rate, vote) needs a confirmed e-mail."""
    return is_resident(user) and user.email_confirmed


def can_access_admin(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.has_perm("wagtailadmin.access_admin")
    )


def moderated_projects(user) -> QuerySet[Project]:
    """Projects whose proposals and comments ``user`` may moderate."""
    from .models import Project

    if is_operator(user):
        return Project.objects.all()
    if not has_role(user, Role.MODERATOR):
        return Project.objects.none()
    return get_objects_for_user(
        user,
        "crowdsourcing.moderate_project",
        klass=Project,
        accept_global_perms=False,
    )


def can_moderate(user, project: Project) -> bool:
    if is_operator(user):
        return True
    return has_role(user, Role.MODERATOR) and user.has_perm(
        "crowdsourcing.moderate_project", project
    )


def managed_projects(user) -> QuerySet[Project]:
    """Projects ``user`` works on as department staff.

    A staff member holds ``work_for_department`` on their department (all its
    projects) or ``manage_project`` on single projects.
    """
    from .models import Department, Project

    if is_operator(user):
        return Project.objects.all()
    if not has_role(user, Role.DEPARTMENT_STAFF):
        return Project.objects.none()
    departments = get_objects_for_user(
        user,
        "crowdsourcing.work_for_department",
        klass=Department,
        accept_global_perms=False,
    )
    direct = get_objects_for_user(
        user,
        "crowdsourcing.manage_project",
        klass=Project,
        accept_global_perms=False,
    )
    return Project.objects.filter(department__in=departments) | Project.objects.filter(
        pk__in=direct.values("pk")
    )


def can_manage_project(user, project: Project) -> bool:
    if is_operator(user):
        return True
    if not has_role(user, Role.DEPARTMENT_STAFF):
        return False
    return user.has_perm("crowdsourcing.manage_project", project) or user.has_perm(
        "crowdsourcing.work_for_department", project.department
    )


def can_view_proposal(user, proposal: Proposal) -> bool:
    """Public proposals are for everyone; the rest for author and staff."""
    if proposal.is_public and proposal.project.is_published:
        return True
    if not user.is_authenticated:
        return False
    if proposal.author_id == user.pk:
        return True
    return can_moderate(user, proposal.project) or can_manage_project(
        user, proposal.project
    )


def can_review(user, proposal: Proposal) -> bool:
    """An invited expert may review a proposal assigned to them."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm("crowdsourcing.review_proposal", proposal)


def meets_ballot_district(user, ballot: Ballot) -> bool:
    """A ballot may demand a confirmed district, or one district (okrug).

    An okrug ballot admits residents of its districts too.
    """
    if not ballot.requires_confirmed_district and ballot.district_id is None:
        return True
    if not user.is_authenticated or not user.district_confirmed:
        return False
    if ballot.district_id is None:
        return user.district_id is not None
    if user.district_id is None:
        return False
    return ballot.district_id in (user.district_id, user.district.parent_id)


def can_vote(user, ballot: Ballot) -> bool:
    """Whether ``user`` may be offered the ballot (window checked apart)."""
    return can_participate(user) and meets_ballot_district(user, ballot)


def can_view_ballot(user, ballot: Ballot) -> bool:
    return ballot.project.is_published or is_operator(user)


def can_view_ballot_results(user, ballot: Ballot) -> bool:
    """Results show after the voting window ends, to everyone, not before.

    Nobody, staff included, sees running totals: early counts could sway
    the vote. The results never name voters (tally.py reads aggregates).
    """
    return can_view_ballot(user, ballot) and ballot.is_closed()


def can_manage_ballot(user, ballot: Ballot) -> bool:
    """The project's department staff (and operators) set up its ballots."""
    return can_manage_project(user, ballot.project)
