from django.core.management.base import BaseCommand, CommandError

from crowdsourcing.services.reviews import send_due_reminders


class Command(BaseCommand):
    help = (
        "E-mail experts and department staff whose open review assignments "
        "fall due within --days days (overdue ones included). Each assignment "
        "is reminded once, so a scheduler may run this as often as it likes, "
        "for example daily from cron: "
        "'python manage.py send_review_reminders --days 2'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=2,
            help="Remind about assignments due within this many days "
            "(Moscow calendar days; default: %(default)s).",
        )

    def handle(self, *args, days, **options):
        if days < 0:
            raise CommandError("--days must be zero or more.")
        sent = send_due_reminders(days=days)
        if options["verbosity"] >= 1:
            self.stdout.write(f"Reminders sent to {sent} reviewer(s).")
