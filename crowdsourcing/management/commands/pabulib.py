"""Import and export Pabulib files (see crowdsourcing/services/pabulib.py)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crowdsourcing.models import Ballot
from crowdsourcing.services.pabulib import PabulibError, export_ballot, import_file


class Command(BaseCommand):
    help = "Импорт и экспорт голосований в формате Pabulib (.pb)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Импортировать файл .pb")
        imp.add_argument("file")
        imp.add_argument("--project", dest="project", help="адрес (slug) проекта")
        exp = sub.add_parser("export", help="Выгрузить бюллетень в файл .pb")
        exp.add_argument("ballot_id", type=int)
        exp.add_argument("file")

    def handle(self, *args, **options):
        if options["action"] == "import":
            self._import(options)
        else:
            self._export(options)

    def _progress(self, verbosity: int):
        def factory(**kwargs):
            return tqdm(file=sys.stderr, disable=verbosity < 1, leave=False, **kwargs)

        return factory

    def _import(self, options):
        try:
            result = import_file(
                options["file"],
                project_slug=options.get("project"),
                progress_factory=self._progress(options["verbosity"]),
            )
        except PabulibError as error:
            raise CommandError(f"{options['file']}: {error}") from error
        except OSError as error:
            raise CommandError(str(error)) from error
        if not result.created:
            self.stderr.write(
                f"Файл уже импортирован: бюллетень {result.ballot.pk}, "
                f"{result.voters} голосов; ничего не изменено."
            )
        elif options["verbosity"] >= 1:
            self.stderr.write(
                f"Создан бюллетень {result.ballot.pk} в проекте "
                f"«{result.ballot.project.slug}»: {result.voters} голосов."
            )
        self.stdout.write(str(result.ballot.pk))

    def _export(self, options):
        ballot = Ballot.objects.filter(pk=options["ballot_id"]).first()
        if ballot is None:
            raise CommandError(f"Бюллетень {options['ballot_id']} не найден.")
        with open(options["file"], "w", encoding="utf-8", newline="") as stream:
            count = export_ballot(ballot, stream)
        if options["verbosity"] >= 1:
            self.stderr.write(f"Записано {count} бюллетеней в {options['file']}.")
