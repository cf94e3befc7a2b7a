"""A resident's own account: follows, notification settings, data, deletion."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import Comment, Project, ProjectFollow, Proposal, Rating, User
from . import PermissionDenied
from .audit import record

logger = logging.getLogger(__name__)

NOTIFICATION_FIELDS = (
    "notify_moderation",
    "notify_replies",
    "notify_stages",
    "notify_results",
)


def follow_project(user: User, project: Project) -> ProjectFollow:
    """Follow ``project``; following twice keeps one row."""
    if not user.is_authenticated or user.is_pseudonymous:
        raise PermissionDenied("Войдите, чтобы следить за проектом.")
    follow, _created = ProjectFollow.objects.get_or_create(user=user, project=project)
    return follow


def is_following(user, project: Project) -> bool:
    if not user.is_authenticated:
        return False
    return ProjectFollow.objects.filter(user=user, project=project).exists()


def unfollow_project(user: User, project: Project) -> None:
    ProjectFollow.objects.filter(user=user, project=project).delete()


@transaction.atomic
def update_notification_settings(user: User, **choices: bool) -> None:
    unknown = set(choices) - set(NOTIFICATION_FIELDS)
    if unknown:
        raise ValueError("Unknown notification settings: %s" % sorted(unknown))
    for field, value in choices.items():
        setattr(user, field, bool(value))
    user.save(update_fields=list(choices))


def _when(value) -> str | None:
    return value.isoformat() if value else None


def export_user_data(user: User) -> dict[str, Any]:
    """Return everything the platform holds about ``user``, for a download.

    Other people's personal data stays out: comments are exported as the
    user's own text with the proposal they belong to, not the thread.
    """
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "district": str(user.district) if user.district_id else None,
            "district_confirmed": user.district_confirmed,
            "email_confirmed": user.email_confirmed,
            "date_joined": _when(user.date_joined),
            "notifications": {f: getattr(user, f) for f in NOTIFICATION_FIELDS},
        },
        "proposals": [
            {
                "id": p.pk,
                "project": p.project.title,
                "question": p.question.title,
                "title": p.title,
                "body": p.body,
                "state": p.state,
                "created_at": _when(p.created_at),
            }
            for p in Proposal.objects.filter(author=user).select_related(
                "project", "question"
            )
        ],
        "comments": [
            {
                "id": c.pk,
                "proposal_id": c.proposal_id,
                "body": c.body,
                "state": c.state,
                "created_at": _when(c.created_at),
            }
            for c in Comment.objects.filter(author=user)
        ],
        "ratings": [
            {"proposal_id": r.proposal_id, "value": r.value, "at": _when(r.created_at)}
            for r in Rating.objects.filter(user=user)
        ],
        "followed_projects": list(
            ProjectFollow.objects.filter(user=user).values_list(
                "project__slug", flat=True
            )
        ),
    }
    data["votes"] = _export_votes(user)
    return data


def _export_votes(user: User) -> list[dict[str, Any]]:
    """The user's own ballots; filled in by the voting module when present."""
    try:
        from .voting import export_votes_of
    except ImportError:
        return []
    return export_votes_of(user)


@transaction.atomic
def delete_account(user: User) -> None:
    """Delete a resident's account and personal data, keep their public record.

    Ballots already cast stay counted (the participation rows keep pointing
    at this row, which now holds no personal data) and proposals and comments
    stay, attributed to a pseudonym. Logging in is no longer possible.
    """
    from allauth.account.models import EmailAddress
    from guardian.models import UserObjectPermission

    if user.is_superuser:
        raise PermissionDenied("Учётную запись оператора удаляет другой оператор.")

    user_id = user.pk
    EmailAddress.objects.filter(user=user).delete()
    UserObjectPermission.objects.filter(user=user).delete()
    ProjectFollow.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()

    user.email = f"deleted-{user_id}@deleted.invalid"
    user.display_name = f"Удалённый участник №{user_id}"
    user.district = None
    user.district_confirmed = False
    user.is_active = False
    user.is_staff = False
    user.is_pseudonymous = True
    user.deleted_at = timezone.now()
    for field in NOTIFICATION_FIELDS:
        setattr(user, field, False)
    user.set_unusable_password()
    user.save()

    record(user, "crowd.account.delete", user=None, data={"user_id": user_id})
    logger.info("Account %s deleted at the resident's request", user_id)
