"""React to Wagtail publishing a results page: tell the project's followers.

This is a signal receiver on purpose: a page goes live through Wagtail's own
actions (the admin, the workflow, ``publish_scheduled``), none of which call
our services, and ``page_published`` is the one point they all pass.
"""

import logging

from django.db import transaction
from wagtail.signals import page_published

logger = logging.getLogger(__name__)


def tell_followers_about_results(sender, instance, **kwargs):
    from crowdsourcing.services.followers import send_results_notice

    page = instance.specific
    if not page.project_id or not page.project.is_published:
        return
    url = page.get_url() or page.url_path
    project = page.project
    page_id = page.pk

    def send():
        sent = send_results_notice(project, page_id, url)
        logger.info("Results page %s published; %s followers told", page_id, sent)

    transaction.on_commit(send)


def connect():
    from .models import ResultsPage

    page_published.connect(
        tell_followers_about_results,
        sender=ResultsPage,
        dispatch_uid="cms.tell_followers_about_results",
    )
