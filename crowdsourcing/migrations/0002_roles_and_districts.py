"""Create the role groups with their model permissions, and the districts.

The districts come from fixtures/moscow_districts.csv (a copy of the shared
data set); an operator edits them in the admin afterwards.
"""

import csv
from pathlib import Path

from django.db import migrations

ROLE_PERMISSIONS = {
    "Operators": None,  # every permission
    "Moderators": [
        "wagtailadmin.access_admin",
        "crowdsourcing.view_project",
        "crowdsourcing.view_question",
        "crowdsourcing.view_proposal",
        "crowdsourcing.change_proposal",
        "crowdsourcing.view_comment",
        "crowdsourcing.change_comment",
        "crowdsourcing.view_flag",
        "crowdsourcing.view_moderationdecision",
        "crowdsourcing.view_moderationreason",
    ],
    "Editors": [
        "wagtailadmin.access_admin",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
    ],
    "Department staff": [
        "wagtailadmin.access_admin",
        "crowdsourcing.view_project",
        "crowdsourcing.view_question",
        "crowdsourcing.add_question",
        "crowdsourcing.change_question",
        "crowdsourcing.view_proposal",
    ],
    "Experts": [],
}

KINDS = {"район": "district", "поселение": "settlement"}


def create_permissions(apps):
    # Model permissions are normally created after all migrations ran; make
    # sure they exist now so the groups can be given them.
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions as create

    for app_config in global_apps.get_app_configs():
        create(app_config, verbosity=0)


def grant_whole_tree(apps, group):
    """Give ``group`` every page and collection permission from the root.

    Wagtail checks pages and media against these rows, not against model
    permissions, so holding every Permission is not enough on its own.
    """
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model(
        "wagtailcore", "GroupCollectionPermission"
    )
    root_page = Page.objects.filter(depth=1).first()
    if root_page is not None:
        for perm in Permission.objects.filter(
            content_type__app_label="wagtailcore",
            codename__in=[
                "add_page",
                "change_page",
                "publish_page",
                "bulk_delete_page",
                "lock_page",
                "unlock_page",
            ],
        ):
            GroupPagePermission.objects.get_or_create(
                group=group, page=root_page, permission=perm
            )
    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for perm in Permission.objects.filter(
            content_type__app_label__in=["wagtailimages", "wagtaildocs"],
            codename__regex=r"^(add|change|delete|choose)_",
        ):
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=root_collection, permission=perm
            )


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    District = apps.get_model("crowdsourcing", "District")

    create_permissions(apps)

    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if codenames is None:
            group.permissions.set(Permission.objects.all())
            grant_whole_tree(apps, group)
            continue
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                group.permissions.add(perm)

    path = Path(__file__).resolve().parents[2] / "fixtures" / "moscow_districts.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            okrug, _ = District.objects.get_or_create(
                name=row["okrug"],
                parent=None,
                defaults={"kind": "okrug", "abbreviation": row["okrug_abbr"]},
            )
            District.objects.get_or_create(
                name=row["name"],
                parent=okrug,
                defaults={"kind": KINDS.get(row["kind"], "district")},
            )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=list(ROLE_PERMISSIONS)
    ).delete()
    apps.get_model("crowdsourcing", "District").objects.filter(
        parent__isnull=False
    ).delete()
    apps.get_model("crowdsourcing", "District").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crowdsourcing", "0001_initial"),
        # After Wagtail's own data migrations, which create the Editors and
        # Moderators groups and add collection permissions to groups without
        # checking for rows that already exist.
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("guardian", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
