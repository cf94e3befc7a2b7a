"""Print the tally of one ballot."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from crowdsourcing.models import Ballot
from crowdsourcing.tally import tally_ballot


class Command(BaseCommand):
    help = "Подсчитать голоса бюллетеня."

    def add_arguments(self, parser):
        parser.add_argument("ballot_id", type=int)
        parser.add_argument("--json", action="store_true", help="вывод в JSON")

    def handle(self, *args, **options):
        ballot = Ballot.objects.filter(pk=options["ballot_id"]).first()
        if ballot is None:
            raise CommandError(f"Бюллетень {options['ballot_id']} не найден.")
        result = tally_ballot(ballot)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{ballot.title}: {result.voters} участников, "
            f"правило {ballot.get_rule_display()}"
        )
        for option in result.ranking():
            mark = "*" if option.selected else " "
            self.stdout.write(
                f"{mark} {option.external_id or option.option_id:>10} "
                f"{option.votes:>8} {option.score:>8} {option.cost:>12} "
                f"{option.title[:60]}"
            )
