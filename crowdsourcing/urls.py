from django.urls import include, path

from .views import projects

app_name = "crowdsourcing"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project_detail"),
    path("proposals/<int:pk>/", projects.proposal_detail, name="proposal_detail"),
    path("expert/", include("crowdsourcing.urls_expert")),
]
