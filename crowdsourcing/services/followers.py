"""E-mails to the followers of a project: a new stage, published results.

Each (follower, event) pair is sent once: FollowerNotice rows are unique per
event, so running the command again, or publishing the same results page
twice, sends nothing new.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import FollowerNotice, NotificationKind, Project, ProjectStage
from ..notifications import notify

logger = logging.getLogger(__name__)


def notify_followers(
    project: Project,
    event: str,
    template_name: str,
    context: dict,
    kind: str,
) -> int:
    """Tell every follower of ``project`` about ``event`` once; return count."""
    already = set(
        FollowerNotice.objects.filter(event=event).values_list("user_id", flat=True)
    )
    sent = 0
    for follow in project.followers.select_related("user"):
        user = follow.user
        if user.pk in already or not user.wants_notification(kind):
            continue
        try:
            with transaction.atomic():
                FollowerNotice.objects.create(user=user, project=project, event=event)
                notify(user, template_name, context, kind=kind)
        except IntegrityError:
            # Another run sent this one in the meantime.
            continue
        sent += 1
    if sent:
        logger.info(
            "Event %s: told %s followers of project %s", event, sent, project.pk
        )
    return sent


def send_stage_notices(
    now: datetime | None = None, window: timedelta = timedelta(days=2)
) -> int:
    """Tell followers about stages that started within ``window`` before now.

    A scheduler runs this (``send_stage_notifications``) every few minutes;
    the window only bounds how far back a late first run looks.
    """
    now = now or timezone.now()
    stages = ProjectStage.objects.filter(
        starts_at__lte=now, starts_at__gt=now - window, project__is_published=True
    ).select_related("project")
    total = 0
    for stage in stages:
        project = stage.project
        total += notify_followers(
            project,
            f"stage:{stage.pk}",
            "project_stage",
            {
                "project_title": project.title,
                "project_url": project.get_absolute_url(),
                "stage_label": str(stage.get_kind_display()),
                "stage_kind": stage.kind,
                "ends_at": timezone.localtime(stage.ends_at).strftime("%d.%m.%Y %H:%M"),
            },
            NotificationKind.STAGES,
        )
    return total


def send_results_notice(project: Project, page_id: int, page_url: str) -> int:
    """Tell followers that the results page of ``project`` is published."""
    return notify_followers(
        project,
        f"results:{page_id}",
        "project_results",
        {
            "project_title": project.title,
            "results_url": page_url,
        },
        NotificationKind.RESULTS,
    )
