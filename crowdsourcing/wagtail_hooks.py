"""Admin integration: audit log action types and the admin menu."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

# Dotted action names written by the services to Wagtail's audit log. Each
# service module documents which of these it writes.
AUDIT_ACTIONS = {
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
    "crowd.flag.create": _("Жалоба подана"),
    # Voting (services/voting.py, services/pabulib.py): entries name the
    # ballot and the voter's participation, never the choices.
    "crowd.ballot.cast": _("Голос принят"),
    "crowd.ballot.import": _("Голосование импортировано из Pabulib"),
    "crowd.ballot.option_add": _("Предложение вынесено на голосование"),
}


@hooks.register("register_log_actions")
def register_crowd_log_actions(actions):
    for action, label in AUDIT_ACTIONS.items():
        actions.register_action(action, label, label)
