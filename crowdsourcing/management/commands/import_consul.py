from pathlib import Path

from django.core.management.base import BaseCommand

from crowdsourcing.importers import ImportFileError, Progress, import_consul
from crowdsourcing.importers.consul import ORPHAN_CHOICES

from ._importing import add_common_arguments, refuse, report


class Command(BaseCommand):
    help = (
        "Импортирует предложения CONSUL (например, decide.madrid.es) и, если "
        "даны, комментарии с их деревом. Столбцы узнаются по известным именам "
        "выгрузок CONSUL; разделитель (, ; табуляция) и BOM определяются сами. "
        "HTML в описаниях сводится к тексту. Счётчики поддержек из файла "
        "сохраняются как сведения источника (без людей это не оценки), "
        "число комментариев считается по строкам. Зонды и атаки "
        "отклоняются, похожие на тест записи ждут модератора, точные повторы "
        "отклоняются со ссылкой на оставленное предложение. Ответы глубже 4 "
        "уровней прикрепляются к предку на 3-м уровне. Атомарно и повторяемо."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "proposals_file",
            metavar="PROPOSALS_FILE",
            type=Path,
            help="CSV с предложениями.",
        )
        parser.add_argument(
            "--comments", type=Path, metavar="FILE", help="CSV с комментариями."
        )
        parser.add_argument(
            "--hierarchy",
            type=Path,
            metavar="FILE",
            help="CSV с деревом комментариев (proposalId, commentId, parentId); "
            "сверяется с файлом комментариев.",
        )
        parser.add_argument(
            "--timezone",
            default="Europe/Moscow",
            help="Часовой пояс дат без пояса в файлах (для Мадрида — "
            "Europe/Madrid). По умолчанию: %(default)s.",
        )
        parser.add_argument(
            "--orphan-replies",
            choices=ORPHAN_CHOICES,
            default="top-level",
            help="Что делать с ответом на комментарий, которого нет в выгрузке: "
            "начать с него ветку (top-level, по умолчанию; исходный родитель "
            "сохраняется) или отказаться от импорта (refuse).",
        )
        add_common_arguments(parser, "CONSUL")

    def handle(self, *args, **options):
        try:
            summary = import_consul(
                options["proposals_file"],
                comments_file=options["comments"],
                hierarchy_file=options["hierarchy"],
                project_slug=options["project"],
                title=options["title"],
                attribution=options["attribution"],
                language=options["language"],
                source_label=options["source_label"],
                source_timezone=options["timezone"],
                orphan_replies=options["orphan_replies"],
                encoding=options["encoding"],
                progress=Progress(enabled=not options["no_progress"]),
            )
        except ImportFileError as error:
            raise refuse(error) from None
        report(self, summary)
