"""Read and write Pabulib files (pabulib.org), the open format of PB votes.

A file has three ``;``-separated sections, each a title line and a header:
``META`` (key;value), ``PROJECTS`` (project_id;cost;...) and ``VOTES``
(voter_id;vote[;points];...). The parser here is our own (on the csv module)
rather than pabutools' because an import must refuse a malformed file with
the line number of the fault, and pabutools reports neither lines nor most
of the faults (unknown project, points over the limit, duplicate voter).

Import writes one project in its results stage, one ballot, its options and
one participation plus one anonymous paper per VOTES row, all in one
transaction: a fault anywhere writes nothing. Importing the same file again
finds the ballot by the file's SHA-256 and writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..models import (
    Ballot,
    BallotKind,
    BallotOption,
    BallotPaper,
    BallotParticipation,
    BallotRule,
    Department,
    Project,
    ProjectStage,
    StageKind,
    Vote,
)
from . import audit

logger = logging.getLogger(__name__)

MOSCOW = ZoneInfo("Europe/Moscow")
SECTIONS = ("META", "PROJECTS", "VOTES")
KIND_FROM_VOTE_TYPE = {
    "approval": BallotKind.APPROVAL,
    "choose-1": BallotKind.CHOOSE_ONE,
    "cumulative": BallotKind.CUMULATIVE,
    "ordinal": BallotKind.RANKED,
}
VOTE_TYPE_FROM_KIND = {
    BallotKind.APPROVAL: "approval",
    BallotKind.BUDGETED: "approval",
    BallotKind.CHOOSE_ONE: "choose-1",
    BallotKind.CUMULATIVE: "cumulative",
    BallotKind.RANKED: "ordinal",
}
RULE_TO_PABULIB = {
    BallotRule.GREEDY: "greedy",
    BallotRule.GREEDY_STOP: "greedy-no-skip",
    BallotRule.EQUAL_SHARES: "equalshares/add1",
    BallotRule.MOST_VOTES: "max-votes",
}
# META keys this module writes itself on export; every other key of the
# imported file is carried over as it was.
OWN_META_KEYS = {
    "num_projects",
    "num_votes",
    "budget",
    "vote_type",
    "rule",
    "min_length",
    "max_length",
    "max_sum_points",
    "min_sum_points",
    "max_points",
    "max_sum_cost",
    "currency",
}


def _kind_from_meta(meta: dict[str, str]) -> str:
    """The ballot kind a file describes.

    An approval file whose ``max_sum_cost`` equals its budget (or has no
    budget) is a budgeted approval ballot: the voter's chosen total had to
    fit the budget. A different cap is kept in ``source_meta`` and checked
    on import, but the ballot stays plain approval, because a ballot here
    has one budget for both the voter's cap and the counting rule.
    """
    kind = KIND_FROM_VOTE_TYPE[meta["vote_type"]]
    cap, budget = meta.get("max_sum_cost"), meta.get("budget")
    if (
        kind == BallotKind.APPROVAL
        and cap
        and (not budget or _number(cap) == _number(budget))
    ):
        return BallotKind.BUDGETED
    return kind


def _number(value: str) -> float:
    return float(value.replace(",", "."))


class PabulibError(ValueError):
    """A malformed file: the message names the line."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.reason = message
        super().__init__(
            _("Строка %(line)s: %(message)s") % {"line": line, "message": message}
        )


@dataclass
class ParsedVote:
    line: int
    voter_id: str
    projects: list[str]
    points: list[int] | None


@dataclass
class ParsedFile:
    meta: dict[str, str] = field(default_factory=dict)
    projects: list[dict[str, str]] = field(default_factory=list)
    votes: list[ParsedVote] = field(default_factory=list)
    sha256: str = ""


def _int(value: str, line: int, what: str) -> int:
    try:
        number = int(value.strip())
    except (TypeError, ValueError):
        raise PabulibError(
            line,
            _("%(what)s должно быть целым числом, а не «%(value)s».")
            % {"what": what, "value": value},
        ) from None
    if number < 0:
        raise PabulibError(
            line, _("%(what)s не может быть отрицательным.") % {"what": what}
        )
    return number


