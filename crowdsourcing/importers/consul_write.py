"""The writing half of the CONSUL import (see consul.py for the decisions).

Everything here runs inside the transaction import_consul opens, after the
files have been read and checked: a failure rolls the whole import back.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

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
    Progress,
    ProjectSpec,
    Summary,
    bulk_insert,
    ensure_project,
    ensure_pseudonymous_users,
    ensure_reasons,
)
from .screening import PROBE_FLAG, TEST_FLAG, screen
from .text import fingerprint

if TYPE_CHECKING:
    from .consul import SourceProposal

BODY_LIMIT = 5000
UNKNOWN_AUTHOR = "unknown"


class ConsulWriter:
    """Write checked CONSUL proposals and comments into one project."""

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
