"""Set up the editorial workflow and the page rights of each role.

Wagtail's own migrations create "Editors" (add and change pages) and
"Moderators" (also publish) and a "Moderators approval" workflow on the root
page. This migration makes that state explicit and repairs it if someone
changed it, so that:

- an editor drafts and submits pages for moderation but cannot publish;
- a moderator (the senior editor) approves and publishes;
- department staff may upload and choose images (photos of implementation)
  but have no page rights at all.

Editors get no crowdsourcing model permission here or anywhere else; the
tests in tests/test_cms_workflow.py hold that line.
"""

from django.db import migrations

EDITOR_PAGE_PERMS = ["add_page", "change_page", "lock_page", "unlock_page"]
MODERATOR_PAGE_PERMS = [*EDITOR_PAGE_PERMS, "publish_page"]
STAFF_IMAGE_PERMS = ["add_image", "choose_image"]
WORKFLOW_NAME = "Moderators approval"


def forwards(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)

    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model(
        "wagtailcore", "GroupCollectionPermission"
    )
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    root = Page.objects.filter(depth=1).first()
    if root is None:
        return
    editors, _ = Group.objects.get_or_create(name="Editors")
    moderators, _ = Group.objects.get_or_create(name="Moderators")

    def page_perms(codenames):
        return Permission.objects.filter(
            content_type__app_label="wagtailcore",
            content_type__model="page",
            codename__in=codenames,
        )

    grants = ((editors, EDITOR_PAGE_PERMS), (moderators, MODERATOR_PAGE_PERMS))
    for group, codenames in grants:
        for perm in page_perms(codenames):
            GroupPagePermission.objects.get_or_create(
                group=group, page=root, permission=perm
            )
    # Publishing is the approver's right: an editor must go through review.
    GroupPagePermission.objects.filter(
        group=editors, permission__codename="publish_page"
    ).delete()

    staff = Group.objects.filter(name="Department staff").first()
    root_collection = Collection.objects.filter(depth=1).first()
    if staff is not None and root_collection is not None:
        for perm in Permission.objects.filter(
            content_type__app_label="wagtailimages", codename__in=STAFF_IMAGE_PERMS
        ):
            GroupCollectionPermission.objects.get_or_create(
                group=staff, collection=root_collection, permission=perm
            )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=WORKFLOW_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(
            name=WORKFLOW_NAME, content_type=task_type, active=True
        )
    task.groups.add(moderators)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_page_types"),
        ('crowdsourcing', '0003_domain'),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
