"""Import a Polis conversation export as a project in its discussion stage.

Reads the directory Polis' export writes (``comments.csv``,
``participants-votes.csv`` and, when present, ``summary.csv``):

- each statement becomes a proposal of the project's one question. Polis'
  ``moderated`` decides its state: 1 published, -1 rejected (with the
  catalogue reason ``rejected-at-source``), 0 submitted. A 0 means nobody
  at the source moderated it yet; our proposals are pre-moderated, so it
  waits in the moderation queue instead of going public unchecked.
- each participant becomes a pseudonymous resident («Участник Polis 12»),
  under an address in the reserved .invalid domain and with no usable
  password.
- agree (1) and disagree (-1) become Rating rows of +1 and -1; pass (0) and
  unseen (empty) are not ratings. Votes on statements that are not
  published are counted and left out: a rating belongs to a published
  proposal.
- times come from the epoch-millisecond ``timestamp`` column (the
  ``datetime`` column is rendered in the exporter's zone). The export has
  no vote times, so a rating is dated at its statement's time, the
  earliest moment it can have been cast.

The ``agrees``/``disagrees`` counters of comments.csv are stored on the
ImportedProposal row; the support shown on the site is counted from the
vote matrix, and the summary lists the statements where the two disagree.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crowdsourcing.models import (
    ImportedProposal,
    ImportSource,
    ModerationAction,
    ModerationDecision,
    Proposal,
    ProposalState,
    Rating,
)
from crowdsourcing.services import audit

from .base import (
    CsvTable,
    ImportFileError,
    Progress,
    ProjectSpec,
    Record,
    Summary,
    bulk_insert,
    db_datetime,
    detect_language,
    ensure_project,
    ensure_pseudonymous_users,
    ensure_reasons,
    epoch_millis,
    insert_rows,
    parse_count,
    parse_int,
    recount_project_tallies,
)
from .text import shorten, tidy

logger = logging.getLogger(__name__)

COMMENTS_COLUMNS = {
    "timestamp": ["timestamp"],
    "id": ["comment-id", "comment_id", "tid"],
    "author": ["author-id", "author_id", "pid"],
    "moderated": ["moderated", "mod"],
    "body": ["comment-body", "comment_body", "txt"],
}
COMMENTS_OPTIONAL = {
    "agrees": ["agrees", "agree"],
    "disagrees": ["disagrees", "disagree"],
}
VOTES_COLUMNS = {"participant": ["participant", "pid"]}
VOTE_VALUES = {"": None, "0": 0, "1": 1, "-1": -1}
MODERATION_STATES = {
    1: ProposalState.PUBLISHED,
    0: ProposalState.SUBMITTED,
    -1: ProposalState.REJECTED,
}
TITLE_LIMIT = 150


@dataclass(frozen=True)
class Statement:
    record: Record
    external_id: str
    author: str
    created_at: datetime
    moderated: int
    text: str
    agrees: int | None
    disagrees: int | None


@dataclass(frozen=True)
class PolisExport:
    directory: Path
    statements: list[Statement]
    # participant id -> {statement id: +1 / -1 / 0}
    votes: dict[str, dict[str, int]]
    conversation: dict[str, str]


def read_export(directory: Path | str, encoding: str = "utf-8-sig") -> PolisExport:
    """Read and check a Polis export; raise ImportFileError on bad input."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ImportFileError(directory, None, _("это не каталог с выгрузкой Polis"))
    comments = CsvTable(
        directory / "comments.csv", COMMENTS_COLUMNS, COMMENTS_OPTIONAL, encoding
    )
    statements: list[Statement] = []
    seen: dict[str, int] = {}
    for record in comments:
        external_id = str(parse_int(record, comments.column("id")))
        if external_id in seen:
            raise record.error(
                _("высказывание %(id)s уже было в строке %(line)s")
                % {"id": external_id, "line": seen[external_id]}
            )
        seen[external_id] = record.line
        moderated = parse_int(record, comments.column("moderated"))
        if moderated not in MODERATION_STATES:
            raise record.error(
                _("moderated должно быть 1, 0 или -1, а не %(value)s")
                % {"value": moderated}
            )
        statements.append(
            Statement(
                record=record,
                external_id=external_id,
                author=str(parse_int(record, comments.column("author"))),
                created_at=epoch_millis(record, comments.column("timestamp")),
                moderated=moderated,
                text=tidy(record.get(comments.column("body"))),
                agrees=parse_count(record, comments.column("agrees")),
                disagrees=parse_count(record, comments.column("disagrees")),
            )
        )
    votes = _read_votes(directory / "participants-votes.csv", seen, encoding)
    return PolisExport(
        directory=directory,
        statements=statements,
        votes=votes,
        conversation=_read_conversation(directory / "summary.csv", encoding),
    )


