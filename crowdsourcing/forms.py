from django import forms
from django.utils.translation import gettext_lazy as _

from .models import District, Flag, Proposal


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    display_name = forms.CharField(
        label=_("Имя на сайте"),
        max_length=80,
        required=False,
        help_text=_("Так вас увидят другие участники. Можно псевдоним."),
    )

    def signup(self, request, user):
        user.display_name = self.cleaned_data.get("display_name", "")
        user.save(update_fields=["display_name"])


class ProposalForm(forms.ModelForm):
    """A resident's proposal; the rules and messages come from the model."""

    class Meta:
        model = Proposal
        fields = ["question", "title", "body", "category", "district"]
        labels = {
            "question": _("Вопрос проекта"),
            "title": _("Заголовок"),
            "body": _("Суть предложения"),
            "category": _("Категория"),
            "district": _("Район"),
        }
        help_texts = {
            "title": _("От 10 до 150 символов."),
            "body": _("От 50 до 5000 символов. Ссылки и переносы строк сохранятся."),
        }
        error_messages = {
            "question": {"required": _("Выберите вопрос, на который вы отвечаете.")},
            "title": {
                "required": _("Напишите заголовок."),
                "max_length": _(
                    "Заголовок слишком длинный: не больше %(limit_value)d "
                    "символов (сейчас %(show_value)d)."
                ),
            },
            "body": {
                "required": _("Опишите предложение."),
                "max_length": _(
                    "Текст слишком длинный: не больше %(limit_value)d символов "
                    "(сейчас %(show_value)d)."
                ),
            },
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = project.questions.all()
        self.fields["question"].empty_label = _("— выберите вопрос —")
        self.fields["district"].queryset = District.objects.select_related("parent")
        self.fields["category"].empty_label = _("— без категории —")
        self.fields["district"].empty_label = _("— весь город —")


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Комментарий"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Напишите текст комментария."),
            "max_length": _(
                "Комментарий слишком длинный: не больше %(limit_value)d символов."
            ),
        },
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Причина жалобы"),
        choices=Flag.Reason.choices,
        error_messages={"required": _("Выберите причину жалобы.")},
    )
    note = forms.CharField(
        label=_("Пояснение (необязательно)"), max_length=500, required=False
    )


class ProposalFilterForm(forms.Form):
    """Filters and sorting of a project's public proposal list."""

    SORTS = {
        "new": _("Сначала новые"),
        "supported": _("Больше поддержки"),
        "discussed": _("Больше обсуждают"),
    }

    question = forms.ModelChoiceField(
        label=_("Вопрос"), queryset=None, required=False, empty_label=_("Все")
    )
    category = forms.ModelChoiceField(
        label=_("Категория"), queryset=None, required=False, empty_label=_("Все")
    )
    district = forms.ModelChoiceField(
        label=_("Район"), queryset=None, required=False, empty_label=_("Все")
    )
    sort = forms.ChoiceField(
        label=_("Порядок"), choices=list(SORTS.items()), required=False
    )

    def __init__(self, *args, questions, categories, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = questions
        self.fields["category"].queryset = categories
        self.fields["district"].queryset = districts
