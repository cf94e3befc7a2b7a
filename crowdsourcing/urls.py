from django.urls import include, path

from .views import comments, projects, proposals, voting

app_name = "crowdsourcing"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project_detail"),
    path(
        "projects/<slug:slug>/proposals/",
        proposals.proposal_list,
        name="proposal_list",
    ),
    path(
        "projects/<slug:slug>/propose/",
        proposals.proposal_create,
        name="proposal_create",
    ),
    path("my/proposals/", proposals.my_proposals, name="my_proposals"),
    path("proposals/<int:pk>/", proposals.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/edit/", proposals.proposal_edit, name="proposal_edit"),
    path(
        "proposals/<int:pk>/submit/", proposals.proposal_submit, name="proposal_submit"
    ),
    path("proposals/<int:pk>/rate/", proposals.proposal_rate, name="proposal_rate"),
    path("proposals/<int:pk>/flag/", proposals.proposal_flag, name="proposal_flag"),
    path(
        "proposals/<int:pk>/comments/",
        comments.comment_create,
        name="comment_create",
    ),
    path("comments/<int:pk>/flag/", comments.comment_flag, name="comment_flag"),
    path("expert/", include("crowdsourcing.urls_expert")),
    path("projects/<slug:slug>/voting/", voting.project_ballots, name="ballot_list"),
    path("voting/<int:pk>/", voting.ballot_detail, name="ballot_detail"),
    path("voting/<int:pk>/receipt/", voting.ballot_receipt, name="ballot_receipt"),
    path("voting/<int:pk>/results/", voting.ballot_results, name="ballot_results"),
]
