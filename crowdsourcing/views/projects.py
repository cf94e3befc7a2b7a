"""Project pages of the resident site."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .. import permissions
from ..models import Project, StageKind
from ..services.accounts import is_following


def project_list(request):
    projects = (
        Project.objects.public().select_related("department").prefetch_related("stages")
    )
    page = Paginator(projects, 20).get_page(request.GET.get("page"))
    return render(request, "crowdsourcing/project_list.html", {"page_obj": page})


def project_detail(request, slug):
    project = get_object_or_404(
        Project.objects.public()
        .select_related("department")
        .prefetch_related("stages", "questions"),
        slug=slug,
    )
    stages = sorted(project.stages.all(), key=lambda s: StageKind.order(s.kind))
    voting = project.stage_window(StageKind.VOTING)
    now = timezone.now()
    return render(
        request,
        "crowdsourcing/project_detail.html",
        {
            "project": project,
            "stages": stages,
            "current_stage": project.current_stage(),
            "proposals_open": permissions.is_stage_open(project, StageKind.PROPOSALS),
            "can_submit": permissions.can_submit_proposal(request.user, project),
            "listed_count": project.proposals.listed().count(),
            "ballots": list(project.ballots.order_by("pk")),
            "voting": voting,
            "voting_open": voting is not None and voting.contains(now),
            "voting_closed": voting is not None and now >= voting.ends_at,
            "is_following": is_following(request.user, project),
        },
    )
