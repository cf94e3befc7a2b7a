"""The one place that answers "may this person do that to this object".

Views, the admin, the API and search all ask here. Global rights come from
the role groups (roles.py); per-object rights are django-guardian
permissions on a Project (moderator, department staff), on a Department
(department staff) or on a Proposal (invited expert).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from .roles import Role

if TYPE_CHECKING:
    from datetime import datetime

    from .models import Ballot, Comment, Project, Proposal


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


def can_see_unpublished(user, proposal: Proposal) -> bool:
    """Author and the project's moderators see hidden and rejected states."""
    if not user.is_authenticated:
        return False
    return proposal.author_id == user.pk or can_moderate(user, proposal.project)


def visible_proposals(user, queryset=None):
    """Proposals ``user`` may find in lists: the listed ones only.

    Lists never show unpublished proposals, not even to their author or a
    moderator: those have "my proposals" and the moderation queue.
    """
    from .models import Proposal

    queryset = Proposal.objects.all() if queryset is None else queryset
    return queryset.listed()


def is_stage_open(project: Project, kind: str, at: datetime | None = None) -> bool:
    return project.is_published and project.is_stage_open(kind, at)


def can_submit_proposal(user, project: Project, at: datetime | None = None) -> bool:
    """A confirmed resident, while the project's proposals stage is open."""
    from .models import StageKind

    return can_participate(user) and is_stage_open(project, StageKind.PROPOSALS, at)


def can_edit_proposal(user, proposal: Proposal) -> bool:
    """Only the author edits, and only a draft (moderators decide the rest)."""
    from .models import ProposalState

    return (
        can_participate(user)
        and proposal.author_id == user.pk
        and proposal.state == ProposalState.DRAFT
    )


def can_comment(user, proposal: Proposal, at: datetime | None = None) -> bool:
    """A confirmed resident on a listed proposal while discussion is open."""
    from .models import StageKind
    from .models.proposals import LISTED_STATES

    return (
        can_participate(user)
        and proposal.state in LISTED_STATES
        and is_stage_open(proposal.project, StageKind.DISCUSSION, at)
    )


def can_rate(user, proposal: Proposal, at: datetime | None = None) -> bool:
    """A confirmed resident, not the author, on a published proposal while
    discussion is open."""
    from .models import ProposalState, StageKind

    return (
        can_participate(user)
        and proposal.author_id != user.pk
        and proposal.state == ProposalState.PUBLISHED
        and is_stage_open(proposal.project, StageKind.DISCUSSION, at)
    )


def can_flag_proposal(user, proposal: Proposal) -> bool:
    return (
        can_participate(user)
        and proposal.author_id != user.pk
        and proposal.is_public
        and proposal.project.is_published
    )


def can_view_comment(user, comment: Comment) -> bool:
    """Visible comments of a viewable proposal are public; the rest are for
    the comment's author and the project's moderators."""
    from .models import CommentState

    if not can_view_proposal(user, comment.proposal):
        return False
    if comment.state == CommentState.VISIBLE:
        return True
    if not user.is_authenticated:
        return False
    return comment.author_id == user.pk or can_moderate(user, comment.proposal.project)


def can_flag_comment(user, comment: Comment) -> bool:
    from .models import CommentState

    return (
        can_participate(user)
        and comment.author_id != user.pk
        and comment.state == CommentState.VISIBLE
        and comment.proposal.is_public
        and comment.proposal.project.is_published
    )


def can_moderate_proposal(user, proposal: Proposal) -> bool:
    return can_moderate(user, proposal.project)


