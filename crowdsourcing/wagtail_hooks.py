"""Admin integration: audit log action types and the admin menu."""

from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail_modeladmin.options import modeladmin_register

from .admin import ParticipationAdminGroup
from .implementation_admin import ImplementationUpdateAdmin

# Dotted action names written by the services to Wagtail's audit log. Each
# service module documents which of these it writes.
AUDIT_ACTIONS = {
    "crowd.proposal.create": _("Черновик предложения создан"),
    "crowd.proposal.edit": _("Черновик предложения изменён"),
    "crowd.proposal.submit": _("Предложение отправлено на модерацию"),
    "crowd.proposal.publish": _("Предложение опубликовано"),
    "crowd.proposal.reject": _("Предложение отклонено"),
    "crowd.proposal.hide": _("Предложение скрыто"),
    "crowd.proposal.restore": _("Предложение возвращено"),
    "crowd.proposal.merge": _("Предложение объединено"),
    "crowd.comment.create": _("Комментарий добавлен"),
    "crowd.comment.hide": _("Комментарий скрыт"),
    "crowd.comment.restore": _("Комментарий возвращён"),
    "crowd.comment.auto_hide": _("Комментарий скрыт по жалобам"),
    "crowd.rating.set": _("Оценка поставлена"),
    "crowd.rating.withdraw": _("Оценка отозвана"),
    "crowd.flag.create": _("Жалоба подана"),
    "crowd.account.delete": _("Аккаунт удалён по просьбе жителя"),
    # Expert selection (services/reviews.py)
    "crowd.criterion.add": _("Критерий оценки добавлен"),
    "crowd.criterion.change": _("Критерий оценки изменён"),
    "crowd.criterion.remove": _("Критерий оценки удалён"),
    "crowd.review.assign": _("Предложение назначено эксперту"),
    "crowd.review.unassign": _("Назначение эксперта снято"),
    "crowd.review.conflict": _("Эксперт заявил о конфликте интересов"),
    "crowd.review.draft": _("Черновик экспертного отзыва сохранён"),
    "crowd.review.submit": _("Экспертный отзыв отправлен"),
    "crowd.review.remind": _("Эксперту отправлено напоминание"),
    "crowd.proposal.under_review": _("Предложение передано на экспертизу"),
    "crowd.selection.selected": _("Предложение отобрано"),
    "crowd.selection.not_selected": _("Предложение не отобрано"),
    "crowd.implementation.update": _("Добавлен отчёт о реализации"),
    "crowd.implementation.edit": _("Исправлен отчёт о реализации"),
    "crowd.import.polis": _("Импортирована выгрузка Polis"),
    "crowd.import.consul": _("Импортирована выгрузка CONSUL"),
    # Voting (services/voting.py, services/pabulib.py): entries name the
    # ballot and the voter's participation, never the choices.
    "crowd.ballot.cast": _("Голос принят"),
    "crowd.ballot.import": _("Голосование импортировано из Pabulib"),
    "crowd.ballot.option_add": _("Предложение вынесено на голосование"),
    "crowd.ballot.option_remove": _("Вариант снят с голосования"),
    "crowd.ballot.delete": _("Бюллетень удалён до начала голосования"),
    "crowd.ballot.outcome": _("Итог голосования по предложению объявлен"),
}


@hooks.register("register_log_actions")
def register_crowd_log_actions(actions):
    for action, label in AUDIT_ACTIONS.items():
        actions.register_action(action, label, label)


@hooks.register("register_admin_urls")
def register_moderation_urls():
    from django.urls import path

    from . import ballot_admin, moderation_views

    return [
        path("moderation/", moderation_views.proposal_queue, name="crowd_moderation"),
        path(
            "moderation/comments/",
            moderation_views.comment_queue,
            name="crowd_moderation_comments",
        ),
        path(
            "moderation/proposals/<int:pk>/",
            moderation_views.proposal_review,
            name="crowd_moderation_proposal",
        ),
        path(
            "crowd/ballots/<int:pk>/options/",
            ballot_admin.ballot_options,
            name="crowd_ballot_options",
        ),
    ]


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        from . import permissions

        return permissions.moderated_projects(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ModerationMenuItem(
        _("Модерация"), reverse("crowd_moderation"), icon_name="warning", order=150
    )


modeladmin_register(ParticipationAdminGroup)


class ExpertSelectionMenuItem(MenuItem):
    """A link from the admin to the expert-selection pages on the site.

    Assignments, the ranked aggregate and selection decisions live on the
    site (views/expert.py) so that experts, who have no admin access, and the
    project team share one set of screens; the team reaches them from here.
    """

    def is_shown(self, request):
        from . import permissions

        return permissions.review_team_projects(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_expert_selection_menu_item():
    return ExpertSelectionMenuItem(
        _("Экспертный отбор"),
        reverse_lazy("crowdsourcing:expert:team_projects"),
        icon_name="tasks",
        order=900,
    )


# Implementation tracking (issue 6): department staff report progress.
modeladmin_register(ImplementationUpdateAdmin)
