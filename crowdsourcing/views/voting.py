"""Resident pages of a ballot: fill in, confirm, receipt, results.

Everything works without JavaScript: "Проверить" re-renders the ballot with
the server's count of what is left, "Далее" shows the confirmation step and
"Подтвердить" casts. The script in cms/static/js/ballot.js only updates the
same counters while the resident clicks.

The receipt token never travels in a URL (URLs end up in access logs next
to the voter's address); it lives in an HttpOnly cookie on the voter's own
device and is shown once on the receipt page to be written down.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..models import Ballot, BallotKind, BallotOption, BallotParticipation, Project
from ..services import ServiceError
from ..services.limits import RateLimited
from ..services.voting import (
    AlreadyVoted,
    ballot_snapshot,
    cast_ballot,
    check_selection,
    check_voter,
    find_paper,
)
from ..tally import closed_ballot_tally

RECEIPT_COOKIE = "crowd_receipt_%s"


def _ballot(pk: int, user) -> Ballot:
    ballot = get_object_or_404(
        Ballot.objects.select_related("project", "district").prefetch_related(
            "project__stages"
        ),
        pk=pk,
    )
    if not permissions.can_view_ballot(user, ballot):
        raise Http404
    return ballot


def parse_selection(
    ballot: Ballot, options: list[BallotOption], data
) -> tuple[list[int], dict[int, int], list[str]]:
    """Read the form into (option ids in order, points, form errors)."""
    errors: list[str] = []
    selection: list[int] = []
    points: dict[int, int] = {}
    if ballot.kind == BallotKind.CUMULATIVE:
        for option in options:
            raw = (data.get(f"points-{option.pk}") or "").strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                errors.append(_("Баллы указываются целым числом."))
                continue
            if value < 0:
                errors.append(_("Баллы не могут быть отрицательными."))
            elif value > 0:
                selection.append(option.pk)
                points[option.pk] = value
    elif ballot.kind == BallotKind.RANKED:
        places: list[tuple[int, int]] = []
        for option in options:
            raw = (data.get(f"rank-{option.pk}") or "").strip()
            if not raw:
                continue
            try:
                places.append((int(raw), option.pk))
            except ValueError:
                errors.append(_("Место указывается числом."))
        places.sort()
        ranks = [rank for rank, _pk in places]
        if ranks != list(range(1, len(ranks) + 1)):
            errors.append(_("Места должны идти подряд с первого и не повторяться."))
        selection = [pk for _rank, pk in places]
    else:
        for raw in data.getlist("option"):
            try:
                selection.append(int(raw))
            except ValueError:
                errors.append(_("В бюллетене нет выбранного варианта."))
    return selection, points, errors


def _context(ballot, options, selection, points, check, extra_errors=()):
    chosen = set(selection)
    ranks = {pk: place for place, pk in enumerate(selection, start=1)}
    rows = [
        {
            "option": option,
            "checked": option.pk in chosen,
            "points": points.get(option.pk, ""),
            "rank": ranks.get(option.pk, "")
            if ballot.kind == BallotKind.RANKED
            else "",
        }
        for option in options
    ]
    return {
        "ballot": ballot,
        "project": ballot.project,
        "rows": rows,
        "check": check,
        "errors": list(extra_errors) + list(check.errors if check else []),
        "rank_choices": range(1, (ballot.max_choices or len(options)) + 1),
        "selected_rows": [
            r for r in sorted(rows, key=lambda r: r["rank"] or 0) if r["checked"]
        ],
    }


@never_cache
@require_http_methods(["GET", "POST"])
def ballot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = ballot_snapshot(pk)
    if snapshot is None or not permissions.can_view_ballot(
        request.user, snapshot.ballot
    ):
        raise Http404
    ballot, options = snapshot.ballot, snapshot.options
    action = request.POST.get("action", "check") if request.method == "POST" else ""
    participation = None
    if request.user.is_authenticated and action != "cast":
        # A cast does not ask first: the participation's unique index refuses
        # a second paper, also one racing this request (AlreadyVoted below).
        participation = BallotParticipation.objects.filter(
            ballot=ballot, voter=request.user
        ).first()
    refusal = None
    if participation is None:
        try:
            check_voter(request.user, ballot)
        except ServiceError as error:
            refusal = error.message
    if request.method == "GET" or participation is not None or refusal:
        return _show_ballot(request, ballot, options, participation, refusal)

    selection, points, form_errors = parse_selection(ballot, options, request.POST)
    check = check_selection(ballot, options, selection, points)
    context = _context(ballot, options, selection, points, check, form_errors)
    context.update(ballot=ballot, project=ballot.project, participation=None)
    ready = not form_errors and not check.errors
    if action == "confirm" and ready:
        return render(request, "crowdsourcing/voting/confirm.html", context)
    if action == "cast" and ready:
        try:
            receipt = cast_ballot(
                request.user, ballot, selection, points, options=options
            )
        except AlreadyVoted:
            participation = BallotParticipation.objects.filter(
                ballot=ballot, voter=request.user
            ).first()
            return _show_ballot(request, ballot, options, participation, None)
        except ServiceError as error:
            context["errors"] = [error.message]
            status = 429 if isinstance(error, RateLimited) else 409
            return render(
                request, "crowdsourcing/voting/ballot.html", context, status=status
            )
        # "?new" asks the receipt page to show the code once; the code itself
        # only ever travels in the cookie.
        response = redirect(
            reverse("crowdsourcing:ballot_receipt", args=[ballot.pk]) + "?new=1"
        )
        response.set_cookie(
            RECEIPT_COOKIE % ballot.pk,
            receipt.token,
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            secure=request.is_secure(),
            samesite="Strict",
            path="/voting/",
        )
        return response
    status = 200 if action == "check" else 400
    return render(request, "crowdsourcing/voting/ballot.html", context, status=status)


def _show_ballot(request, ballot, options, participation, refusal) -> HttpResponse:
    """The ballot as offered: empty form, "you voted" or why not (403)."""
    context = _context(ballot, options, [], {}, None)
    context.update(
        ballot=ballot,
        project=ballot.project,
        participation=participation,
        refusal=refusal,
    )
    if request.method == "GET":
        context["check"] = check_selection(ballot, options, [], {})
        context["errors"] = []
    status = 200 if request.method == "GET" else 403
    return render(request, "crowdsourcing/voting/ballot.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ballot_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The voter's own view: that they voted and, with their token, what."""
    ballot = _ballot(pk, request.user)
    participation = get_object_or_404(
        BallotParticipation, ballot=ballot, voter=request.user
    )
    token = request.COOKIES.get(RECEIPT_COOKIE % ballot.pk, "")
    if request.method == "POST":
        token = request.POST.get("code", "").strip()
    paper = find_paper(ballot, token)
    show_code = request.method == "GET" and request.GET.get("new") == "1"
    votes = []
    if paper is not None:
        votes = sorted(
            paper.votes.all(), key=lambda v: (v.rank or 0, v.option.position)
        )
    response = render(
        request,
        "crowdsourcing/voting/receipt.html",
        {
            "ballot": ballot,
            "project": ballot.project,
            "participation": participation,
            "votes": votes,
            "code": token if show_code and paper else "",
            "code_refused": request.method == "POST" and paper is None,
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    if request.method == "POST" and paper is not None:
        response.set_cookie(
            RECEIPT_COOKIE % ballot.pk,
            token,
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            secure=request.is_secure(),
            samesite="Strict",
            path="/voting/",
        )
    return response


def ballot_results(request: HttpRequest, pk: int) -> HttpResponse:
    ballot = _ballot(pk, request.user)
    if not permissions.can_view_ballot_results(request.user, ballot):
        return render(
            request,
            "crowdsourcing/voting/results.html",
            {"ballot": ballot, "project": ballot.project, "tally": None},
            status=403,
        )
    return render(
        request,
        "crowdsourcing/voting/results.html",
        {
            "ballot": ballot,
            "project": ballot.project,
            "tally": closed_ballot_tally(ballot),
        },
    )


def project_ballots(request: HttpRequest, slug: str) -> HttpResponse:
    """Send a resident to the project's ballot, or list them if several."""
    project = get_object_or_404(Project.objects.public(), slug=slug)
    ballots = list(Ballot.objects.filter(project=project).order_by("pk"))
    if len(ballots) == 1:
        return redirect("crowdsourcing:ballot_detail", pk=ballots[0].pk)
    return render(
        request,
        "crowdsourcing/voting/project_ballots.html",
        {"project": project, "ballots": ballots},
    )
