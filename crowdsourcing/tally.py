"""Count a ballot: exact per-option votes and scores, and who wins.

Counting is one aggregate query over the vote rows (COUNT and SUM grouped by
option), so a million papers are counted by the database, not by a Python
loop. Only the Method of Equal Shares needs the papers themselves, because
it looks at who supports what together; it reads (paper, option) pairs
without any voter.

Ties are broken by one documented, deterministic order, used by every rule
(and handed to pabutools as the project names for equal shares):

1. the higher score, then
2. more votes (ballots naming the option), then
3. the lower cost, then
4. the option's position on the ballot, then its id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Count, Sum

from .models import Ballot, BallotKind, BallotOption, BallotPaper, BallotRule, Vote


@dataclass
class OptionResult:
    option_id: int
    external_id: str
    title: str
    cost: int
    proposal_id: int | None
    position: int = 0
    votes: int = 0
    score: int = 0
    selected: bool = False


@dataclass
class TallyResult:
    ballot_id: int
    kind: str
    rule: str
    budget: int | None
    voters: int
    options: list[OptionResult] = field(default_factory=list)

    @property
    def selected(self) -> list[OptionResult]:
        return [option for option in self.options if option.selected]

    @property
    def spent(self) -> int:
        return sum(option.cost for option in self.selected)

    def ranking(self) -> list[OptionResult]:
        """Return the options best first, in the tie-break order."""
        return sorted(self.options, key=_order_key)

    def as_json(self) -> dict:
        """Return the shape printed by ``manage.py tally --json``."""
        return {
            "ballot": self.ballot_id,
            "kind": self.kind,
            "rule": self.rule,
            "budget": self.budget,
            "voters": self.voters,
            "options": [
                {
                    "external_id": option.external_id,
                    "votes": option.votes,
                    "score": option.score,
                    "selected": option.selected,
                }
                for option in self.options
            ],
        }

    def as_dict(self) -> dict:
        return asdict(self)


def _order_key(option: OptionResult) -> tuple:
    return (
        -option.score,
        -option.votes,
        option.cost,
        option.position,
        option.option_id,
    )


def tally_ballot(ballot: Ballot) -> TallyResult:
    """Count ``ballot`` and mark the options its rule selects."""
    options = list(
        BallotOption.objects.filter(ballot=ballot).order_by("position", "pk")
    )
    results = []
    by_id = {}
    for option in options:
        result = OptionResult(
            option_id=option.pk,
            external_id=option.external_id,
            title=option.title,
            cost=option.cost,
            proposal_id=option.proposal_id,
            position=option.position,
        )
        results.append(result)
        by_id[option.pk] = result
    counts = (
        Vote.objects.filter(option_id__in=list(by_id))
        .values("option_id")
        .annotate(votes=Count("*"), score=Sum("points"))
        .order_by()
    )
    for row in counts:
        by_id[row["option_id"]].votes = row["votes"]
        by_id[row["option_id"]].score = row["score"] or 0
    voters = BallotPaper.objects.filter(ballot=ballot).count()
    tally = TallyResult(
        ballot_id=ballot.pk,
        kind=ballot.kind,
        rule=ballot.rule,
        budget=ballot.budget,
        voters=voters,
        options=results,
    )
    _select(ballot, tally)
    return tally


def _select(ballot: Ballot, tally: TallyResult) -> None:
    ranking = tally.ranking()
    if ballot.rule == BallotRule.MOST_VOTES:
        for option in ranking[: ballot.winners]:
            # An option nobody chose wins nothing, even with free seats.
            option.selected = option.votes > 0
    elif ballot.rule in (BallotRule.GREEDY, BallotRule.GREEDY_STOP):
        remaining = ballot.budget or 0
        for option in ranking:
            if option.votes == 0:
                break
            if option.cost <= remaining:
                option.selected = True
                remaining -= option.cost
            elif ballot.rule == BallotRule.GREEDY_STOP:
                break
    elif ballot.rule == BallotRule.EQUAL_SHARES:
        for option_id in equal_shares(ballot, ranking):
            next(o for o in tally.options if o.option_id == option_id).selected = True


def equal_shares(ballot: Ballot, ranking: list[OptionResult]) -> set[int]:
    """Return the option ids the Method of Equal Shares selects.

    pabutools computes the rule, with cost satisfaction (Pabulib's
    convention) and the add-one completion: every voter's share grows by one
    unit of currency until the outcome would overspend the budget, and the
    last affordable outcome stands. A ranked paper counts as approval of
    every option it places; cumulative points are the satisfaction. pabutools' own loop also stops at the
    first *exhaustive* outcome, which is not what Pabulib's "add1" does
    (Wieliczka 2023 differs by three projects), so the instance handed in
    never reports itself exhaustive.
    """
    from pabutools.election import (
        Additive_Cardinal_Sat,
        ApprovalBallot,
        ApprovalProfile,
        Cost_Sat,
        CumulativeBallot,
        CumulativeProfile,
        Instance,
        Project,
    )
    from pabutools.rules import method_of_equal_shares

    class _NeverExhaustive(Instance):
        def is_exhaustive(self, *args, **kwargs) -> bool:
            return False

    # Zero-padded ranks as names: pabutools breaks ties by the smallest
    # name, which is then our documented order.
    projects = {
        option.option_id: Project(f"{index:06d}", option.cost)
        for index, option in enumerate(ranking)
    }
    instance = _NeverExhaustive(projects.values(), budget_limit=ballot.budget or 0)
    papers: dict = defaultdict(dict)
    rows = Vote.objects.filter(option_id__in=list(projects)).values_list(
        "paper_id", "option_id", "points"
    )
    for paper_id, option_id, points in rows.iterator(chunk_size=20_000):
        papers[paper_id][option_id] = points
    if ballot.kind == BallotKind.CUMULATIVE:
        profile = CumulativeProfile(
            [
                CumulativeBallot({projects[o]: p for o, p in paper.items()})
                for paper in papers.values()
            ],
            instance=instance,
        )
        # Points are the satisfaction on a cumulative ballot.
        outcome = method_of_equal_shares(
            instance, profile, sat_class=Additive_Cardinal_Sat, voter_budget_increment=1
        )
    else:
        profile = ApprovalProfile(
            [ApprovalBallot(projects[o] for o in paper) for paper in papers.values()],
            instance=instance,
        )
        outcome = method_of_equal_shares(
            instance,
            profile.as_multiprofile(),
            sat_class=Cost_Sat,
            voter_budget_increment=1,
        )
    chosen = {project.name for project in outcome}
    return {oid for oid, project in projects.items() if project.name in chosen}


def closed_ballot_tally(ballot: Ballot) -> TallyResult:
    """Tally a closed ballot once and keep the result in the cache.

    Papers cannot be added after the close, so the result only changes if
    papers are imported or removed by hand; the key holds the paper count,
    which makes such a change miss the cache. The Method of Equal Shares on
    thousands of ballots takes seconds, which a results page must not pay
    on every view.
    """
    from django.core.cache import cache

    papers = ballot.papers.count()
    key = "crowd:tally:%s:%s:%s:%s" % (
        ballot.pk,
        ballot.created_at.timestamp(),
        ballot.rule,
        papers,
    )
    result = cache.get(key)
    if result is None:
        result = tally_ballot(ballot)
        cache.set(key, result, timeout=24 * 3600)
    return result
