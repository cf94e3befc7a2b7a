"""What an importer learned about a row that the domain models do not hold.

Imported proposals and comments are ordinary Proposal and Comment rows; the
source's own counters, flags and original thread position live here, one row
per imported object, so that nothing a file said is lost and nothing is
faked. Counts shown to people still come from Rating and Comment rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportSource(models.TextChoices):
    POLIS = "polis", _("Polis")
    CONSUL = "consul", _("CONSUL")


class ImportedProposal(models.Model):
    """The source's view of one imported proposal.

    ``stored_support_count`` is the counter the file carried (CONSUL's
    ``cached_votes_up``, Polis' ``agrees``). It is kept as information only:
    a support shown on the site is a Rating row, and a counter without the
    voters behind it cannot become Rating rows without inventing people.
    """

    proposal = models.OneToOneField(
        "crowdsourcing.Proposal",
        verbose_name=_("предложение"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="import_record",
    )
    source = models.CharField(_("источник"), max_length=16, choices=ImportSource)
    source_file = models.CharField(_("файл"), max_length=200)
    source_line = models.PositiveIntegerField(_("строка файла"))
    stored_support_count = models.PositiveIntegerField(
        _("поддержек по данным файла"), null=True, blank=True
    )
    stored_oppose_count = models.PositiveIntegerField(
        _("возражений по данным файла"), null=True, blank=True
    )
    stored_comment_count = models.PositiveIntegerField(
        _("комментариев по данным файла"), null=True, blank=True
    )
    duplicate_of = models.ForeignKey(
        "crowdsourcing.Proposal",
        verbose_name=_("повтор предложения"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imported_duplicates",
    )
    flags = models.JSONField(
        _("отметки импорта"),
        default=list,
        blank=True,
        help_text=_("Например: probe, test_entry, retired, title_shortened."),
    )
    extra = models.JSONField(_("прочие поля источника"), default=dict, blank=True)

    class Meta:
        verbose_name = _("импортированное предложение")
        verbose_name_plural = _("импортированные предложения")
        constraints = [
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("proposal")),
                name="imported_proposal_not_own_duplicate",
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.proposal_id}"


class CommentPlacement(models.TextChoices):
    AS_IN_SOURCE = "as_in_source", _("как в источнике")
    PARENT_MISSING = "parent_missing", _("родителя нет в выгрузке")
    DEPTH_LIMITED = "depth_limited", _("поднят до допустимой глубины")


class ImportedComment(models.Model):
    """Where an imported comment sat in the source thread.

    Our threads stop at ``Comment.MAX_DEPTH``. A deeper reply is attached to
    its deepest allowed ancestor; a reply whose parent is absent from the
    export starts a thread of its own. Either way ``source_parent_id`` keeps
    the parent the file named, so the original tree can be rebuilt.
    """

    comment = models.OneToOneField(
        "crowdsourcing.Comment",
        verbose_name=_("комментарий"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="import_record",
    )
    source = models.CharField(_("источник"), max_length=16, choices=ImportSource)
    source_file = models.CharField(_("файл"), max_length=200)
    source_line = models.PositiveIntegerField(_("строка файла"))
    source_parent_id = models.CharField(
        _("родитель в источнике"), max_length=64, blank=True
    )
    source_depth = models.PositiveIntegerField(_("глубина в источнике"), default=0)
    placement = models.CharField(
        _("размещение"),
        max_length=20,
        choices=CommentPlacement,
        default=CommentPlacement.AS_IN_SOURCE,
    )
    stored_votes_up = models.PositiveIntegerField(
        _("«за» по данным файла"), null=True, blank=True
    )
    stored_votes_down = models.PositiveIntegerField(
        _("«против» по данным файла"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("импортированный комментарий")
        verbose_name_plural = _("импортированные комментарии")
        constraints = [
            models.CheckConstraint(
                condition=Q(placement=CommentPlacement.AS_IN_SOURCE)
                | ~Q(source_parent_id=""),
                name="imported_comment_moved_has_source_parent",
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.comment_id}"