def can_review(user, proposal: Proposal) -> bool:
    """An invited expert may review a proposal assigned to them."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm("crowdsourcing.review_proposal", proposal)


# Expert selection
#
# Reviewing rights are the django-guardian permission ``review_proposal`` on
# one proposal, held through crowdsourcing.models.ProposalUserObjectPermission
# (a direct foreign key; guardian picks it up by itself). The services grant
# it with an assignment and revoke it with the assignment or a conflict, so
# the checks below ask guardian and nothing else about access.

REVIEW_PERMISSION = "crowdsourcing.review_proposal"


def reviewable_proposals(user) -> QuerySet[Proposal]:
    """Proposals ``user`` may open and review as an expert, right now.

    Search, exports and lists use this to show an expert only what is
    assigned to them. Superusers and operators are not given every proposal
    here: reviewing is personal, and only an assignment makes someone a
    reviewer.
    """
    from .models import Proposal

    if not user.is_authenticated or not user.is_active:
        return Proposal.objects.none()
    return get_objects_for_user(
        user,
        REVIEW_PERMISSION,
        klass=Proposal,
        accept_global_perms=False,
        with_superuser=False,
    )


def review_checker(user, proposals) -> object:
    """Return a guardian checker with ``review_proposal`` prefetched.

    List views call this once per page and then ask ``can_review_with``
    per row, so the page costs a fixed number of queries.
    """
    from guardian.core import ObjectPermissionChecker

    checker = ObjectPermissionChecker(user)
    if user.is_authenticated and user.is_active and proposals:
        checker.prefetch_perms(proposals)
    return checker


def can_review_with(checker, user, proposal: Proposal) -> bool:
    """``can_review`` answered from a prefetched checker (no query)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        # guardian's checker answers yes to superusers for everything; the
        # caller's queryset already narrowed rows to real assignments.
        return True
    return checker.has_perm(REVIEW_PERMISSION, proposal)


def may_be_reviewer(user, project: Project) -> bool:
    """Invited experts review any project; department staff only their own."""
    if not user.is_active or user.is_pseudonymous:
        return False
    if has_role(user, Role.EXPERT):
        return True
    return has_role(user, Role.DEPARTMENT_STAFF) and can_manage_project(user, project)


def is_project_team(user, project: Project) -> bool:
    """Moderators of the project and its department's staff (and operators)."""
    return can_moderate(user, project) or can_manage_project(user, project)


def can_assign_reviews(user, project: Project) -> bool:
    return is_project_team(user, project)


def can_view_review_aggregate(user, project: Project) -> bool:
    """The project team sees every review of the project and its ranking."""
    return is_project_team(user, project)


def can_decide_selection(user, project: Project) -> bool:
    return is_project_team(user, project)


def review_team_projects(user) -> QuerySet[Project]:
    """Projects whose expert selection ``user`` runs (team members only)."""
    from .models import Project

    if is_operator(user):
        return Project.objects.all()
    moderated = moderated_projects(user).values("pk")
    managed = managed_projects(user).values("pk")
    return Project.objects.filter(pk__in=moderated) | Project.objects.filter(
        pk__in=managed
    )


def can_use_review_area(user) -> bool:
    """The /expert/ pages are for reviewers and project teams, not residents."""
    return is_operator(user) or any(
        has_role(user, role)
        for role in (Role.EXPERT, Role.DEPARTMENT_STAFF, Role.MODERATOR)
    )


def eligible_reviewers(project: Project) -> QuerySet:
    """People who may be assigned the project's proposals.

    Every active invited expert, and the department staff who work on this
    project (through their department or the project itself).
    """
    from django.contrib.auth import get_user_model
    from guardian.shortcuts import get_users_with_perms

    User = get_user_model()
    staff = get_users_with_perms(
        project.department, only_with_perms_in=["work_for_department"]
    ).values("pk")
    staff_direct = get_users_with_perms(
        project, only_with_perms_in=["manage_project"]
    ).values("pk")
    experts = Q(groups__name=Role.EXPERT)
    department_staff = Q(groups__name=Role.DEPARTMENT_STAFF) & (
        Q(pk__in=staff) | Q(pk__in=staff_direct)
    )
    return (
        User.objects.filter(is_active=True, is_pseudonymous=False)
        .filter(experts | department_staff)
        .distinct()
        .order_by("display_name", "pk")
    )


def can_report_implementation(user, proposal: Proposal) -> bool:
    """Department staff of the project (and operators) report implementation."""
    return can_manage_project(user, proposal.project)


def implementation_projects(user) -> QuerySet[Project]:
    """Projects whose implementation ``user`` may report on."""
    return managed_projects(user)


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
