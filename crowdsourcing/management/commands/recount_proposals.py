"""Recount every proposal's ordering tallies from rows.

Run after a bulk import or anything else that writes ratings or comments
without the services; the services keep the tallies right on their own.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from crowdsourcing.models import Proposal
from crowdsourcing.models.proposals import recount_tallies


class Command(BaseCommand):
    help = "Recount the support and comment tallies of proposals from rows."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, batch, **options):
        ids = list(Proposal.objects.order_by("pk").values_list("pk", flat=True))
        done = 0
        for start in range(0, len(ids), batch):
            with transaction.atomic():
                done += recount_tallies(ids[start : start + batch])
            if options["verbosity"] > 1:
                self.stdout.write(f"{done} / {len(ids)}")
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(f"Recounted {done} proposals."))
