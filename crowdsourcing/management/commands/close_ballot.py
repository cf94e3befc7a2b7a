from django.core.management.base import BaseCommand, CommandError

from crowdsourcing.models import Ballot
from crowdsourcing.services import ServiceError
from crowdsourcing.services.voting import record_ballot_outcome


class Command(BaseCommand):
    help = (
        "Объявить итог закрытого голосования: предложения, которые выбрало "
        "правило подсчёта, становятся победителями, остальные — нет. "
        "Повторный запуск ничего не меняет."
    )

    def add_arguments(self, parser):
        parser.add_argument("ballot_id", type=int, help="Номер бюллетеня.")

    def handle(self, *args, ballot_id, **options):
        ballot = Ballot.objects.filter(pk=ballot_id).select_related("project").first()
        if ballot is None:
            raise CommandError("Бюллетень %s не найден." % ballot_id)
        try:
            outcome = record_ballot_outcome(None, ballot)
        except ServiceError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            "Победителей: %d, не победили: %d" % (outcome.winners, outcome.not_winners)
        )
