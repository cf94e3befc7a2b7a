"""What every importer shares: reading CSV, errors, progress, summary.

An import runs in two passes. The first reads and checks every file in
memory and raises ImportFileError, naming the file and line, at the first
thing it cannot make sense of; nothing has been written then. The second
writes everything inside one transaction with bulk inserts, so a failure
there also leaves the database as it was.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from tqdm import tqdm

if TYPE_CHECKING:
    from crowdsourcing.models import Project

logger = logging.getLogger(__name__)

# Addresses under .invalid can never receive mail (RFC 2606), so an
# imported participant can never be reached or log in by mistake.
IMPORTED_EMAIL_DOMAIN = "imported.invalid"
BATCH_SIZE = 2000
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")


class ImportFileError(Exception):
    """Input that cannot be imported, with the file and line that say so."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self):
        if self.line is None:
            return "%s: %s" % (self.path.name, self.message)
        return _("%(file)s, строка %(line)s: %(message)s") % {
            "file": self.path.name,
            "line": self.line,
            "message": self.message,
        }


@dataclass(frozen=True)
class Record:
    """One CSV record: the line it starts on and its values by column."""

    path: Path
    line: int
    values: dict[str, str]
    cells: list[str]

    def get(self, column: str | None, default: str = "") -> str:
        if column is None:
            return default
        return self.values.get(column, default)

    def error(self, message: str) -> ImportFileError:
        return ImportFileError(self.path, self.line, message)


class CsvTable:
    """A CSV file read whole, with its delimiter and header worked out.

    Exports come comma-, semicolon- or tab-separated, with or without a
    byte-order mark, with CRLF line ends and quoted fields that span lines.
    The delimiter is the one whose header holds the required columns, which
    is sturdier than guessing from the body: an HTML description is full of
    semicolons and commas.
    """

    def __init__(
        self,
        path: Path | str,
        required: dict[str, Sequence[str]],
        optional: dict[str, Sequence[str]] | None = None,
        encoding: str = "utf-8-sig",
    ):
        self.path = Path(path)
        if not self.path.is_file():
            raise ImportFileError(self.path, None, _("файл не найден"))
        text = self._decode(self.path.read_bytes(), encoding)
        self.delimiter = self._choose_delimiter(text, required)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        try:
            self.header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ImportFileError(self.path, 1, _("файл пуст")) from None
        self.columns = self._resolve(required, optional or {})
        self.records = self._read(reader)

    def _decode(self, data: bytes, encoding: str) -> str:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportFileError(
                self.path,
                line,
                _(
                    "байт 0x%(byte)02x не читается в кодировке %(encoding)s; "
                    "укажите кодировку файла параметром --encoding"
                )
                % {"byte": data[exc.start], "encoding": encoding},
            ) from None

    def _choose_delimiter(self, text: str, required: dict[str, Sequence[str]]) -> str:
        first_line = text.split("\n", 1)[0]
        best, best_hits = ",", -1
        for delimiter in CANDIDATE_DELIMITERS:
            header = next(csv.reader([first_line], delimiter=delimiter), [])
            names = {name.strip().lower() for name in header}
            hits = sum(
                any(alias.lower() in names for alias in aliases)
                for aliases in required.values()
            )
            if hits > best_hits:
                best, best_hits = delimiter, hits
        return best

    def _resolve(
        self,
        required: dict[str, Sequence[str]],
        optional: dict[str, Sequence[str]],
    ) -> dict[str, str | None]:
        by_lower = {name.lower(): name for name in self.header if name}
        columns: dict[str, str | None] = {}
        for key, aliases in [*required.items(), *optional.items()]:
            found = next(
                (by_lower[a.lower()] for a in aliases if a.lower() in by_lower), None
            )
            if found is None and key in required:
                raise ImportFileError(
                    self.path,
                    1,
                    _("нет столбца «%(column)s» (столбцы файла: %(header)s)")
                    % {"column": " / ".join(aliases), "header": ", ".join(self.header)},
                )
            columns[key] = found
        return columns

    def _read(self, reader) -> list[Record]:
        records = []
        width = len(self.header)
        start = reader.line_num + 1
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    start = reader.line_num + 1
                    continue
                if len(row) != width:
                    raise ImportFileError(
                        self.path,
                        start,
                        _(
                            "%(found)s полей вместо %(expected)s "
                            "(разделитель «%(delimiter)s»)"
                        )
                        % {
                            "found": len(row),
                            "expected": width,
                            "delimiter": self.delimiter,
                        },
                    )
                records.append(
                    Record(
                        self.path,
                        start,
                        dict(zip(self.header, row, strict=True)),
                        row,
                    )
                )
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFileError(self.path, start, str(exc)) from None
        return records

    def column(self, key: str) -> str | None:
        """Return the file's name for the logical column ``key``."""
        return self.columns.get(key)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def parse_int(
    record: Record, column: str | None, *, allow_empty: bool = False
) -> int | None:
    """Read a whole number, refusing anything else with file and line."""
    raw = record.get(column).strip()
    if raw == "" and allow_empty:
        return None
    # pandas writes integer columns with NaN as floats ("12.0").
    if re.fullmatch(r"-?\d+(\.0+)?", raw):
        return int(raw.split(".")[0])
    raise record.error(
        _("в столбце «%(column)s» ожидалось целое число, а не «%(value)s»")
        % {"column": column, "value": raw[:40]}
    )


