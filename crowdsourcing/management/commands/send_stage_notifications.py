from datetime import timedelta

from django.core.management.base import BaseCommand

from crowdsourcing.services.followers import send_stage_notices


class Command(BaseCommand):
    help = (
        "E-mail the followers of each project whose stage has just started. "
        "Run it from a scheduler every few minutes; each follower hears of "
        "each stage once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=48,
            help="Look back this many hours for stages that started "
            "(default: %(default)s).",
        )

    def handle(self, *args, hours, **options):
        sent = send_stage_notices(window=timedelta(hours=hours))
        self.stdout.write("Отправлено уведомлений: %d" % sent)