def parse(stream: TextIO, progress=None) -> ParsedFile:
    """Parse and validate a Pabulib file; raise PabulibError on any fault."""
    text = stream.read()
    parsed = ParsedFile(sha256=hashlib.sha256(text.encode()).hexdigest())
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    section = None
    header: list[str] | None = None
    expected = iter(SECTIONS)
    for row in reader:
        line = reader.line_num
        if progress is not None:
            progress.update(1)
        if not row or not any(cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if len(row) == 1 and first.upper() in SECTIONS:
            if first.upper() != next(expected, None):
                raise PabulibError(
                    line,
                    _(
                        "раздел %(name)s не на своём месте: нужен порядок META, PROJECTS, VOTES."
                    )
                    % {"name": first},
                )
            section, header = first.upper(), None
            continue
        if len(row) == 1 and first.isalpha() and first.isupper():
            raise PabulibError(
                line, _("неизвестный раздел %(name)s.") % {"name": first}
            )
        if section is None:
            raise PabulibError(line, _("файл должен начинаться с раздела META."))
        if header is None:
            header = [cell.strip() for cell in row]
            required = {
                "META": ["key", "value"],
                "PROJECTS": ["project_id", "cost"],
                "VOTES": ["voter_id", "vote"],
            }[section]
            missing = [name for name in required if name not in header]
            if missing:
                raise PabulibError(
                    line,
                    _("в заголовке раздела %(section)s нет столбцов: %(missing)s.")
                    % {"section": section, "missing": ", ".join(missing)},
                )
            continue
        if len(row) != len(header):
            raise PabulibError(
                line,
                _("ожидалось %(expected)s полей, а их %(found)s.")
                % {"expected": len(header), "found": len(row)},
            )
        record = dict(zip(header, row, strict=True))
        if section == "META":
            parsed.meta[record["key"].strip()] = record["value"].strip()
        elif section == "PROJECTS":
            record["_line"] = str(line)
            parsed.projects.append(record)
        else:
            projects = [p.strip() for p in record["vote"].split(",") if p.strip()]
            points = None
            if record.get("points", "").strip():
                points = [
                    _int(p, line, _("Число баллов"))
                    for p in record["points"].split(",")
                ]
            parsed.votes.append(
                ParsedVote(line, record["voter_id"].strip(), projects, points)
            )
    if section != "VOTES":
        raise PabulibError(reader.line_num, _("в файле нет раздела VOTES."))
    _validate(parsed)
    return parsed


def _validate(parsed: ParsedFile) -> None:
    meta = parsed.meta
    vote_type = meta.get("vote_type", "")
    if vote_type not in KIND_FROM_VOTE_TYPE:
        raise PabulibError(
            1, _("неизвестный vote_type «%(type)s».") % {"type": vote_type}
        )
    known: set[str] = set()
    for record in parsed.projects:
        line = int(record["_line"])
        pid = record["project_id"].strip()
        if not pid:
            raise PabulibError(line, _("пустой project_id."))
        if pid in known:
            raise PabulibError(line, _("проект %(id)s указан дважды.") % {"id": pid})
        known.add(pid)
        _int(record["cost"], line, _("Стоимость"))
    min_length = int(meta.get("min_length") or (1 if vote_type == "choose-1" else 0))
    max_length = int(meta["max_length"]) if meta.get("max_length") else None
    if vote_type == "choose-1":
        max_length = 1
    max_sum = int(meta["max_sum_points"]) if meta.get("max_sum_points") else None
    min_sum = int(meta.get("min_sum_points") or 0)
    max_points = int(meta["max_points"]) if meta.get("max_points") else None
    try:
        max_cost = _number(meta["max_sum_cost"]) if meta.get("max_sum_cost") else None
    except ValueError:
        raise PabulibError(1, _("max_sum_cost — не число.")) from None
    costs = {
        record["project_id"].strip(): int(record["cost"].strip())
        for record in parsed.projects
    }
    voters: set[str] = set()
    for vote in parsed.votes:
        line = vote.line
        if not vote.voter_id:
            raise PabulibError(line, _("пустой voter_id."))
        if vote.voter_id in voters:
            raise PabulibError(
                line, _("голосующий %(id)s встречается дважды.") % {"id": vote.voter_id}
            )
        voters.add(vote.voter_id)
        if len(set(vote.projects)) != len(vote.projects):
            raise PabulibError(line, _("один проект назван в голосе дважды."))
        for pid in vote.projects:
            if pid not in known:
                raise PabulibError(line, _("неизвестный проект %(id)s.") % {"id": pid})
        if max_cost is not None:
            total_cost = sum(costs[pid] for pid in vote.projects)
            if total_cost > max_cost:
                raise PabulibError(
                    line,
                    _("стоимость выбранного %(cost)s больше допустимой (%(max)s).")
                    % {"cost": total_cost, "max": meta["max_sum_cost"]},
                )
        if len(vote.projects) < max(min_length, 1):
            raise PabulibError(line, _("в голосе меньше вариантов, чем допускается."))
        if max_length is not None and len(vote.projects) > max_length:
            raise PabulibError(
                line,
                _("в голосе %(n)s вариантов, а допускается не больше %(max)s.")
                % {"n": len(vote.projects), "max": max_length},
            )
        if vote_type == "cumulative":
            if vote.points is None or len(vote.points) != len(vote.projects):
                raise PabulibError(
                    line, _("число баллов не совпадает с числом проектов.")
                )
            if any(p == 0 for p in vote.points):
                raise PabulibError(line, _("проект назван с нулём баллов."))
            total = sum(vote.points)
            if max_sum is not None and total > max_sum:
                raise PabulibError(
                    line,
                    _("сумма баллов %(sum)s больше допустимой (%(max)s).")
                    % {"sum": total, "max": max_sum},
                )
            if total < min_sum:
                raise PabulibError(
                    line,
                    _("сумма баллов меньше допустимой (%(min)s).") % {"min": min_sum},
                )
            if max_points is not None and max(vote.points) > max_points:
                raise PabulibError(
                    line, _("проекту дано больше %(max)s баллов.") % {"max": max_points}
                )


def _parse_date(value: str, end: bool) -> date | None:
    value = (value or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
        if fmt == "%Y" and end:
            return parsed.replace(month=12, day=31)
        return parsed
    return None


def _rule_from_meta(meta: dict[str, str]) -> str:
    rule = meta.get("rule", "").lower()
    if rule.startswith("equalshares"):
        return BallotRule.EQUAL_SHARES
    if rule in ("greedy-no-skip", "greedy_stop", "greedy-stop"):
        return BallotRule.GREEDY_STOP
    if rule == "max-votes" or not meta.get("budget"):
        return BallotRule.MOST_VOTES
    # "greedy" and "unknown": the files with an unknown rule are, by their own
    # comments, most likely greedy; the original value stays in source_meta.
    return BallotRule.GREEDY


@dataclass
class ImportResult:
    ballot: Ballot
    created: bool
    voters: int


def import_file(
    path: str | Path, project_slug: str | None = None, progress_factory=None
) -> ImportResult:
    """Import a Pabulib file; return the ballot (existing one if seen before)."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as stream:
        bar = (
            progress_factory(desc=_("Чтение"), unit=_(" строк"))
            if progress_factory
            else None
        )
        parsed = parse(stream, progress=bar)
        if bar is not None:
            bar.close()
    existing = Ballot.objects.filter(source_sha256=parsed.sha256).first()
    if existing is not None:
        return ImportResult(existing, False, existing.papers.count())
    return _write(parsed, path, project_slug, progress_factory)


@transaction.atomic
def _write(
    parsed: ParsedFile, path: Path, project_slug: str | None, progress_factory
) -> ImportResult:
    meta = parsed.meta
    kind = _kind_from_meta(meta)
    department, _created = Department.objects.get_or_create(
        slug="pabulib", defaults={"name": "Открытые данные Pabulib"}
    )
    slug = project_slug or slugify(f"pabulib-{path.stem}")[:100].strip("-")
    # Many files repeat the instance inside the description ("PB Dieppe
    # 2015" twice); name it once.
    parts = [meta.get("description", "").strip(), meta.get("instance", "").strip()]
    title = " ".join(
        v for i, v in enumerate(parts) if v and not any(v in p for p in parts[:i])
    )
    title = title[:200] or path.stem
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        project = Project.objects.create(
            department=department,
            title=title,
            slug=slug,
            summary=title[:300],
            language=meta.get("language", "pl")[:8],
            attribution=_(
                "Данные: Pabulib (pabulib.org), библиотека данных "
                "партисипаторного бюджетирования. %(ack)s"
            )
            % {"ack": meta.get("acknowledgments", "")},
        )
        begin = _parse_date(meta.get("date_begin", ""), end=False) or date(2000, 1, 1)
        end = _parse_date(meta.get("date_end", ""), end=True) or begin
        voting_start = datetime.combine(begin, time.min, MOSCOW)
        voting_end = datetime.combine(end + timedelta(days=1), time.min, MOSCOW)
        ProjectStage.objects.create(
            project=project,
            kind=StageKind.VOTING,
            starts_at=voting_start,
            ends_at=voting_end,
        )
        ProjectStage.objects.create(
            project=project,
            kind=StageKind.RESULTS,
            starts_at=voting_end,
            ends_at=voting_end + timedelta(days=365 * 100),
        )
    longest = max((len(v.projects) for v in parsed.votes), default=1)
    max_length = int(meta["max_length"]) if meta.get("max_length") else None
    if kind == BallotKind.RANKED:
        max_length = max_length or longest
    if kind == BallotKind.CHOOSE_ONE:
        max_length = 1
    ballot = Ballot.objects.create(
        project=project,
        title=title,
        kind=kind,
        rule=_rule_from_meta(meta),
        min_choices=int(meta.get("min_length") or 1),
        max_choices=max_length,
        max_points=int(meta["max_sum_points"]) if meta.get("max_sum_points") else None,
        min_points=int(meta.get("min_sum_points") or 0),
        max_points_per_option=int(meta["max_points"])
        if meta.get("max_points")
        else None,
        budget=int(float(meta["budget"])) if meta.get("budget") else None,
        currency=meta.get("currency", "")[:8],
        source_meta=meta,
        source_sha256=parsed.sha256,
    )
    if kind == BallotKind.CUMULATIVE and ballot.max_points is None:
        ballot.max_points = max(sum(v.points or []) for v in parsed.votes)
        ballot.save(update_fields=["max_points"])
    options = BallotOption.objects.bulk_create(
        BallotOption(
            ballot=ballot,
            title=(record.get("name") or record["project_id"]).strip()[:500],
            cost=int(record["cost"]),
            external_id=record["project_id"].strip(),
            position=index,
        )
        for index, record in enumerate(parsed.projects)
    )
    option_ids = {option.external_id: option.pk for option in options}
    if any(pk is None for pk in option_ids.values()):
        option_ids = dict(
            BallotOption.objects.filter(ballot=ballot).values_list("external_id", "pk")
        )
    bar = (
        progress_factory(total=len(parsed.votes), desc=_("Голоса"), unit=_(" бюл."))
        if progress_factory
        else None
    )
    _insert_rows(
        BallotParticipation,
        ["ballot_id", "voter_key"],
        ((ballot.pk, vote.voter_id[:64]) for vote in parsed.votes),
    )
    # Papers go in shuffled order so that their physical order says nothing
    # about the order of the participations.
    # Their random ids are sorted before use, so that rows land at the end
    # of the indexes instead of all over them (an import five times faster
    # on SQLite); sorting random ids of shuffled papers reveals nothing.
    order = list(range(len(parsed.votes)))
    random.SystemRandom().shuffle(order)
    paper_pk = BallotPaper._meta.pk
    vote_pk = Vote._meta.pk
    paper_ids = [
        paper_pk.get_db_prep_value(value, connection)
        for value in sorted(uuid.uuid4() for _ in order)
    ]
    batch = 5000
    for start in range(0, len(order), batch):
        papers, votes = [], []
        for index, paper_id in zip(
            order[start : start + batch],
            paper_ids[start : start + batch],
            strict=True,
        ):
            vote = parsed.votes[index]
            papers.append((paper_id, ballot.pk))
            for place, pid in enumerate(vote.projects, start=1):
                if kind == BallotKind.CUMULATIVE:
                    points, rank = vote.points[place - 1], None
                elif kind == BallotKind.RANKED:
                    points, rank = ballot.rank_points(place), place
                else:
                    points, rank = 1, None
                vote_id = vote_pk.get_db_prep_value(uuid.uuid4(), connection)
                votes.append((vote_id, paper_id, option_ids[pid], points, rank))
        _insert_rows(BallotPaper, ["id", "ballot_id"], papers)
        _insert_rows(Vote, ["id", "paper_id", "option_id", "points", "rank"], votes)
        if bar is not None:
            bar.update(len(papers))
    if bar is not None:
        bar.close()
    audit.record(
        ballot,
        "crowd.ballot.import",
        data={"voters": len(parsed.votes), "sha256": parsed.sha256},
    )
    logger.info(
        "Imported Pabulib ballot %s with %s voters", ballot.pk, len(parsed.votes)
    )
    return ImportResult(ballot, True, len(parsed.votes))


def _insert_rows(model, columns: list[str], rows) -> None:
    """Insert plain tuples with COPY (PostgreSQL) or executemany.

    Building a model instance per row made the Łódź import (90,494 papers,
    ~330,000 votes) spend most of its time in Django; the values here are
    already validated and adapted, so the rows go in as they are.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    rows = list(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than even pipelined INSERTs.
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start : start + 10_000])


def export_ballot(ballot: Ballot, stream: TextIO) -> int:
    """Write ``ballot`` as a Pabulib file; return the number of papers.

    Voters appear as 1..N in the order of the papers' random ids, so the file
    links no voter (account or imported key) to a choice.
    """
    from ..tally import tally_ballot

    tally = tally_ballot(ballot)
    writer = csv.writer(stream, delimiter=";", lineterminator="\n")
    meta = {
        k: v for k, v in (ballot.source_meta or {}).items() if k not in OWN_META_KEYS
    }
    meta.setdefault("description", ballot.title)
    meta.update(
        {
            "num_projects": str(len(tally.options)),
            "num_votes": str(tally.voters),
            "budget": str(ballot.budget or 0),
            "vote_type": VOTE_TYPE_FROM_KIND[ballot.kind],
            "rule": RULE_TO_PABULIB[ballot.rule],
        }
    )
    if ballot.kind != BallotKind.CUMULATIVE:
        meta["min_length"] = str(ballot.choice_limits[0])
        if ballot.choice_limits[1] is not None:
            meta["max_length"] = str(ballot.choice_limits[1])
    else:
        meta["max_sum_points"] = str(ballot.max_points)
        if ballot.min_points:
            meta["min_sum_points"] = str(ballot.min_points)
        if ballot.max_points_per_option:
            meta["max_points"] = str(ballot.max_points_per_option)
    if ballot.kind == BallotKind.BUDGETED:
        meta["max_sum_cost"] = str(ballot.budget)
    if ballot.currency:
        meta["currency"] = ballot.currency
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in meta.items():
        writer.writerow([key, value])
    writer.writerow(["PROJECTS"])
    writer.writerow(["project_id", "cost", "votes", "score", "name", "selected"])
    for option in tally.options:
        writer.writerow(
            [
                option.external_id or str(option.option_id),
                option.cost,
                option.votes,
                option.score,
                option.title,
                int(option.selected),
            ]
        )
    external = {o.option_id: (o.external_id or str(o.option_id)) for o in tally.options}
    cumulative = ballot.kind == BallotKind.CUMULATIVE
    writer.writerow(["VOTES"])
    writer.writerow(
        ["voter_id", "vote", "points"] if cumulative else ["voter_id", "vote"]
    )
    rows = (
        Vote.objects.filter(paper__ballot=ballot)
        .order_by("paper_id", "rank", "option__position", "option_id")
        .values_list("paper_id", "option_id", "points")
    )
    number = 0
    current = None
    names: list[str] = []
    points: list[str] = []

    def flush():
        row = [str(number), ",".join(names)]
        if cumulative:
            row.append(",".join(points))
        writer.writerow(row)

    for paper_id, option_id, value in rows.iterator(chunk_size=20_000):
        if paper_id != current:
            if current is not None:
                flush()
            number += 1
            current, names, points = paper_id, [], []
        names.append(external[option_id])
        points.append(str(value))
    if current is not None:
        flush()
    return number