def parse_count(record: Record, column: str | None) -> int | None:
    """Read a stored counter: empty means unknown, negative is refused."""
    if column is None:
        return None
    value = parse_int(record, column, allow_empty=True)
    if value is not None and value < 0:
        raise record.error(
            _("в столбце «%(column)s» отрицательное число %(value)s")
            % {"column": column, "value": value}
        )
    return value


_DAY_FIRST = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_PANDAS_TIMEDELTA = re.compile(r"^(\d+) days? (\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


class DateReader:
    """Turn the date shapes that exports use into aware UTC datetimes.

    Naive values are read in the source's time zone. ``dd/mm/yyyy`` and
    ``mm/dd/yyyy`` are told apart per file: the first value with a part
    above 12 decides, and day-first is assumed until one does (CONSUL's
    own exports write day first).
    """

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self.day_first: bool | None = None

    def learn(self, values: Iterable[str]) -> None:
        for value in values:
            match = _DAY_FIRST.match(value.strip())
            if not match:
                continue
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12:
                self.day_first = True
                return
            if second > 12:
                self.day_first = False
                return

    def parse(
        self, record: Record, column: str | None, extra_time: str = ""
    ) -> datetime:
        raw = record.get(column).strip()
        value = self._parse(raw)
        if value is None:
            raise record.error(
                _("в столбце «%(column)s» не дата: «%(value)s»")
                % {"column": column, "value": raw[:40]}
            )
        if extra_time:
            offset = _PANDAS_TIMEDELTA.match(extra_time.strip())
            if offset is None:
                raise record.error(
                    _("не время суток: «%(value)s»") % {"value": extra_time[:40]}
                )
            days, hours, minutes, seconds = (int(g) for g in offset.groups())
            value += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if timezone.is_naive(value):
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(ZoneInfo("UTC"))

    def _parse(self, raw: str) -> datetime | None:
        if not raw:
            return None
        match = _DAY_FIRST.match(raw)
        if match:
            a, b, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            day, month = (a, b) if self.day_first is not False else (b, a)
            hour, minute, second = (int(g or 0) for g in match.groups()[3:])
            try:
                return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
            except ValueError:
                return None
        try:
            return datetime.fromisoformat(raw.replace(" UTC", "+00:00"))
        except ValueError:
            return None


def epoch_millis(record: Record, column: str | None) -> datetime:
    value = parse_int(record, column)
    try:
        return datetime.fromtimestamp(value / 1000, tz=ZoneInfo("UTC"))
    except (OverflowError, OSError, ValueError):
        raise record.error(
            _("«%(value)s» не похоже на время в миллисекундах") % {"value": value}
        ) from None


@dataclass
class Summary:
    """Counts of what an import created and skipped, and what it noticed."""

    title: str
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def note(self, message: str) -> None:
        self.notes.append(message)

    def finish(self) -> None:
        self.seconds = time.monotonic() - self.started

    @property
    def rows_per_second(self) -> float:
        return self.rows_written / self.seconds if self.seconds else 0.0

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    def lines(self) -> list[str]:
        out = [self.title]
        for label, counter in (
            (_("создано"), self.created),
            (_("уже было (не изменено)"), self.existing),
            (_("не импортировано"), self.skipped),
        ):
            if any(counter.values()):
                out.append("  %s:" % label)
                out.extend(
                    "    %-48s %8d" % (key, n) for key, n in counter.items() if n
                )
        if self.notes:
            out.append("  %s:" % _("замечания"))
            out.extend("    - %s" % note for note in self.notes)
        out.append(
            "  "
            + _(
                "прочитано строк: %(read)d, записано строк: %(written)d за "
                "%(seconds).1f с (%(rate).0f строк/с)"
            )
            % {
                "read": self.rows_read,
                "written": self.rows_written,
                "seconds": self.seconds,
                "rate": self.rows_per_second,
            }
        )
        return out


class Progress:
    """A tqdm bar per phase on stderr, or nothing when switched off."""

    def __init__(self, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr

    def bar(self, total: int, desc: str) -> tqdm:
        return tqdm(
            total=total,
            desc=desc,
            unit=_("строк"),
            file=self.stream,
            disable=not self.enabled,
            mininterval=0.5,
            leave=True,
        )


def bulk_insert(
    model: type[models.Model],
    objects: list[models.Model],
    summary: Summary,
    progress: Progress,
    desc: str,
) -> list[models.Model]:
    """Insert ``objects`` in batches; their primary keys come back."""
    if not objects:
        return objects
    with progress.bar(len(objects), desc) as bar:
        for start in range(0, len(objects), BATCH_SIZE):
            batch = objects[start : start + BATCH_SIZE]
            model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            bar.update(len(batch))
    summary.rows_written += len(objects)
    return objects


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: list[tuple],
    summary: Summary,
    progress: Progress,
    desc: str,
) -> None:
    """Insert plain value tuples with executemany, skipping model instances.

    For the large link tables (ratings) whose primary keys nobody needs
    back: building a model instance per row costs more than the insert
    itself. Values must already be in database form (see db_datetime); the
    database still checks every constraint.
    """
    if not rows:
        return
    ops = connection.ops
    columns = [model._meta.get_field(name).column for name in fields]
    sql = "INSERT INTO %s (%s) VALUES (%s)" % (
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(column) for column in columns)
    with progress.bar(len(rows), desc) as bar, connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE * 5):
            batch = rows[start : start + BATCH_SIZE * 5]
            if connection.vendor == "postgresql":
                # COPY is PostgreSQL's bulk path: one stream instead of a
                # statement per row (Bowling Green: 29 s became 8 s).
                with cursor.cursor.copy(
                    "COPY %s (%s) FROM STDIN" % (table, names)
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, batch)
            bar.update(len(batch))
    summary.rows_written += len(rows)


