"""The calls to action a project page shows, following the project's stages.

Each open stage offers its action; the URLs belong to the crowdsourcing app's
views. Where such a view does not exist yet (the URL name does not reverse),
the call points to the project's own page so the button is never dead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from crowdsourcing.models import StageKind

# stage -> (label, URL name in the crowdsourcing app, anchor on the project
# page used when that URL name is not defined)
STAGE_ACTIONS = {
    StageKind.PROPOSALS: (_("Предложить идею"), "crowdsourcing:proposal_create"),
    StageKind.DISCUSSION: (_("Обсудить"), "crowdsourcing:proposal_list"),
    StageKind.VOTING: (_("Голосовать"), "crowdsourcing:ballot_list"),
}


@dataclass(frozen=True)
class CallToAction:
    kind: str
    label: str
    url: str


def _project_url(name: str, project) -> str:
    try:
        return reverse(name, kwargs={"slug": project.slug})
    except NoReverseMatch:
        return project.get_absolute_url()


def calls_to_action(project, results_url: str | None = None, at=None) -> list:
    """Return the actions open now, in stage order.

    Proposals and discussion may run side by side, so several actions can be
    open at once. Once the results stage has started, "Итоги" leads to the
    results page (or to the project page until one is published).
    """
    actions = []
    for stage in sorted(project.open_stages(at), key=lambda s: StageKind.order(s.kind)):
        if stage.kind in STAGE_ACTIONS:
            label, url_name = STAGE_ACTIONS[stage.kind]
            actions.append(
                CallToAction(stage.kind, str(label), _project_url(url_name, project))
            )
    if project.is_finished(at):
        actions.append(
            CallToAction(
                StageKind.RESULTS,
                str(_("Итоги")),
                results_url or project.get_absolute_url(),
            )
        )
    return actions
