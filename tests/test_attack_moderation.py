"""Attack: forged bulk-moderation POSTs answer 404, never 500."""

from __future__ import annotations

import pytest

from crowdsourcing.models import ModerationDecision, ProposalState

from .factories import CommentFactory, ModerationReasonFactory, ProposalFactory
from .participation import make_moderator

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/admin/moderation/", "/admin/moderation/comments/"])
@pytest.mark.parametrize("forged", ["abc", "1e3", "99999999999999999999"])
def test_forged_selected_ids_are_refused_without_a_crash(client, url, forged):
    proposal = ProposalFactory(state=ProposalState.PUBLISHED)
    comment = CommentFactory(proposal=ProposalFactory(question=proposal.question))
    client.force_login(make_moderator(proposal.project))
    own = proposal.pk if url.endswith("moderation/") else comment.pk

    response = client.post(
        url,
        {
            "selected": [own, forged],
            "action": "hide",
            "reason": ModerationReasonFactory().pk,
        },
    )

    assert response.status_code == 404
    assert ModerationDecision.objects.count() == 0
