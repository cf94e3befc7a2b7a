"""How the city carries out the proposals it accepted.

Department staff add dated updates to a winning or accepted proposal; each
update states the implementation status from that day on (planned, in
progress, done, declined with a reason) and may carry photos. The current
status is the latest update, derived from rows rather than kept in a second
field that could disagree with the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from .proposals import ProposalState


class ImplementationStatus(models.TextChoices):
    PLANNED = "planned", _("Запланировано")
    IN_PROGRESS = "in_progress", _("Реализуется")
    DONE = "done", _("Реализовано")
    DECLINED = "declined", _("Отказ от реализации")


# Once the work is done or declined the story is over: later updates may add
# photos or details, not reopen it (that would contradict the proposal's own
# final state, which has no way back either).
FINAL_IMPLEMENTATION_STATUSES = frozenset(
    {ImplementationStatus.DONE, ImplementationStatus.DECLINED}
)

# Proposals the city has taken on: selected by experts (projects without a
# vote) or chosen by residents, and those whose implementation already moved.
IMPLEMENTABLE_STATES = frozenset(
    {
        ProposalState.SELECTED,
        ProposalState.WINNER,
        ProposalState.IN_PROGRESS,
        ProposalState.IMPLEMENTED,
        ProposalState.DECLINED,
    }
)


class ImplementationUpdateQuerySet(models.QuerySet):
    def for_proposal(self, proposal) -> ImplementationUpdateQuerySet:
        return self.filter(proposal=proposal)

    def chronological(self) -> ImplementationUpdateQuerySet:
        return self.order_by("happened_on", "created_at", "pk")

    def latest_first(self) -> ImplementationUpdateQuerySet:
        return self.order_by("-happened_on", "-created_at", "-pk")


class ImplementationUpdate(ClusterableModel):
    """One dated report about a proposal's implementation."""

    proposal = models.ForeignKey(
        "crowdsourcing.Proposal",
        verbose_name=_("предложение"),
        on_delete=models.CASCADE,
        related_name="implementation_updates",
    )
    status = models.CharField(
        _("статус реализации"),
        max_length=16,
        choices=ImplementationStatus.choices,
    )
    happened_on = models.DateField(
        _("дата"), help_text=_("Когда это произошло (по московскому времени).")
    )
    note = models.TextField(
        _("что сделано"),
        max_length=3000,
        help_text=_("Коротко и понятно для жителей: что сделано, что дальше."),
    )
    declined_reason = models.TextField(
        _("причина отказа"),
        max_length=2000,
        blank=True,
        help_text=_("Обязательна, если от реализации отказались."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("автор"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="implementation_updates",
    )
    created_at = models.DateTimeField(_("добавлено"), auto_now_add=True)

    objects = ImplementationUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("ход реализации")
        verbose_name_plural = _("ход реализации")
        ordering = ["-happened_on", "-created_at", "-pk"]
        indexes = [models.Index(fields=["proposal", "-happened_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ImplementationStatus.DECLINED)
                | ~Q(declined_reason=""),
                name="implementation_declined_needs_reason",
                violation_error_message=_("Укажите причину отказа от реализации."),
            ),
            models.CheckConstraint(
                condition=Q(status=ImplementationStatus.DECLINED)
                | Q(declined_reason=""),
                name="implementation_reason_only_when_declined",
                violation_error_message=_(
                    "Причину указывают, только если от реализации отказались."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImplementationStatus.values),
                name="implementation_status_known",
            ),
        ]

    def __str__(self):
        return "%s: %s (%s)" % (
            self.proposal,
            self.get_status_display(),
            self.happened_on.isoformat() if self.happened_on else "",
        )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_IMPLEMENTATION_STATUSES


class ImplementationPhoto(Orderable):
    update = ParentalKey(
        ImplementationUpdate,
        verbose_name=_("обновление"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("фотография"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    caption = models.CharField(_("подпись"), max_length=250, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("фотография")
        verbose_name_plural = _("фотографии")

    def __str__(self):
        return self.caption or str(self.image)
