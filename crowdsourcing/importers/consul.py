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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crowdsourcing.models import (
    Comment,
    CommentPlacement,
)

from .base import (
    CsvTable,
    DateReader,
    ImportFileError,
    Progress,
    Record,
    Summary,
    detect_language,
    parse_count,
    parse_int,
    recount_project_tallies,
)
from .consul_write import UNKNOWN_AUTHOR, ConsulWriter
from .text import shorten, to_text

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
ORPHAN_CHOICES = ("top-level", "refuse")


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
        writer = ConsulWriter(proposals_file, summary, progress, source_label, language)
        writer.write(
            slug,
            title,
            attribution,
            proposals,
            comments,
            placements,
            Path(comments_file).name if comments_file else "",
        )
        # Rows went in without the services; the list's sort tallies follow.
        recount_project_tallies(slug)
    summary.finish()
    logger.info(
        "CONSUL import of %s: %s rows written in %.1fs",
        proposals_file.name,
        summary.rows_written,
        summary.seconds,
    )
    return summary
