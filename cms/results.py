"""The generated part of a project's results page, one function per section.

Every figure is computed from rows at render time (DESIGN.md section 3:
counts are derived, never typed in). Only public content is counted and
listed: a hidden or rejected proposal, or a hidden comment, adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from crowdsourcing.models import (
    IMPLEMENTABLE_STATES,
    Comment,
    CommentState,
    ImplementationUpdate,
    Project,
    Proposal,
    ProposalState,
    Rating,
    StageKind,
)
from crowdsourcing.models.proposals import PUBLIC_STATES

logger = logging.getLogger(__name__)

S = ProposalState

# Proposals that passed the experts' selection, whatever happened after.
SELECTED_STATES = frozenset(
    {
        S.SELECTED,
        S.ON_BALLOT,
        S.WINNER,
        S.NOT_WINNER,
        S.IN_PROGRESS,
        S.IMPLEMENTED,
        S.DECLINED,
    }
)
WINNING_STATES = frozenset({S.WINNER, S.IN_PROGRESS, S.IMPLEMENTED, S.DECLINED})


@dataclass(frozen=True)
class Participation:
    proposals_sent: int
    proposals_published: int
    proposers: int
    comments: int
    commenters: int
    supports: int
    supporters: int
    participants: int


@dataclass
class BallotSection:
    """The tallies of a project's ballots, or why there are none yet."""

    available: bool
    tallies: list[Any] = field(default_factory=list)
    voting_open: bool = False


@dataclass
class Results:
    project: Project
    participation: Participation
    selected: list[Proposal]
    ballots: BallotSection
    winners: list[Proposal]


def participation(project: Project) -> Participation:
    """Count who took part in ``project`` and with what, from public rows."""
    sent = Proposal.objects.filter(project=project).exclude(state=S.DRAFT)
    public = Proposal.objects.filter(project=project, state__in=PUBLIC_STATES)
    comments = Comment.objects.filter(proposal__in=public, state=CommentState.VISIBLE)
    supports = Rating.objects.filter(proposal__in=public, value=Rating.Value.SUPPORT)
    # A participant is anyone who sent a proposal, wrote a visible comment or
    # supported a public proposal; UNION removes people counted twice.
    people = (
        sent.order_by()
        .values("author_id")
        .union(
            comments.order_by().values("author_id"),
            supports.order_by().values("user_id"),
        )
        .count()
    )
    return Participation(
        proposals_sent=sent.count(),
        proposals_published=public.count(),
        proposers=sent.values("author_id").distinct().count(),
        comments=comments.count(),
        commenters=comments.values("author_id").distinct().count(),
        supports=supports.count(),
        supporters=supports.values("user_id").distinct().count(),
        participants=people,
    )


def _selection_reasons(proposals: list[Proposal]) -> dict[int, str]:
    """Map proposal IDs to the reason residents read for their selection.

    The selection decision belongs to expert selection (issue 4), which is
    not in every tree; without it the page shows the proposals without
    reasons. Expected model: ``crowdsourcing.models.SelectionDecision`` with
    ``proposal``, ``outcome`` and ``reason``; the latest decision wins.
    """
    try:
        from crowdsourcing.models import SelectionDecision
    except ImportError:
        return {}
    reasons: dict[int, str] = {}
    decisions = SelectionDecision.objects.filter(
        proposal__in=[p.pk for p in proposals], outcome="selected"
    ).order_by("pk")
    for proposal_id, reason in decisions.values_list("proposal_id", "reason"):
        reasons[proposal_id] = reason
    return reasons


def selected_proposals(project: Project) -> list[Proposal]:
    """List the proposals the experts selected, with their reason."""
    proposals = list(
        Proposal.objects.filter(
            project=project,
            project__is_published=True,
            state__in=SELECTED_STATES,
        )
        .select_related("question", "district", "category")
        .order_by("question__position", "question_id", "title", "pk")
    )
    reasons = _selection_reasons(proposals)
    for proposal in proposals:
        proposal.selection_reason = reasons.get(proposal.pk, "")
    return proposals


@dataclass
class BallotTally:
    """One ballot's figures as the results page shows them."""

    ballot: object
    voters: int
    ranked_options: list


def ballot_results(project: Project) -> BallotSection:
    """Tally each of the project's ballots once voting has ended.

    Voting lives in ``crowdsourcing.models.ballots`` and
    ``crowdsourcing.tally`` (issue 5). This is the only function that touches them: when they are not
    installed the section says the results will follow. Interface used:
    ``Ballot.objects.filter(project=...)`` and ``tally_ballot(ballot)``
    returning ``.voters`` and ``.options`` (each with ``.title``,
    ``.external_id``, ``.votes``, ``.score``, ``.selected``); a closed
    ballot's tally comes from ``closed_ballot_tally``, which caches it.
    """
    if project.is_stage_open(StageKind.VOTING):
        # A running count shown to voters would sway the vote.
        return BallotSection(available=False, voting_open=True)
    try:
        from crowdsourcing.models.ballots import Ballot
        from crowdsourcing.tally import closed_ballot_tally, tally_ballot
    except ImportError:
        return BallotSection(available=False)
    ballots = list(Ballot.objects.filter(project=project).order_by("pk"))
    tallies = []
    for ballot in ballots:
        tally = (
            closed_ballot_tally(ballot) if ballot.is_closed() else tally_ballot(ballot)
        )
        tallies.append(
            BallotTally(
                ballot=ballot,
                voters=tally.voters,
                ranked_options=sorted(
                    tally.options, key=lambda o: (-o.score, -o.votes, o.title)
                ),
            )
        )
    return BallotSection(available=bool(tallies), tallies=tallies)


def winners(project: Project) -> list[Proposal]:
    """List winning or accepted proposals with their implementation history.

    In a project with a vote, the winners; in one without, the proposals the
    experts selected are the accepted ones.
    """
    has_vote = project.stage_window(StageKind.VOTING) is not None
    states = WINNING_STATES if has_vote else IMPLEMENTABLE_STATES
    updates = ImplementationUpdate.objects.latest_first().prefetch_related(
        "photos__image"
    )
    return list(
        Proposal.objects.filter(
            project=project, project__is_published=True, state__in=states
        )
        .select_related("question", "district")
        .prefetch_related(Prefetch("implementation_updates", queryset=updates))
        .order_by("question__position", "question_id", "title", "pk")
    )


def gather(project: Project) -> Results:
    """Compute every generated section of ``project``'s results page."""
    return Results(
        project=project,
        participation=participation(project),
        selected=selected_proposals(project),
        ballots=ballot_results(project),
        winners=winners(project),
    )
