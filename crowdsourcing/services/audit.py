"""Write entries to Wagtail's audit log for participation records.

Action names are dotted (``crowd.proposal.publish``) and registered with
labels in wagtail_hooks.py so the admin's log reads well. Entries hold IDs
and reasons, never ballot contents.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from wagtail.log_actions import get_active_log_context, log, registry
from wagtail.models import ModelLogEntry


def record(instance, action: str, user=None, data: dict[str, Any] | None = None):
    """Add an audit entry for ``instance``; call inside the same transaction.

    Plain models (everything but pages) get their ``ModelLogEntry`` written
    with one INSERT. Wagtail's own path runs ``full_clean`` on the entry,
    which costs two extra queries (it checks that the content type and the
    user exist, both of which we hold in hand) on every vote and every
    moderation step. What that validation guards that matters, a registered
    action name, is checked here instead, and loudly.
    """
    log_model = registry.get_log_model_for_instance(instance)
    if log_model is not ModelLogEntry:
        return log(instance=instance, action=action, user=user, data=data or {})
    if instance.pk is None:
        raise ValueError(f"Cannot audit {instance!r} before it is saved.")
    # _meta.model, not type(): request.user arrives as a SimpleLazyObject.
    model = instance._meta.model
    entry = unsaved_entry(
        model,
        action,
        user=user,
        data=data,
        object_id=str(instance.pk),
        label=str(instance) or f"{model.__name__} ({instance.pk})",
    )
    # bulk_create is the documented way to insert without Model.save(); the
    # row is the same one Wagtail's log_action would store.
    ModelLogEntry.objects.bulk_create([entry])
    return entry


def unsaved_entry(
    model,
    action: str,
    *,
    user=None,
    data: dict[str, Any] | None = None,
    object_id: str = "",
    label: str = "",
) -> ModelLogEntry:
    """Build, without saving, the entry ``record`` would write for ``model``.

    For a writer that inserts the entry in the same statement as the row it
    describes (see services/voting.py), when the row's id is not known yet.
    """
    if not registry.action_exists(action):
        raise ImproperlyConfigured(
            f"Audit action {action!r} is not registered; add it to AUDIT_ACTIONS "
            "in crowdsourcing/wagtail_hooks.py."
        )
    context = get_active_log_context()
    return ModelLogEntry(
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
        label=label,
        action=action,
        timestamp=timezone.now(),
        data=data or {},
        user=user if user is not None else context.user,
        uuid=context.uuid,
        object_id=object_id,
    )
