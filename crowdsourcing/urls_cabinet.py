from django.urls import path

from .views import cabinet

app_name = "cabinet"

urlpatterns = [
    path("", cabinet.overview, name="overview"),
    path("comments/", cabinet.my_comments, name="comments"),
    path("ratings/", cabinet.my_ratings, name="ratings"),
    path("settings/", cabinet.notification_settings, name="settings"),
    path("export.json", cabinet.export_data, name="export"),
    path("delete/", cabinet.delete_account, name="delete"),
    path("follow/<slug:slug>/", cabinet.follow, name="follow"),
]