def db_datetime(value: datetime):
    """Return ``value`` as the database adapter wants it for executemany."""
    return connection.ops.adapt_datetimefield_value(value)


def imported_email(namespace: str, external_id: str) -> str:
    local = slugify("%s-%s" % (namespace, external_id))[:60] or "participant"
    return "%s@%s" % (local, IMPORTED_EMAIL_DOMAIN)


def ensure_pseudonymous_users(
    namespace: str,
    people: dict[str, str],
    joined: dict[str, datetime],
    summary: Summary,
    progress: Progress,
) -> dict[str, int]:
    """Return user ids for source people ``{external id: display name}``.

    Each becomes a pseudonymous account under the reserved .invalid domain
    with no usable password: their contribution is kept, nobody can log in
    as them. Existing accounts (an earlier run) are reused, not touched.
    """
    from crowdsourcing.models import User

    emails = {ext: imported_email(namespace, ext) for ext in people}
    found: dict[str, int] = {}
    wanted = list(emails.values())
    # In chunks: SQLite refuses statements with more than 32,766 parameters,
    # and a large conversation has more participants than that.
    for start in range(0, len(wanted), 5000):
        found.update(
            User.objects.filter(email__in=wanted[start : start + 5000]).values_list(
                "email", "pk"
            )
        )
    new = []
    for ext, email in emails.items():
        if email in found:
            continue
        new.append(
            User(
                email=email,
                display_name=people[ext][:80],
                password=make_password(None),
                is_pseudonymous=True,
                is_active=True,
                email_confirmed=False,
                date_joined=joined.get(ext) or timezone.now(),
            )
        )
    summary.existing[_("участники (псевдонимы)")] += len(people) - len(new)
    summary.created[_("участники (псевдонимы)")] += len(new)
    bulk_insert(User, new, summary, progress, _("участники"))
    found.update({user.email: user.pk for user in new})
    return {ext: found[email] for ext, email in emails.items()}


