"""Write entries to Wagtail's audit log for participation records.

Action names are dotted (``crowd.proposal.publish``) and registered with
labels in wagtail_hooks.py so the admin's log reads well. Entries hold IDs
and reasons, never ballot contents.
"""

from __future__ import annotations

from typing import Any

from wagtail.log_actions import log


def record(instance, action: str, user=None, data: dict[str, Any] | None = None):
    """Add an audit entry for ``instance``; call inside the same transaction."""
    return log(instance=instance, action=action, user=user, data=data or {})