def _read_votes(path: Path, statement_ids: dict[str, int], encoding: str):
    table = CsvTable(path, VOTES_COLUMNS, encoding=encoding)
    # Statement columns are the numeric ones; the rest (group-id, n-votes,
    # ...) are Polis' own aggregates, which are recomputed from rows.
    columns = [name for name in table.header if re.fullmatch(r"\d+", name)]
    unknown = [name for name in columns if name not in statement_ids]
    if unknown:
        raise ImportFileError(
            path,
            1,
            _("столбцы %(ids)s не соответствуют высказываниям из comments.csv")
            % {"ids": ", ".join(unknown[:10])},
        )
    positions = [(table.header.index(name), name) for name in columns]
    votes: dict[str, dict[str, int]] = {}
    lines: dict[str, int] = {}
    for record in table:
        participant = str(parse_int(record, table.column("participant")))
        if participant in lines:
            raise record.error(
                _("участник %(id)s уже был в строке %(line)s")
                % {"id": participant, "line": lines[participant]}
            )
        lines[participant] = record.line
        cells = record.cells
        row = {}
        for index, column in positions:
            raw = cells[index]
            if raw == "":
                continue
            value = VOTE_VALUES.get(raw)
            if value is None:
                # Slow path for the unusual spellings: " 1", "1.0", "-1.0".
                raw = raw.strip().removesuffix(".0")
                if raw not in VOTE_VALUES:
                    raise record.error(
                        _(
                            "в столбце «%(column)s» ожидалось 1, -1, 0 или "
                            "пусто, а не «%(value)s»"
                        )
                        % {"column": column, "value": raw[:20]}
                    )
                value = VOTE_VALUES[raw]
            if value is not None:
                row[column] = value
        votes[participant] = row
    return votes


def _read_conversation(path: Path, encoding: str) -> dict[str, str]:
    """Read summary.csv's key/value lines (topic, url, description)."""
    if not path.is_file():
        return {}
    with path.open(encoding=encoding, newline="") as handle:
        return {
            row[0].strip(): row[1].strip()
            for row in csv.reader(handle)
            if len(row) >= 2
        }


def default_slug(export: PolisExport) -> str:
    url = export.conversation.get("url", "")
    conversation_id = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return "polis-" + (slugify(conversation_id) or slugify(export.directory.name))[:80]


def import_polis(
    directory: Path | str,
    *,
    project_slug: str | None = None,
    title: str | None = None,
    attribution: str = "",
    language: str | None = None,
    source_label: str = "Polis",
    encoding: str = "utf-8-sig",
    progress: Progress | None = None,
) -> Summary:
    """Import a Polis export directory; atomic and safe to run again."""
    progress = progress or Progress(enabled=False)
    summary = Summary(_("Импорт Polis: %(dir)s") % {"dir": directory})
    export = read_export(directory, encoding)
    summary.rows_read = len(export.statements) + len(export.votes)
    if not export.statements:
        raise ImportFileError(
            Path(directory) / "comments.csv", None, _("нет высказываний")
        )
    language = language or detect_language(s.text for s in export.statements)
    with transaction.atomic():
        _write(
            export,
            project_slug,
            title,
            attribution,
            language,
            source_label,
            summary,
            progress,
        )
        # Rows went in without the services; the list's sort tallies follow.
        recount_project_tallies(project_slug or default_slug(export))
    summary.finish()
    logger.info(
        "Polis import of %s: %s rows written in %.1fs",
        directory,
        summary.rows_written,
        summary.seconds,
    )
    return summary


