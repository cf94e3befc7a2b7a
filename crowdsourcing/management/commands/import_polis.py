from pathlib import Path

from django.core.management.base import BaseCommand

from crowdsourcing.importers import ImportFileError, Progress, import_polis

from ._importing import add_common_arguments, refuse, report


class Command(BaseCommand):
    help = (
        "Импортирует выгрузку беседы Polis (каталог с comments.csv, "
        "participants-votes.csv и, если есть, summary.csv) как проект на этапе "
        "обсуждения. Высказывания становятся предложениями (moderated 1 — "
        "опубликовано, -1 — отклонено, 0 — на модерации), участники — "
        "жителями под псевдонимами без входа, голоса «согласен»/«не согласен» "
        "— оценками +1/-1 («пропустить» — не оценка). Атомарно: при ошибке в "
        "данных называет файл и строку и ничего не пишет. Повторный запуск "
        "ничего не меняет."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", metavar="DIR", type=Path, help="Каталог выгрузки Polis."
        )
        add_common_arguments(parser, "Polis")

    def handle(self, *args, **options):
        try:
            summary = import_polis(
                options["directory"],
                project_slug=options["project"],
                title=options["title"],
                attribution=options["attribution"],
                language=options["language"],
                source_label=options["source_label"],
                encoding=options["encoding"],
                progress=Progress(enabled=not options["no_progress"]),
            )
        except ImportFileError as error:
            raise refuse(error) from None
        report(self, summary)
