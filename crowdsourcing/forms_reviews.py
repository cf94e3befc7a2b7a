"""Forms of the expert pages (/expert/): review, assignment, decisions.

They only parse and validate input; the services in services/reviews.py
make every change.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import permissions
from .models import (
    AssignmentState,
    Category,
    Criterion,
    District,
    Proposal,
    ProposalState,
    Question,
    Recommendation,
    Review,
    SelectionOutcome,
    StageKind,
)
from .services.reviews import ASSIGNABLE_STATES, ReviewInput

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def default_due_date(project):
    """The last day of the expert-selection stage, in Moscow time."""
    stage = project.stage_window(StageKind.EXPERT_SELECTION)
    if stage is None:
        return timezone.localdate()
    # The stage end is exclusive, so its last day is the day before
    # a midnight end.
    return timezone.localtime(stage.ends_at - timezone.timedelta(seconds=1)).date()


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["name", "description", "weight", "scale_min", "scale_max"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class QueueFilterForm(forms.Form):
    OVERDUE = "overdue"

    state = forms.ChoiceField(
        label=_("Состояние"),
        required=False,
        choices=[("", _("Все")), (OVERDUE, _("Просроченные"))]
        + list(AssignmentState.choices),
    )
    due_from = forms.DateField(label=_("Срок с"), required=False, widget=DATE_WIDGET)
    due_to = forms.DateField(label=_("Срок по"), required=False, widget=DATE_WIDGET)

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        state = self.cleaned_data["state"]
        if state == self.OVERDUE:
            queryset = queryset.open().filter(due_date__lt=timezone.localdate())
        elif state:
            queryset = queryset.filter(state=state)
        if self.cleaned_data["due_from"]:
            queryset = queryset.filter(due_date__gte=self.cleaned_data["due_from"])
        if self.cleaned_data["due_to"]:
            queryset = queryset.filter(due_date__lte=self.cleaned_data["due_to"])
        return queryset


class ReviewForm(forms.Form):
    """Every criterion of the project, the recommendation and the statement."""

    recommendation = forms.ChoiceField(
        label=_("Рекомендация"),
        required=False,
        choices=[("", _("— выберите —"))] + list(Recommendation.choices),
    )
    merge_with = forms.ModelChoiceField(
        label=_("Объединить с предложением"),
        required=False,
        queryset=Proposal.objects.none(),
        help_text=_("Только для рекомендации «Объединить»."),
    )
    justification = forms.CharField(
        label=_("Обоснование"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    no_conflict_declared = forms.BooleanField(
        label=_(
            "Подтверждаю, что не связан(а) с автором предложения и не имею "
            "личной заинтересованности в решении"
        ),
        required=False,
    )

    def __init__(self, *args, assignment, criteria, review: Review | None, **kwargs):
        initial = kwargs.pop("initial", {})
        if review is not None:
            initial.update(
                recommendation=review.recommendation,
                merge_with=review.merge_with_id,
                justification=review.justification,
                no_conflict_declared=review.no_conflict_declared,
            )
            for score in review.scores.all():
                initial[f"score_{score.criterion_id}"] = score.value
        super().__init__(*args, initial=initial, **kwargs)
        self.criteria = list(criteria)
        proposal = assignment.proposal
        self.fields["merge_with"].queryset = (
            Proposal.objects.listed()
            .filter(project_id=proposal.project_id)
            .exclude(pk=proposal.pk)
            .only("pk", "title")
        )
        score_fields = {}
        for criterion in self.criteria:
            choices = [("", "—")] + [
                (v, str(v)) for v in range(criterion.scale_min, criterion.scale_max + 1)
            ]
            score_fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                help_text=criterion.description,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
            )
        # Scores first, in the criteria's order.
        self.fields = {**score_fields, **self.fields}

    def score_fields(self):
        return [self[f"score_{c.pk}"] for c in self.criteria]

    def to_input(self) -> ReviewInput:
        data = self.cleaned_data
        return ReviewInput(
            scores={c.pk: data.get(f"score_{c.pk}") for c in self.criteria},
            recommendation=data["recommendation"],
            merge_with=data["merge_with"],
            justification=data["justification"],
            no_conflict_declared=data["no_conflict_declared"],
        )


class ConflictForm(forms.Form):
    note = forms.CharField(
        label=_("В чём конфликт интересов"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(forms.Form):
    proposal = forms.ModelChoiceField(
        label=_("Предложение"), queryset=Proposal.objects.none()
    )
    expert = forms.ModelChoiceField(label=_("Эксперт"), queryset=None)
    due_date = forms.DateField(label=_("Срок"), widget=DATE_WIDGET)

    def __init__(self, *args, project, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "due_date", default_due_date(project)
        )
        super().__init__(*args, **kwargs)
        self.fields["proposal"].queryset = Proposal.objects.filter(
            project=project, state__in=ASSIGNABLE_STATES
        ).only("pk", "title")
        self.fields["expert"].queryset = permissions.eligible_reviewers(project)


class BulkAssignForm(forms.Form):
    experts = forms.ModelMultipleChoiceField(
        label=_("Группа экспертов"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    reviews_per_proposal = forms.IntegerField(
        label=_("Отзывов на предложение (не меньше)"),
        min_value=1,
        max_value=20,
        initial=2,
    )
    question = forms.ModelChoiceField(
        label=_("Вопрос"), required=False, queryset=Question.objects.none()
    )
    category = forms.ModelChoiceField(
        label=_("Категория"), required=False, queryset=Category.objects.all()
    )
    district = forms.ModelChoiceField(
        label=_("Район или округ"),
        required=False,
        queryset=District.objects.select_related("parent"),
    )
    balance = forms.BooleanField(
        label=_("Распределять поровну (сначала наименее загруженным)"),
        required=False,
        initial=True,
    )
    due_date = forms.DateField(label=_("Срок"), widget=DATE_WIDGET)

    def __init__(self, *args, project, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "due_date", default_due_date(project)
        )
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = permissions.eligible_reviewers(project)
        self.fields["question"].queryset = project.questions.all()


class DecisionForm(forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Решение"), choices=SelectionOutcome.choices)
    reason = forms.CharField(
        label=_("Обоснование для жителей"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TopSelectionForm(forms.Form):
    top_n = forms.IntegerField(
        label=_("Сколько отобрать в каждом вопросе"), min_value=1, initial=5
    )
    min_reviews = forms.IntegerField(
        label=_("Не меньше отзывов у предложения"), min_value=1, initial=1
    )
    reason_selected = forms.CharField(
        label=_("Обоснование для отобранных"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_("Предложение вошло в число лучших по итогам экспертной оценки."),
    )
    decide_rest = forms.BooleanField(
        label=_("Остальным оценённым предложениям вопроса — «не отобрано»"),
        required=False,
    )
    reason_not_selected = forms.CharField(
        label=_("Обоснование для неотобранных"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# Proposal states that the aggregate table offers a decision for.
DECIDABLE_STATE = ProposalState.UNDER_REVIEW