# Moderation reasons the importers record their decisions with. They join
# the moderators' catalogue by code, so a catalogue that already has one of
# these codes is reused as it is.
IMPORT_REASONS = {
    "rejected-at-source": (
        "Отклонено модераторами исходной платформы",
        "Предложение было отклонено модераторами платформы, откуда импортированы "
        "данные, и не публикуется.",
    ),
    "probe": (
        "Тестовая или зондирующая запись",
        "Запись похожа на проверку уязвимостей или тест, а не на предложение жителя.",
    ),
    "duplicate": (
        "Повтор уже поданного предложения",
        "Такое же предложение с тем же текстом уже есть; поддерживайте его.",
    ),
    "withdrawn": (
        "Автор отозвал предложение",
        "Автор отозвал предложение на исходной платформе.",
    ),
    "empty": (
        "Пустой текст",
        "В записи нет текста.",
    ),
}


def ensure_reasons(codes: Iterable[str]) -> dict[str, int]:
    """Return ModerationReason ids by code, creating the missing ones."""
    from crowdsourcing.models import ModerationReason

    ids = {}
    for code in codes:
        title, explanation = IMPORT_REASONS[code]
        reason, _created = ModerationReason.objects.get_or_create(
            code=code, defaults={"title": title, "explanation": explanation}
        )
        ids[code] = reason.pk
    return ids


@dataclass(frozen=True)
class ProjectSpec:
    """How to find or create the project an import lands in."""

    slug: str
    title: str
    language: str
    attribution: str = ""
    department_slug: str = "open-data"
    department_name: str = "Открытые данные"
    question_title: str = ""
    question_description: str = ""
    summary: str = ""
    description: str = ""


def ensure_project(
    spec: ProjectSpec,
    windows: dict[str, tuple[datetime, datetime]],
    summary: Summary,
) -> tuple[Project, int]:
    """Return the project and its question id, creating them when missing.

    An existing project keeps its stage calendar and texts (an operator or
    the demo may have set them); only an attribution given explicitly is
    written, because a page that shows the data must credit its source.
    """
    from crowdsourcing.models import Department, Project, ProjectStage, Question

    project = Project.objects.filter(slug=spec.slug).first()
    if project is None:
        department, _created = Department.objects.get_or_create(
            slug=spec.department_slug, defaults={"name": spec.department_name}
        )
        project = Project.objects.create(
            department=department,
            slug=spec.slug,
            title=spec.title[:200],
            summary=spec.summary[:300],
            description=spec.description,
            attribution=spec.attribution,
            language=spec.language,
        )
        ProjectStage.objects.bulk_create(
            ProjectStage(project=project, kind=kind, starts_at=start, ends_at=end)
            for kind, (start, end) in windows.items()
        )
        summary.created[_("проекты")] += 1
    else:
        summary.existing[_("проекты")] += 1
        if spec.attribution and project.attribution != spec.attribution:
            project.attribution = spec.attribution
            project.save(update_fields=["attribution"])
    question = project.questions.order_by("position", "pk").first()
    if question is None:
        question = Question.objects.create(
            project=project,
            title=(spec.question_title or _("Предложения участников"))[:300],
            description=spec.question_description,
            position=1,
        )
        summary.created[_("вопросы")] += 1
    return project, question.pk


def detect_language(texts: Iterable[str], fallback: str = "ru") -> str:
    """Guess the dominant language of ``texts`` (a few hundred suffice)."""
    import py3langid

    sample = " ".join(t for _i, t in zip(range(400), texts, strict=False) if t)
    if len(sample) < 40:
        return fallback
    language, _score = py3langid.classify(sample)
    return language


def recount_project_tallies(slug: str) -> int:
    """Recount the sort tallies of one project's proposals from their rows."""
    from ..models import Proposal
    from ..models.proposals import recount_tallies

    return recount_tallies(Proposal.objects.filter(project__slug=slug).values("pk"))