def _write(
    export, project_slug, title, attribution, language, source_label, summary, progress
):
    times = [s.created_at for s in export.statements]
    window = (min(times), max(times) + timedelta(seconds=1))
    topic = export.conversation.get("topic", "")
    spec = ProjectSpec(
        slug=project_slug or default_slug(export),
        title=title or topic or _("Обсуждение Polis"),
        language=language,
        attribution=attribution,
        question_title=topic or export.conversation.get("conversation-description", ""),
        question_description=export.conversation.get("conversation-description", ""),
        summary=export.conversation.get("conversation-description", ""),
    )
    project, question_id = ensure_project(
        spec, {"proposals": window, "discussion": window}, summary
    )
    reason_ids = ensure_reasons(["rejected-at-source"])

    people = {
        pid: _("Участник %(source)s %(id)s") % {"source": source_label, "id": pid}
        for pid in export.votes
    }
    joined: dict[str, datetime] = {}
    for statement in export.statements:
        people.setdefault(
            statement.author,
            _("Участник %(source)s %(id)s")
            % {"source": source_label, "id": statement.author},
        )
        joined[statement.author] = min(
            joined.get(statement.author, statement.created_at), statement.created_at
        )
    user_ids = ensure_pseudonymous_users(
        "polis-%s" % project.slug, people, joined, summary, progress
    )

    proposal_ids = dict(
        Proposal.objects.filter(project=project)
        .exclude(external_id="")
        .values_list("external_id", "pk")
    )
    new = [s for s in export.statements if s.external_id not in proposal_ids]
    summary.existing[_("предложения")] += len(export.statements) - len(new)
    proposals = []
    for statement in new:
        state = MODERATION_STATES[statement.moderated]
        text = statement.text or _("(без текста)")
        proposals.append(
            Proposal(
                project=project,
                question_id=question_id,
                author_id=user_ids[statement.author],
                title=shorten(text, TITLE_LIMIT),
                body=statement.text,
                state=state,
                language=language,
                external_id=statement.external_id,
                created_at=statement.created_at,
                submitted_at=statement.created_at,
                published_at=statement.created_at
                if state == ProposalState.PUBLISHED
                else None,
            )
        )
        summary.created[
            _("предложения: %(state)s") % {"state": ProposalState(state).label}
        ] += 1
    bulk_insert(Proposal, proposals, summary, progress, _("предложения"))
    proposal_ids.update({p.external_id: p.pk for p in proposals})

    by_id = {s.external_id: s for s in export.statements}
    bulk_insert(
        ImportedProposal,
        [
            ImportedProposal(
                proposal_id=p.pk,
                source=ImportSource.POLIS,
                source_file="comments.csv",
                source_line=by_id[p.external_id].record.line,
                stored_support_count=by_id[p.external_id].agrees,
                stored_oppose_count=by_id[p.external_id].disagrees,
                flags=["title_shortened"] if p.title.endswith("…") else [],
                extra={"moderated": by_id[p.external_id].moderated},
            )
            for p in proposals
        ],
        summary,
        progress,
        _("сведения источника"),
    )
    decisions = [
        ModerationDecision(
            proposal_id=p.pk,
            action=ModerationAction.REJECT,
            reason_id=reason_ids["rejected-at-source"],
            note=_("Импорт: moderated = -1 в выгрузке Polis."),
        )
        for p in proposals
        if p.state == ProposalState.REJECTED
    ]
    bulk_insert(
        ModerationDecision, decisions, summary, progress, _("решения модерации")
    )
    summary.created[_("решения модерации")] += len(decisions)
    if any(p.state == ProposalState.SUBMITTED for p in proposals):
        summary.note(
            _(
                "высказывания с moderated = 0 импортированы как «На модерации»: "
                "их никто не проверил в Polis, у нас они ждут модератора"
            )
        )

    _write_ratings(export, project, proposal_ids, user_ids, summary, progress)
    if summary.created_total:
        audit.record(
            project,
            "crowd.import.polis",
            data={"created": dict(summary.created), "directory": str(export.directory)},
        )


def _write_ratings(export, project, proposal_ids, user_ids, summary, progress):
    states = dict(
        Proposal.objects.filter(project=project).values_list("external_id", "state")
    )
    statement_times = {
        s.external_id: db_datetime(s.created_at) for s in export.statements
    }
    existing = set(
        Rating.objects.filter(proposal__project=project).values_list(
            "proposal_id", "user_id"
        )
    )
    ratings = []
    tally: Counter = Counter()
    passes = not_public = already = 0
    for participant, row in export.votes.items():
        user_id = user_ids[participant]
        for statement_id, value in row.items():
            if value == 0:
                passes += 1
                continue
            tally[(statement_id, value)] += 1
            if states[statement_id] != ProposalState.PUBLISHED:
                not_public += 1
                continue
            key = (proposal_ids[statement_id], user_id)
            if key in existing:
                already += 1
                continue
            ratings.append((key[0], user_id, value, statement_times[statement_id]))
    insert_rows(
        Rating,
        ("proposal", "user", "value", "created_at"),
        ratings,
        summary,
        progress,
        _("оценки"),
    )
    summary.created[_("оценки (+1/−1)")] += len(ratings)
    summary.existing[_("оценки (+1/−1)")] += already
    summary.skipped[_("голоса «пропустить» (не оценка)")] += passes
    summary.skipped[_("голоса за неопубликованные высказывания")] += not_public

    differ = [
        s
        for s in export.statements
        if (s.agrees is not None and s.agrees != tally[(s.external_id, 1)])
        or (s.disagrees is not None and s.disagrees != tally[(s.external_id, -1)])
    ]
    if differ:
        summary.note(
            _(
                "у %(n)d высказываний счётчики agrees/disagrees в comments.csv "
                "расходятся с матрицей голосов (например, %(examples)s); "
                "поддержка считается по строкам матрицы, счётчики файла "
                "сохранены в ImportedProposal"
            )
            % {
                "n": len(differ),
                "examples": ", ".join(
                    "#%s: %s/%s в файле, %s/%s в строках"
                    % (
                        s.external_id,
                        s.agrees,
                        s.disagrees,
                        tally[(s.external_id, 1)],
                        tally[(s.external_id, -1)],
                    )
                    for s in differ[:3]
                ),
            }
        )
