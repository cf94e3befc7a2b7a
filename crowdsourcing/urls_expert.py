"""URLs of the expert pages, mounted at /expert/ (see views/expert.py)."""

from django.urls import path

from .views import expert

app_name = "expert"

urlpatterns = [
    path("", expert.queue, name="queue"),
    path("reviews/<int:pk>/", expert.review, name="review"),
    path("reviews/<int:pk>/conflict/", expert.declare_conflict, name="conflict"),
    path("assignments/<int:pk>/unassign/", expert.unassign, name="unassign"),
    path("projects/", expert.team_projects, name="team_projects"),
    path("projects/<slug:slug>/assignments/", expert.assignments, name="assignments"),
    path("projects/<slug:slug>/criteria/", expert.criteria, name="criteria"),
    path("criteria/<int:pk>/", expert.criterion_edit, name="criterion_edit"),
    path("criteria/<int:pk>/remove/", expert.criterion_remove, name="criterion_remove"),
    path("projects/<slug:slug>/aggregate/", expert.aggregate, name="aggregate"),
    path(
        "projects/<slug:slug>/aggregate.<str:fmt>",
        expert.aggregate_export,
        name="aggregate_export",
    ),
    path("projects/<slug:slug>/decide/", expert.decide, name="decide"),
    path("projects/<slug:slug>/select-top/", expert.select_top, name="select_top"),
]
