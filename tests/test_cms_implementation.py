"""Implementation tracking: who may report, what the records allow."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from guardian.shortcuts import assign_perm
from wagtail.models import ModelLogEntry

from crowdsourcing.models import (
    ImplementationPhoto,
    ImplementationStatus,
    ImplementationUpdate,
    ProposalState,
)
from crowdsourcing.roles import Role
from crowdsourcing.services import PermissionDenied, ServiceError
from crowdsourcing.services.implementation import (
    edit_implementation_update,
    record_implementation_update,
)

from .factories import (
    DepartmentFactory,
    ImplementationUpdateFactory,
    ProjectFactory,
    ProposalFactory,
    QuestionFactory,
    UserFactory,
    make_image,
)

pytestmark = pytest.mark.django_db

S = ProposalState
ADMIN = "/admin/crowdsourcing/implementationupdate/"


@pytest.fixture
def department():
    return DepartmentFactory(name="Департамент ЖКХ")


@pytest.fixture
def staff(department):
    user = UserFactory(email="zhkh@example.org", roles=[Role.DEPARTMENT_STAFF])
    assign_perm("crowdsourcing.work_for_department", user, department)
    return user


@pytest.fixture
def other_staff():
    user = UserFactory(email="transport@example.org", roles=[Role.DEPARTMENT_STAFF])
    assign_perm("crowdsourcing.work_for_department", user, DepartmentFactory())
    return user


@pytest.fixture
def winner(department):
    project = ProjectFactory(department=department, title="Дворы ЖКХ")
    return ProposalFactory(
        question=QuestionFactory(project=project),
        state=S.WINNER,
        title="Освещение во дворе на Профсоюзной",
    )


def report(user, proposal, status, **kwargs):
    kwargs.setdefault("note", "Работы идут по графику.")
    return record_implementation_update(user, proposal, status=status, **kwargs)


def test_department_staff_records_an_update_with_photos_and_audit(staff, winner):
    image = make_image("Фонари")
    update = report(
        staff,
        winner,
        ImplementationStatus.IN_PROGRESS,
        happened_on=date(2026, 5, 4),
        photos=[(image, "Новые фонари")],
    )

    winner.refresh_from_db()
    assert update.author == staff
    assert update.happened_on == date(2026, 5, 4)
    assert winner.state == S.IN_PROGRESS
    assert [(p.image_id, p.caption) for p in update.photos.all()] == [
        (image.pk, "Новые фонари")
    ]
    entry = ModelLogEntry.objects.get(action="crowd.implementation.update")
    assert entry.user_id == staff.pk
    assert entry.data["status"] == "in_progress"
    assert entry.data["proposal_state_before"] == "winner"


def test_done_moves_a_winner_through_in_progress_to_implemented(staff, winner):
    report(staff, winner, ImplementationStatus.DONE)

    winner.refresh_from_db()
    assert winner.state == S.IMPLEMENTED


def test_planned_leaves_the_proposal_state_alone(staff, winner):
    report(staff, winner, ImplementationStatus.PLANNED)

    winner.refresh_from_db()
    assert winner.state == S.WINNER


def test_selected_proposal_without_vote_keeps_its_state(staff, department):
    project = ProjectFactory(department=department)
    selected = ProposalFactory(
        question=QuestionFactory(project=project), state=S.SELECTED
    )

    update = report(staff, selected, ImplementationStatus.DONE)

    selected.refresh_from_db()
    assert selected.state == S.SELECTED
    assert update.status == ImplementationStatus.DONE


def test_decline_needs_a_reason(staff, winner):
    with pytest.raises(ServiceError) as error:
        report(staff, winner, ImplementationStatus.DECLINED, declined_reason="  ")
    assert error.value.code == "reason_required"
    assert not ImplementationUpdate.objects.exists()

    report(
        staff,
        winner,
        ImplementationStatus.DECLINED,
        declined_reason="Участок передан под строительство школы.",
    )
    winner.refresh_from_db()
    assert winner.state == S.DECLINED


def test_finished_implementation_cannot_be_reopened(staff, winner):
    report(staff, winner, ImplementationStatus.DONE)

    with pytest.raises(ServiceError) as error:
        report(staff, winner, ImplementationStatus.IN_PROGRESS)
    assert error.value.code == "implementation_final"

    # Another "done" update (say, photos of the result) is fine.
    report(staff, winner, ImplementationStatus.DONE, note="Фото готового двора.")
    assert ImplementationUpdate.objects.filter(proposal=winner).count() == 2


@pytest.mark.parametrize("state", [S.PUBLISHED, S.ON_BALLOT, S.NOT_WINNER, S.HIDDEN])
def test_only_accepted_proposals_get_reports(staff, department, state):
    project = ProjectFactory(department=department)
    proposal = ProposalFactory(question=QuestionFactory(project=project), state=state)

    with pytest.raises(ServiceError) as error:
        report(staff, proposal, ImplementationStatus.PLANNED)
    assert error.value.code == "not_implementable"


@pytest.mark.parametrize("actor", ["other_staff", "editor", "moderator", "resident"])
def test_people_outside_the_department_are_refused(request, winner, actor):
    user = request.getfixturevalue(actor)

    with pytest.raises(PermissionDenied):
        report(user, winner, ImplementationStatus.PLANNED)
    assert not ImplementationUpdate.objects.exists()


def test_operator_may_report(operator, winner):
    report(operator, winner, ImplementationStatus.PLANNED)
    assert ImplementationUpdate.objects.filter(author=operator).count() == 1


def test_edit_changes_text_and_date_but_is_refused_to_others(
    staff, other_staff, winner
):
    update = report(staff, winner, ImplementationStatus.IN_PROGRESS)

    edit_implementation_update(
        staff, update, note="Уточнение: работы до июня.", happened_on=date(2026, 5, 1)
    )
    update.refresh_from_db()
    assert update.note == "Уточнение: работы до июня."
    assert update.status == ImplementationStatus.IN_PROGRESS

    with pytest.raises(PermissionDenied):
        edit_implementation_update(
            other_staff, update, note="Чужая правка", happened_on=date(2026, 5, 2)
        )


def test_database_refuses_a_decline_without_reason(winner):
    with pytest.raises(IntegrityError), transaction.atomic():
        ImplementationUpdate.objects.create(
            proposal=winner, status="declined", happened_on=date(2026, 1, 1), note="x"
        )


def test_database_refuses_a_reason_without_decline(winner):
    with pytest.raises(IntegrityError), transaction.atomic():
        ImplementationUpdate.objects.create(
            proposal=winner,
            status="planned",
            happened_on=date(2026, 1, 1),
            note="x",
            declined_reason="лишнее",
        )


# --- admin ---


def test_admin_lists_only_the_staff_members_department(
    client, staff, other_staff, winner
):
    mine = ImplementationUpdateFactory(proposal=winner, note="Наш двор")
    theirs_project = ProjectFactory()
    theirs = ImplementationUpdateFactory(
        proposal=ProposalFactory(
            question=QuestionFactory(project=theirs_project),
            state=S.WINNER,
            title="Чужая остановка",
        )
    )
    client.force_login(staff)

    listing = client.get(ADMIN)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Освещение во дворе на Профсоюзной" in html
    assert "Чужая остановка" not in html
    assert client.get(f"{ADMIN}edit/{mine.pk}/").status_code == 200
    assert client.get(f"{ADMIN}edit/{theirs.pk}/").status_code in (302, 403)
    assert client.get(f"{ADMIN}inspect/{theirs.pk}/").status_code in (302, 403)


def test_admin_create_offers_only_own_accepted_proposals(
    client, staff, winner, department
):
    ProposalFactory(
        question=QuestionFactory(project=winner.project),
        state=S.PUBLISHED,
        title="Ещё не отобранное",
    )
    ProposalFactory(state=S.WINNER, title="Победитель другого ведомства")
    client.force_login(staff)

    html = client.get(f"{ADMIN}create/").content.decode()

    assert "Освещение во дворе на Профсоюзной" in html
    assert "Ещё не отобранное" not in html
    assert "Победитель другого ведомства" not in html


def photo_management(total=0):
    return {
        "photos-TOTAL_FORMS": str(total),
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "12",
    }


def test_admin_create_goes_through_the_service(client, staff, winner):
    image = make_image("Двор")
    client.force_login(staff)
    data = {
        "proposal": str(winner.pk),
        "status": "in_progress",
        "happened_on": "2026-06-01",
        "note": "Установлены восемь опор освещения.",
        "declined_reason": "",
        **photo_management(1),
        "photos-0-image": str(image.pk),
        "photos-0-caption": "Опоры вдоль дорожки",
        "photos-0-ORDER": "1",
        "photos-0-DELETE": "",
        "photos-0-id": "",
    }

    response = client.post(f"{ADMIN}create/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    update = ImplementationUpdate.objects.get()
    assert update.author == staff
    assert update.happened_on == date(2026, 6, 1)
    assert list(ImplementationPhoto.objects.values_list("caption", flat=True)) == [
        "Опоры вдоль дорожки"
    ]
    winner.refresh_from_db()
    assert winner.state == S.IN_PROGRESS
    assert (
        ModelLogEntry.objects.filter(action="crowd.implementation.update").count() == 1
    )


def test_admin_create_shows_the_service_refusal(client, staff, winner):
    client.force_login(staff)
    data = {
        "proposal": str(winner.pk),
        "status": "declined",
        "happened_on": "2026-06-01",
        "note": "Отказ.",
        "declined_reason": "",
        **photo_management(0),
    }

    response = client.post(f"{ADMIN}create/", data)

    assert response.status_code == 200
    assert "Укажите причину отказа от реализации." in response.content.decode()
    assert not ImplementationUpdate.objects.exists()


@pytest.mark.parametrize("actor", ["editor", "moderator", "expert"])
def test_admin_is_closed_to_other_roles(client, request, actor):
    client.force_login(request.getfixturevalue(actor))

    assert client.get(ADMIN).status_code in (302, 403)
    assert client.get(f"{ADMIN}create/").status_code in (302, 403)


def test_staff_without_a_department_gets_no_menu_item(client):
    user = UserFactory(roles=[Role.DEPARTMENT_STAFF])
    client.force_login(user)

    assert client.get(ADMIN).status_code in (302, 403)


def test_proposal_include_shows_status_and_reason(winner, staff):
    from django.template.loader import render_to_string

    report(
        staff,
        winner,
        ImplementationStatus.DECLINED,
        declined_reason="Жители дома проголосовали против.",
    )

    html = render_to_string(
        "crowdsourcing/includes/implementation.html", {"proposal": winner}
    )

    assert 'data-status="declined"' in html
    assert "Отказ от реализации" in html
    assert "Жители дома проголосовали против." in html


def test_admin_edit_corrects_text_but_keeps_the_status(client, staff, winner):
    update = report(staff, winner, ImplementationStatus.IN_PROGRESS)
    client.force_login(staff)
    data = {
        "proposal": str(winner.pk),
        "status": "done",  # disabled field: the posted value is ignored
        "happened_on": "2026-07-10",
        "note": "Уточнение: опоры установлены в июле.",
        "declined_reason": "",
        **photo_management(0),
    }

    response = client.post(f"{ADMIN}edit/{update.pk}/", data)

    assert response.status_code == 302
    update.refresh_from_db()
    assert update.note == "Уточнение: опоры установлены в июле."
    assert update.happened_on == date(2026, 7, 10)
    assert update.status == ImplementationStatus.IN_PROGRESS
    assert ModelLogEntry.objects.filter(action="crowd.implementation.edit").count() == 1


def test_department_staff_may_upload_and_choose_photos(staff_member, editor, expert):
    from wagtail.images import get_image_model
    from wagtail.permissions import policy_registry

    permission_policy = policy_registry.get_by_type(get_image_model())

    assert permission_policy.user_has_permission(staff_member, "choose")
    assert permission_policy.user_has_permission(staff_member, "add")
    assert not permission_policy.user_has_permission(expert, "choose")
