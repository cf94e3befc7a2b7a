"""Import CONSUL proposals and their threaded comments (Decide Madrid & co).

CONSUL installations publish their data in more than one shape: the open
data dumps of the ``proposals`` table (``id;title;description;
cached_votes_up;created_at;retired_at``, HTML descriptions), and scraped
sets with ``summary``/``text``/``numSupports``/``numComments`` and a
comment file whose tree is also given as a separate hierarchy file. Columns
are therefore found by any of their known names (see PROPOSAL_COLUMNS).

Decisions, each visible in the summary:

- **Text.** Descriptions that hold HTML are reduced to plain text
  (text.html_to_text): paragraphs and list items become line breaks, links
  keep their address. A title longer than our 150 characters is shortened
  at a word; the whole text stays in the body.
- **Supports.** A proposals export carries a support *counter* and no
  supporters. A support on this platform is a Rating row by a person, so a
  counter cannot become rows without inventing voters. The counter is kept
  as ``ImportedProposal.stored_support_count`` and reported; the site's
  support count (from Rating rows) starts at zero.
- **Comment counts** are the comment rows imported; where the file's stored
  counter (``numComments``) disagrees, the rows win and the summary says by
  how much.
- **Threads.** Our threads stop at Comment.MAX_DEPTH (4). A deeper reply is
  attached to its ancestor at depth 3, so it sits at depth 4 right under
  the deepest part of its own branch; a reply whose parent is not in the
  export (deleted or not exported at the source) starts its own thread,
  unless ``orphan_replies="refuse"`` asks to refuse the file instead. In
  both cases ImportedComment keeps the parent the file named and the depth
  it had, so no information is lost.
- **Screening** (screening.py): probes are imported as rejected (reason
  ``probe``), test-like entries as submitted (they wait in the moderation
  queue), exact duplicates (same title and text, ignoring case and spacing)
  as rejected with reason ``duplicate`` and ``duplicate_of`` pointing at
  the copy that stays public: the one with most supports, then the oldest.
  Proposals withdrawn by their author (``retired_at``) are hidden with
  reason ``withdrawn``; proposals hidden at the source (``hidden_at``) with
  reason ``rejected-at-source``. None of these reach the public site.
- **Empty comments** (the source kept the row, the text is gone) are
  imported hidden with reason ``empty``, so replies to them keep their
  place in the thread.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crowdsourcing.models import (
    Category,
    Comment,
    CommentPlacement,
    CommentState,
    District,
    ImportedComment,
    ImportedProposal,
    ImportSource,
    ModerationAction,
    ModerationDecision,
    Proposal,
    ProposalState,
)
from crowdsourcing.services import audit

from .base import (
    CsvTable,
    DateReader,
    ImportFileError,
    Progress,
    ProjectSpec,
    Record,
    Summary,
    bulk_insert,
    detect_language,
    ensure_project,
    ensure_pseudonymous_users,
    ensure_reasons,
    parse_count,
    parse_int,
)
from .screening import PROBE_FLAG, TEST_FLAG, screen
from .text import fingerprint, shorten, to_text

logger = logging.getLogger(__name__)

PROPOSAL_COLUMNS = {
    "id": ["id"],
    "title": ["title"],
    "created": ["created_at", "date", "created"],
}
PROPOSAL_OPTIONAL = {
    "summary": ["summary"],
    "body": ["description", "text", "body"],
    "author": ["author_id", "userId", "user_id"],
    "supports": ["cached_votes_up", "numSupports", "supports", "votes_up"],
    "comments_count": ["comments_count", "numComments"],
    "retired": ["retired_at"],
    "hidden": ["hidden_at"],
    "category": ["category", "categories", "tag_list", "tags"],
    "district": ["district", "geozone", "geozone_name"],
    "url": ["url"],
    "code": ["code"],
    "status": ["status"],
    "association": ["isAssociation", "is_association"],
}
COMMENT_COLUMNS = {
    "id": ["id"],
    "proposal": ["proposalId", "proposal_id", "commentable_id"],
    "body": ["text", "body"],
    "created": ["date", "created_at"],
}
COMMENT_OPTIONAL = {
    "time": ["time"],
    "parent": ["parentId", "parent_id"],
    "ancestry": ["ancestry"],
    "author": ["userId", "user_id"],
    "votes_up": ["numPositiveVotes", "cached_votes_up"],
    "votes_down": ["numNegativeVotes", "cached_votes_down"],
    "commentable_type": ["commentable_type"],
}
HIERARCHY_COLUMNS = {
    "proposal": ["proposalId", "proposal_id"],
    "comment": ["commendId", "commentId", "comment_id"],
    "parent": ["parentId", "parent_id"],
}
TITLE_LIMIT = 150
BODY_LIMIT = 5000
ORPHAN_CHOICES = ("top-level", "refuse")
UNKNOWN_AUTHOR = "unknown"


@dataclass
class SourceProposal:
    record: Record
    external_id: str
    title: str
    body: str
    author: str
    created_at: datetime
    supports: int | None
    comments_count: int | None
    retired: str
    hidden: str
    category: str
    district: str
    extra: dict[str, str]
    flags: list[str] = field(default_factory=list)
    duplicate_of: str = ""


@dataclass
class SourceComment:
    record: Record
    external_id: str
    proposal: str
    parent: str
    body: str
    author: str
    created_at: datetime
    votes_up: int | None
    votes_down: int | None


def _parent_id(record: Record, column: str | None) -> str:
    """Read a parent reference; -1, 0 and empty mean "no parent"."""
    value = parse_int(record, column, allow_empty=True)
    return "" if value is None or value <= 0 else str(value)


def read_proposals(path, dates: DateReader, encoding: str) -> list[SourceProposal]:
    table = CsvTable(path, PROPOSAL_COLUMNS, PROPOSAL_OPTIONAL, encoding)
    col = table.column
    dates.learn(r.get(col("created")) for r in table)
    proposals, seen = [], {}
    for record in table:
        external_id = str(parse_int(record, col("id")))
        if external_id in seen:
            raise record.error(
                _("предложение %(id)s уже было в строке %(line)s")
                % {"id": external_id, "line": seen[external_id]}
            )
        seen[external_id] = record.line
        summary_text = to_text(record.get(col("summary")))
        description = to_text(record.get(col("body")))
        if summary_text and description and description != summary_text:
            body = "%s\n\n%s" % (summary_text, description)
        else:
            body = summary_text or description
        title = to_text(record.get(col("title")))
        flags = []
        if not title:
            title = shorten(body, TITLE_LIMIT) or _("(без заголовка)")
            flags.append("title_missing")
        elif len(title) > TITLE_LIMIT:
            body = "%s\n\n%s" % (title, body) if body else title
            title = shorten(title, TITLE_LIMIT)
            flags.append("title_shortened")
        if not body:
            flags.append("empty_body")
        extra = {
            key: record.get(col(key))
            for key in ("url", "code", "status", "association")
            if col(key) and record.get(col(key))
        }
        proposals.append(
            SourceProposal(
                record=record,
                external_id=external_id,
                title=title,
                body=body,
                author=str(parse_int(record, col("author"), allow_empty=True) or "")
                or UNKNOWN_AUTHOR,
                created_at=dates.parse(record, col("created")),
                supports=parse_count(record, col("supports")),
                comments_count=parse_count(record, col("comments_count")),
                retired=record.get(col("retired")).strip(),
                hidden=record.get(col("hidden")).strip(),
                category=record.get(col("category")).split(",")[0].strip(),
                district=record.get(col("district")).strip(),
                extra=extra,
                flags=flags,
            )
        )
    return proposals


def read_comments(
    path, dates: DateReader, encoding: str, summary: Summary
) -> tuple[list[SourceComment], bool]:
    """Read a comments file; also say whether it names parents itself."""
    table = CsvTable(path, COMMENT_COLUMNS, COMMENT_OPTIONAL, encoding)
    col = table.column
    dates.learn(r.get(col("created")) for r in table)
    comments, seen = [], {}
    for record in table:
        kind = record.get(col("commentable_type")).strip()
        if kind and kind != "Proposal":
            summary.skipped[_("комментарии не к предложениям")] += 1
            continue
        external_id = str(parse_int(record, col("id")))
        if external_id in seen:
            raise record.error(
                _("комментарий %(id)s уже был в строке %(line)s")
                % {"id": external_id, "line": seen[external_id]}
            )
        seen[external_id] = record.line
        if col("parent"):
            parent = _parent_id(record, col("parent"))
        elif col("ancestry"):
            # CONSUL's own table stores the path of ancestors as "12/34".
            path_ids = [p for p in record.get(col("ancestry")).split("/") if p.strip()]
            parent = path_ids[-1].strip() if path_ids else ""
            if parent and not parent.isdigit():
                raise record.error(
                    _("непонятный ancestry «%(v)s»") % {"v": parent[:40]}
                )
        else:
            parent = ""
        comments.append(
            SourceComment(
                record=record,
                external_id=external_id,
                proposal=str(parse_int(record, col("proposal"))),
                parent=parent,
                body=to_text(record.get(col("body"))),
                author=str(parse_int(record, col("author"), allow_empty=True) or "")
                or UNKNOWN_AUTHOR,
                created_at=dates.parse(record, col("created"), record.get(col("time"))),
                votes_up=parse_count(record, col("votes_up")),
                votes_down=parse_count(record, col("votes_down")),
            )
        )
    return comments, bool(col("parent") or col("ancestry"))


def apply_hierarchy(
    path, comments: list[SourceComment], has_parent_column: bool, encoding: str
) -> None:
    """Check the hierarchy file against the comments and take parents from it.

    The file names, for each comment, its proposal and its parent (-1 for a
    top-level comment; a row whose comment id is its proposal's id and whose
    parent is 0 marks the proposal itself). A comment id the comments file
    does not have, a proposal that is not the comment's, or a parent that
    contradicts the comments file is refused.
    """
    table = CsvTable(path, HIERARCHY_COLUMNS, encoding=encoding)
    col = table.column
    by_id = {c.external_id: c for c in comments}
    seen: dict[str, int] = {}
    for record in table:
        comment_id = str(parse_int(record, col("comment")))
        proposal_id = str(parse_int(record, col("proposal")))
        raw_parent = parse_int(record, col("parent"), allow_empty=True)
        if raw_parent == 0 and comment_id == proposal_id:
            continue
        parent = "" if raw_parent is None or raw_parent <= 0 else str(raw_parent)
        comment = by_id.get(comment_id)
        if comment is None:
            raise record.error(
                _("комментария %(id)s нет в файле комментариев") % {"id": comment_id}
            )
        if comment_id in seen:
            raise record.error(
                _("комментарий %(id)s уже был в строке %(line)s")
                % {"id": comment_id, "line": seen[comment_id]}
            )
        seen[comment_id] = record.line
        if comment.proposal != proposal_id:
            raise record.error(
                _("комментарий %(id)s относится к предложению %(real)s, а не %(named)s")
                % {"id": comment_id, "real": comment.proposal, "named": proposal_id}
            )
        if has_parent_column and comment.parent != parent:
            raise record.error(
                _(
                    "родитель комментария %(id)s здесь %(here)s, а в файле "
                    "комментариев %(there)s"
                )
                % {
                    "id": comment_id,
                    "here": parent or "—",
                    "there": comment.parent or "—",
                }
            )
        comment.parent = parent
    if not has_parent_column:
        missing = [c for c in comments if c.external_id not in seen]
        if missing:
            raise missing[0].record.error(
                _("комментария %(id)s нет в файле иерархии")
                % {"id": missing[0].external_id}
            )


@dataclass
class Placement:
    parent: str  # external id of the parent we attach to, or ""
    depth: int
    source_depth: int
    kind: str


def place_comments(
    comments: list[SourceComment],
    orphan_replies: str,
    max_depth: int = Comment.MAX_DEPTH,
) -> dict[str, Placement]:
    """Work out where each comment sits in our depth-limited threads."""
    by_id = {c.external_id: c for c in comments}
    for comment in comments:
        if not comment.parent:
            continue
        parent = by_id.get(comment.parent)
        if parent is None:
            if orphan_replies == "refuse":
                raise comment.record.error(
                    _(
                        "комментарий %(id)s отвечает на комментарий %(parent)s, "
                        "которого нет в выгрузке"
                    )
                    % {"id": comment.external_id, "parent": comment.parent}
                )
        elif parent.proposal != comment.proposal:
            raise comment.record.error(
                _(
                    "комментарий %(id)s отвечает на комментарий %(parent)s "
                    "другого предложения (%(other)s)"
                )
                % {
                    "id": comment.external_id,
                    "parent": parent.external_id,
                    "other": parent.proposal,
                }
            )

    placements: dict[str, Placement] = {}

    def chain(comment: SourceComment) -> list[str]:
        """Ancestors present in the export, nearest first."""
        ancestors, current, visited = [], comment, {comment.external_id}
        while current.parent and current.parent in by_id:
            if current.parent in visited:
                raise comment.record.error(
                    _("комментарий %(id)s оказывается собственным предком")
                    % {"id": comment.external_id}
                )
            visited.add(current.parent)
            ancestors.append(current.parent)
            current = by_id[current.parent]
        return ancestors

    for comment in comments:
        ancestors = chain(comment)
        source_depth = len(ancestors)
        orphan = bool(comment.parent) and comment.parent not in by_id
        if source_depth <= max_depth:
            parent = ancestors[0] if ancestors else ""
            depth = source_depth
        else:
            # ancestors[-1] is the thread root (depth 0); the ancestor at
            # depth max_depth - 1 sits at index len - max_depth.
            parent = ancestors[len(ancestors) - max_depth]
            depth = max_depth
        if orphan and not ancestors:
            kind = CommentPlacement.PARENT_MISSING
        elif source_depth > max_depth:
            kind = CommentPlacement.DEPTH_LIMITED
        else:
            kind = CommentPlacement.AS_IN_SOURCE
        placements[comment.external_id] = Placement(parent, depth, source_depth, kind)
    return placements


def import_consul(
    proposals_file: Path | str,
    *,
    comments_file: Path | str | None = None,
    hierarchy_file: Path | str | None = None,
    project_slug: str | None = None,
    title: str | None = None,
    attribution: str = "",
    language: str | None = None,
    source_label: str = "CONSUL",
    source_timezone: str = "Europe/Moscow",
    orphan_replies: str = "top-level",
    encoding: str = "utf-8-sig",
    progress: Progress | None = None,
) -> Summary:
    """Import a CONSUL proposals file (and comments); atomic, repeatable."""
    if orphan_replies not in ORPHAN_CHOICES:
        raise ValueError(orphan_replies)
    if hierarchy_file and not comments_file:
        raise ImportFileError(
            hierarchy_file,
            None,
            _("файл иерархии читается только вместе с файлом комментариев"),
        )
    progress = progress or Progress(enabled=False)
    proposals_file = Path(proposals_file)
    summary = Summary(_("Импорт CONSUL: %(file)s") % {"file": proposals_file.name})
    dates = DateReader(source_timezone)
    proposals = read_proposals(proposals_file, dates, encoding)
    if not proposals:
        raise ImportFileError(proposals_file, None, _("нет предложений"))
    comments: list[SourceComment] = []
    placements: dict[str, Placement] = {}
    if comments_file:
        comments, has_parent = read_comments(
            Path(comments_file), dates, encoding, summary
        )
        if hierarchy_file:
            apply_hierarchy(Path(hierarchy_file), comments, has_parent, encoding)
        placements = place_comments(comments, orphan_replies)
    summary.rows_read = len(proposals) + len(comments)
    language = language or detect_language(f"{p.title} {p.body}" for p in proposals)
    slug = project_slug or "consul-" + slugify(proposals_file.stem)[:80]
    with transaction.atomic():
        writer = _Writer(proposals_file, summary, progress, source_label, language)
        writer.write(
            slug,
            title,
            attribution,
            proposals,
            comments,
            placements,
            Path(comments_file).name if comments_file else "",
        )
    summary.finish()
    logger.info(
        "CONSUL import of %s: %s rows written in %.1fs",
        proposals_file.name,
        summary.rows_written,
        summary.seconds,
    )
    return summary


class _Writer:
    def __init__(
        self,
        path: Path,
        summary: Summary,
        progress: Progress,
        source_label: str,
        language: str,
    ):
        self.path = path
        self.summary = summary
        self.progress = progress
        self.source_label = source_label
        self.language = language

    def write(
        self, slug, title, attribution, proposals, comments, placements, comments_name
    ):
        summary = self.summary
        times = [p.created_at for p in proposals]
        last = max(times + [c.created_at for c in comments])
        spec = ProjectSpec(
            slug=slug,
            title=title
            or _("Предложения жителей (%(source)s)") % {"source": self.source_label},
            language=self.language,
            attribution=attribution,
        )
        project, question_id = ensure_project(
            spec,
            {
                "proposals": (min(times), max(times) + timedelta(days=1)),
                "discussion": (min(times), last + timedelta(days=1)),
            },
            summary,
        )
        self.project = project
        reasons = ensure_reasons(
            ["probe", "duplicate", "withdrawn", "rejected-at-source", "empty"]
        )

        people = {}
        for item in [*proposals, *comments]:
            if item.author == UNKNOWN_AUTHOR:
                people[item.author] = _("Автор не указан (%(source)s)") % {
                    "source": self.source_label
                }
            else:
                people[item.author] = _("Участник %(source)s %(id)s") % {
                    "source": self.source_label,
                    "id": item.author,
                }
        joined: dict[str, datetime] = {}
        for item in [*proposals, *comments]:
            joined[item.author] = min(
                joined.get(item.author, item.created_at), item.created_at
            )
        user_ids = ensure_pseudonymous_users(
            "consul-%s" % project.slug, people, joined, summary, self.progress
        )

        existing = {
            ext: pk
            for ext, pk in Proposal.objects.filter(project=project)
            .exclude(external_id="")
            .values_list("external_id", "pk")
        }
        new = [p for p in proposals if p.external_id not in existing]
        summary.existing[_("предложения")] += len(proposals) - len(new)
        self._screen(project, new)
        created = self._write_proposals(
            project, question_id, new, existing, user_ids, reasons
        )
        existing.update(created)
        if comments:
            self._write_comments(
                comments, placements, existing, user_ids, reasons, comments_name
            )
            self._report_comment_counts(proposals, comments)
        self._report_supports(proposals)
        if summary.created_total:
            audit.record(
                project,
                "crowd.import.consul",
                data={"created": dict(summary.created), "file": self.path.name},
            )

    def _screen(self, project, proposals: list[SourceProposal]) -> None:
        groups: dict[str, list[SourceProposal]] = defaultdict(list)
        for proposal in proposals:
            verdict = screen(proposal.title, proposal.body)
            if verdict:
                proposal.flags.append(verdict)
            else:
                groups[fingerprint(proposal.title, proposal.body)].append(proposal)
        # A copy already public in the project stays the one to support.
        public_keys = {
            fingerprint(title, body): ext
            for title, body, ext in Proposal.objects.public()
            .filter(project=project)
            .values_list("title", "body", "external_id")
        }
        for key, group in groups.items():
            if key in public_keys:
                keeper_id = public_keys[key]
                copies = group
            elif len(group) > 1:
                group.sort(
                    key=lambda p: (-(p.supports or 0), p.created_at, int(p.external_id))
                )
                keeper_id = group[0].external_id
                copies = group[1:]
            else:
                continue
            for copy in copies:
                copy.duplicate_of = keeper_id
                copy.flags.append("duplicate")

    def _write_proposals(self, project, question_id, new, existing, user_ids, reasons):
        summary = self.summary
        categories = self._categories({p.category for p in new if p.category})
        districts = {d.name.casefold(): d.pk for d in District.objects.all()}
        rows, decisions = [], []
        unmatched_districts = Counter()
        for item in new:
            state, action, reason, note = self._decide(item)
            district_id = None
            if item.district:
                district_id = districts.get(item.district.casefold())
                if district_id is None:
                    unmatched_districts[item.district] += 1
            rows.append(
                Proposal(
                    project=project,
                    question_id=question_id,
                    author_id=user_ids[item.author],
                    title=item.title,
                    body=item.body,
                    category_id=categories.get(item.category),
                    district_id=district_id,
                    state=state,
                    language=self.language,
                    external_id=item.external_id,
                    created_at=item.created_at,
                    submitted_at=item.created_at,
                    published_at=item.created_at
                    if state in (ProposalState.PUBLISHED, ProposalState.HIDDEN)
                    else None,
                )
            )
            decisions.append((action, reason, note))
            summary.created[
                _("предложения: %(state)s") % {"state": ProposalState(state).label}
            ] += 1
        bulk_insert(Proposal, rows, summary, self.progress, _("предложения"))
        created = {p.external_id: p.pk for p in rows}
        lookup = {**existing, **created}
        by_id = {p.external_id: p for p in new}
        bulk_insert(
            ImportedProposal,
            [
                ImportedProposal(
                    proposal_id=p.pk,
                    source=ImportSource.CONSUL,
                    source_file=self.path.name,
                    source_line=by_id[p.external_id].record.line,
                    stored_support_count=by_id[p.external_id].supports,
                    stored_comment_count=by_id[p.external_id].comments_count,
                    duplicate_of_id=lookup.get(by_id[p.external_id].duplicate_of),
                    flags=by_id[p.external_id].flags,
                    extra={
                        **by_id[p.external_id].extra,
                        **(
                            {"retired_at": by_id[p.external_id].retired}
                            if by_id[p.external_id].retired
                            else {}
                        ),
                    },
                )
                for p in rows
            ],
            summary,
            self.progress,
            _("сведения источника"),
        )
        moderation = [
            ModerationDecision(
                proposal_id=p.pk,
                action=action,
                reason_id=reasons[reason],
                note=note,
            )
            for p, (action, reason, note) in zip(rows, decisions, strict=True)
            if action
        ]
        bulk_insert(
            ModerationDecision,
            moderation,
            summary,
            self.progress,
            _("решения модерации"),
        )
        summary.created[_("решения модерации")] += len(moderation)
        flagged = Counter(flag for p in new for flag in p.flags)
        for flag, label in (
            (PROBE_FLAG, _("зонды и атаки → «Отклонено» (причина probe)")),
            (TEST_FLAG, _("похожие на тест → «На модерации»")),
            ("duplicate", _("точные повторы → «Отклонено» (причина duplicate)")),
            ("empty_body", _("без описания (опубликованы как есть)")),
            ("title_shortened", _("заголовок сокращён до 150 знаков")),
        ):
            if flagged[flag]:
                summary.note("%s: %d" % (label, flagged[flag]))
        long_bodies = sum(len(p.body) > BODY_LIMIT for p in new)
        if long_bodies:
            summary.note(
                _(
                    "текст длиннее %(limit)d знаков у %(n)d предложений: сохранён целиком"
                )
                % {"limit": BODY_LIMIT, "n": long_bodies}
            )
        if unmatched_districts:
            summary.note(
                _("районы не найдены в справочнике (оставлены пустыми): %(names)s")
                % {"names": ", ".join(sorted(unmatched_districts))[:300]}
            )
        return created

    def _decide(self, item: SourceProposal):
        """Return (state, action, reason code, note) for a proposal."""
        if PROBE_FLAG in item.flags:
            return (
                ProposalState.REJECTED,
                ModerationAction.REJECT,
                "probe",
                _("Импорт: запись похожа на проверку уязвимостей."),
            )
        if TEST_FLAG in item.flags:
            return ProposalState.SUBMITTED, None, None, ""
        if item.duplicate_of:
            return (
                ProposalState.REJECTED,
                ModerationAction.REJECT,
                "duplicate",
                _("Импорт: повтор предложения %(id)s с тем же заголовком и текстом.")
                % {"id": item.duplicate_of},
            )
        if item.hidden:
            return (
                ProposalState.HIDDEN,
                ModerationAction.HIDE,
                "rejected-at-source",
                _("Импорт: скрыто на исходной платформе (%(at)s).")
                % {"at": item.hidden},
            )
        if item.retired:
            return (
                ProposalState.HIDDEN,
                ModerationAction.HIDE,
                "withdrawn",
                _("Импорт: автор отозвал предложение (%(at)s).") % {"at": item.retired},
            )
        return ProposalState.PUBLISHED, None, None, ""

    def _categories(self, names: set[str]) -> dict[str, int]:
        ids = {}
        for name in sorted(names):
            category = Category.objects.filter(name__iexact=name).first()
            if category is None:
                slug = slugify(name)[:70] or "category"
                base, n = slug, 1
                while Category.objects.filter(slug=slug).exists():
                    n += 1
                    slug = "%s-%d" % (base, n)
                category = Category.objects.create(name=name[:120], slug=slug)
                self.summary.created[_("категории")] += 1
            ids[name] = category.pk
        return ids

    def _write_comments(
        self, comments, placements, proposal_ids, user_ids, reasons, comments_name
    ):
        summary = self.summary
        known = set(proposal_ids)
        for comment in comments:
            if comment.proposal not in known:
                raise comment.record.error(
                    _(
                        "комментарий к предложению %(id)s, которого нет ни в файле, ни в проекте"
                    )
                    % {"id": comment.proposal}
                )
        existing = {
            (proposal_id, ext): pk
            for proposal_id, ext, pk in Comment.objects.filter(
                proposal__project=self.project
            )
            .exclude(external_id="")
            .values_list("proposal_id", "external_id", "pk")
        }
        by_id = {c.external_id: c for c in comments}
        comment_pks: dict[str, int] = {}
        new_total = 0
        for level in range(Comment.MAX_DEPTH + 1):
            rows = []
            for comment in comments:
                placement = placements[comment.external_id]
                if placement.depth != level:
                    continue
                proposal_id = proposal_ids[comment.proposal]
                key = (proposal_id, comment.external_id)
                if key in existing:
                    comment_pks[comment.external_id] = existing[key]
                    summary.existing[_("комментарии")] += 1
                    continue
                parent_pk = None
                if placement.parent:
                    parent_pk = comment_pks.get(placement.parent) or existing.get(
                        (proposal_id, placement.parent)
                    )
                rows.append(
                    Comment(
                        proposal_id=proposal_id,
                        author_id=user_ids[comment.author],
                        parent_id=parent_pk,
                        depth=level,
                        body=comment.body,
                        state=CommentState.VISIBLE
                        if comment.body
                        else CommentState.HIDDEN,
                        external_id=comment.external_id,
                        created_at=comment.created_at,
                    )
                )
            bulk_insert(
                Comment,
                rows,
                summary,
                self.progress,
                _("комментарии, уровень %(n)d") % {"n": level},
            )
            comment_pks.update({c.external_id: c.pk for c in rows})
            new_total += len(rows)
            records = [
                ImportedComment(
                    comment_id=c.pk,
                    source=ImportSource.CONSUL,
                    source_file=comments_name,
                    source_line=by_id[c.external_id].record.line,
                    source_parent_id=by_id[c.external_id].parent,
                    source_depth=placements[c.external_id].source_depth,
                    placement=placements[c.external_id].kind,
                    stored_votes_up=by_id[c.external_id].votes_up,
                    stored_votes_down=by_id[c.external_id].votes_down,
                )
                for c in rows
            ]
            bulk_insert(
                ImportedComment,
                records,
                summary,
                self.progress,
                _("сведения источника"),
            )
            hidden = [
                ModerationDecision(
                    comment_id=c.pk,
                    action=ModerationAction.HIDE,
                    reason_id=reasons["empty"],
                    note=_("Импорт: в выгрузке у комментария нет текста."),
                )
                for c in rows
                if c.state == CommentState.HIDDEN
            ]
            bulk_insert(
                ModerationDecision,
                hidden,
                summary,
                self.progress,
                _("решения модерации"),
            )
            summary.created[_("комментарии: скрыты (пустой текст)")] += len(hidden)
            summary.created[_("решения модерации")] += len(hidden)
            summary.created[_("комментарии: видны")] += len(rows) - len(hidden)
        moved = Counter(placements[c.external_id].kind for c in comments)
        if moved[CommentPlacement.DEPTH_LIMITED]:
            examples = [
                "%s→%s (было %s)"
                % (c.external_id, placements[c.external_id].parent, c.parent)
                for c in comments
                if placements[c.external_id].kind == CommentPlacement.DEPTH_LIMITED
            ][:3]
            summary.note(
                _(
                    "%(n)d ответов глубже %(max)d уровней прикреплены к предку на "
                    "уровне %(level)d (например, %(examples)s); исходный родитель "
                    "сохранён в ImportedComment.source_parent_id"
                )
                % {
                    "n": moved[CommentPlacement.DEPTH_LIMITED],
                    "max": Comment.MAX_DEPTH,
                    "level": Comment.MAX_DEPTH - 1,
                    "examples": ", ".join(examples),
                }
            )
        if moved[CommentPlacement.PARENT_MISSING]:
            orphans = [
                c
                for c in comments
                if placements[c.external_id].kind == CommentPlacement.PARENT_MISSING
            ]
            summary.note(
                _(
                    "%(n)d ответов на комментарии, которых нет в выгрузке (%(parents)d "
                    "разных родителей, первый — строка %(line)d), начинают свою "
                    "ветку; исходный родитель сохранён в ImportedComment"
                )
                % {
                    "n": len(orphans),
                    "parents": len({c.parent for c in orphans}),
                    "line": orphans[0].record.line,
                }
            )

    def _report_comment_counts(self, proposals, comments):
        rows = Counter(c.proposal for c in comments)
        differ = [
            p
            for p in proposals
            if p.comments_count is not None and p.comments_count != rows[p.external_id]
        ]
        if differ:
            stored = sum(p.comments_count for p in differ)
            counted = sum(rows[p.external_id] for p in differ)
            self.summary.note(
                _(
                    "у %(n)d предложений счётчик комментариев в файле расходится "
                    "со строками (в файле %(stored)d, строк %(counted)d; например, "
                    "%(examples)s); показывается число строк"
                )
                % {
                    "n": len(differ),
                    "stored": stored,
                    "counted": counted,
                    "examples": ", ".join(
                        "#%s: %s/%s"
                        % (p.external_id, p.comments_count, rows[p.external_id])
                        for p in differ[:3]
                    ),
                }
            )

    def _report_supports(self, proposals):
        counted = [p.supports for p in proposals if p.supports is not None]
        if counted:
            self.summary.note(
                _(
                    "поддержки: в файле %(total)d у %(n)d предложений (максимум "
                    "%(max)d), но без поддержавших; счётчики сохранены в "
                    "ImportedProposal.stored_support_count, строк Rating не "
                    "создано — поддержка на сайте считается по людям"
                )
                % {
                    "total": sum(counted),
                    "n": sum(1 for c in counted if c),
                    "max": max(counted),
                }
            )
