from django.urls import path

from .views import projects, voting

app_name = "crowdsourcing"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project_detail"),
    path("proposals/<int:pk>/", projects.proposal_detail, name="proposal_detail"),
    path("voting/<int:pk>/", voting.ballot_detail, name="ballot_detail"),
    path("voting/<int:pk>/receipt/", voting.ballot_receipt, name="ballot_receipt"),
    path("voting/<int:pk>/results/", voting.ballot_results, name="ballot_results"),
]
