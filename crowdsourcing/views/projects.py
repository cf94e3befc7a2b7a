from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .. import permissions
from ..models import Project, Proposal


def project_list(request):
    projects = (
        Project.objects.public().select_related("department").prefetch_related("stages")
    )
    page = Paginator(projects, 20).get_page(request.GET.get("page"))
    return render(request, "crowdsourcing/project_list.html", {"page_obj": page})


def project_detail(request, slug):
    project = get_object_or_404(
        Project.objects.public().prefetch_related("stages", "questions"), slug=slug
    )
    return render(request, "crowdsourcing/project_detail.html", {"project": project})


def proposal_detail(request, pk):
    proposal = get_object_or_404(
        Proposal.objects.select_related("project", "question", "author"), pk=pk
    )
    if not permissions.can_view_proposal(request.user, proposal):
        raise Http404
    return render(request, "crowdsourcing/proposal_detail.html", {"proposal": proposal})
