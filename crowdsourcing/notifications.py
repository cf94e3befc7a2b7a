"""E-mail to people, sent after commit through django-tasks.

``notify(user, template_name, context)`` is the one entry point: any feature
passes a template name and a JSON-serialisable context (IDs, strings,
numbers). The e-mail is rendered in Russian from three templates under
``templates/crowdsourcing/email/``: ``<name>_subject.txt``, ``<name>.txt``
and ``<name>.html``. Resident text in the HTML part goes through the
``resident_text`` filter; the plain-text part is inert by nature.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = "crowdsourcing/email"


def notify(
    user, template_name: str, context: dict[str, Any], kind: str = "service"
) -> None:
    """Send ``template_name`` to ``user`` once the transaction commits.

    Nothing is sent if the transaction rolls back, nor when the person turned
    e-mails of ``kind`` (a NotificationKind value) off in their cabinet.
    ``context`` must be JSON-serialisable because a task worker may run the
    sending elsewhere.
    """
    if not user.email or not user.wants_notification(kind):
        return
    user_id = user.pk

    def enqueue():
        send_notification.enqueue(user_id, template_name, context)

    transaction.on_commit(enqueue)


def render_notification(user, template_name: str, context: dict[str, Any]):
    """Return (subject, text, html) for ``template_name`` in Russian."""
    full_context = {
        "user": user,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "base_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
        **context,
    }
    with translation.override(settings.LANGUAGE_CODE):
        base = f"{EMAIL_TEMPLATE_DIR}/{template_name}"
        subject = render_to_string(f"{base}_subject.txt", full_context)
        text = render_to_string(f"{base}.txt", full_context)
        html = render_to_string(f"{base}.html", full_context)
    # A header may not contain line breaks.
    subject = " ".join(subject.split())
    return subject, text, html


@task()
def send_notification(user_id: int, template_name: str, context: dict) -> None:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        logger.info("Notification %s skipped: user %s inactive", template_name, user_id)
        return
    subject, text, html = render_notification(user, template_name, context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[user.email], from_email=None
    )
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("Notification %s sent to user %s", template_name, user_id)
