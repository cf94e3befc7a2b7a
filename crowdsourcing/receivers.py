"""Drop cached ballot snapshots when what they were built from changes.

These receivers only keep a cache honest; no business rule lives here. They
are signals on purpose: ballots, options, projects and calendars are edited
through the Wagtail admin's generic create/edit views as well as through our
services, and ``post_save``/``post_delete`` is the one point all of them pass.
Queryset ``update()`` and ``bulk_create`` send no signal; code that changes
these rows that way must call ``forget_ballot_snapshots`` itself.
"""

from django.db.models.signals import post_delete, post_save


def _ballot_changed(sender, instance, **kwargs):
    from .services.voting import forget_ballot_snapshots

    forget_ballot_snapshots(ballot_ids=[instance.pk])


def _option_changed(sender, instance, **kwargs):
    from .services.voting import forget_ballot_snapshots

    forget_ballot_snapshots(ballot_ids=[instance.ballot_id])


def _project_changed(sender, instance, **kwargs):
    from .services.voting import forget_ballot_snapshots

    forget_ballot_snapshots(project_id=instance.pk)


def _stage_changed(sender, instance, **kwargs):
    from .services.voting import forget_ballot_snapshots

    forget_ballot_snapshots(project_id=instance.project_id)


def connect():
    from .models import Ballot, BallotOption, Project, ProjectStage

    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(
            _ballot_changed, sender=Ballot, dispatch_uid=f"crowd.ballot.{name}"
        )
        signal.connect(
            _option_changed, sender=BallotOption, dispatch_uid=f"crowd.option.{name}"
        )
        signal.connect(
            _project_changed, sender=Project, dispatch_uid=f"crowd.project.{name}"
        )
        signal.connect(
            _stage_changed, sender=ProjectStage, dispatch_uid=f"crowd.stage.{name}"
        )
