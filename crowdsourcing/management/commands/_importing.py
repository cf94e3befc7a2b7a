"""What import_polis and import_consul share: options, errors, the summary."""

from __future__ import annotations

from django.core.management.base import CommandError

from crowdsourcing.importers import ImportFileError, Summary


def add_common_arguments(parser, source_label: str) -> None:
    parser.add_argument(
        "--project",
        metavar="SLUG",
        help="Адрес (slug) проекта. Если проекта нет, он создаётся с этапами "
        "подачи и обсуждения по датам данных; существующий проект сохраняет "
        "свой календарь.",
    )
    parser.add_argument("--title", help="Название нового проекта.")
    parser.add_argument(
        "--attribution",
        default="",
        help="Текст об источнике и лицензии данных; показывается на странице "
        "проекта (обязателен по условиям лицензии многих наборов).",
    )
    parser.add_argument(
        "--language",
        help="Код языка содержимого (en, es, ru...). По умолчанию определяется "
        "по текстам.",
    )
    parser.add_argument(
        "--source-label",
        default=source_label,
        help="Как называть источник в псевдонимах участников "
        "(«Участник %(default)s 12»). По умолчанию: %(default)s.",
    )
    parser.add_argument(
        "--encoding",
        default="utf-8-sig",
        help="Кодировка файлов (по умолчанию UTF-8 с BOM или без).",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="Не показывать полосу прогресса (она пишется в stderr).",
    )


def report(command, summary: Summary) -> None:
    for line in summary.lines():
        command.stdout.write(line)
    if summary.created_total:
        command.stdout.write(command.style.SUCCESS("Готово."))
    else:
        command.stdout.write(
            command.style.SUCCESS("Готово: всё уже было импортировано.")
        )


def refuse(error: ImportFileError) -> CommandError:
    return CommandError("%s\nНичего не записано." % error)
