"""The resident cabinet: my things only, my settings, my data."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..models import Comment, Project, ProjectFollow, Proposal, Rating
from ..services import ServiceError, accounts


class NotificationSettingsForm(forms.Form):
    notify_moderation = forms.BooleanField(
        label=gettext_lazy("Решения модераторов по моим предложениям"), required=False
    )
    notify_replies = forms.BooleanField(
        label=gettext_lazy("Ответы на мои комментарии"), required=False
    )
    notify_stages = forms.BooleanField(
        label=gettext_lazy("Новый этап в проектах, за которыми я слежу"),
        required=False,
    )
    notify_results = forms.BooleanField(
        label=gettext_lazy("Итоги проектов, за которыми я слежу"), required=False
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Пароль"), widget=forms.PasswordInput, strip=False
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Я понимаю, что восстановить аккаунт будет нельзя"),
        required=True,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Неверный пароль."), code="wrong_password")
        return password


@login_required
def overview(request):
    user = request.user
    context = {
        "proposals": Proposal.objects.filter(author=user)
        .select_related("project")
        .order_by("-created_at")[:5],
        "proposal_count": Proposal.objects.filter(author=user).count(),
        "comment_count": Comment.objects.filter(author=user).count(),
        "rating_count": Rating.objects.filter(user=user).count(),
        "follows": ProjectFollow.objects.filter(user=user).select_related("project"),
        "votes": accounts._export_votes(user),
    }
    return render(request, "crowdsourcing/cabinet/overview.html", context)


@login_required
def my_comments(request):
    comments = (
        Comment.objects.filter(author=request.user)
        .select_related("proposal")
        .order_by("-created_at")
    )
    page = Paginator(comments, 20).get_page(request.GET.get("page"))
    return render(request, "crowdsourcing/cabinet/comments.html", {"page_obj": page})


@login_required
def my_ratings(request):
    ratings = (
        Rating.objects.filter(user=request.user)
        .select_related("proposal")
        .order_by("-created_at")
    )
    page = Paginator(ratings, 20).get_page(request.GET.get("page"))
    return render(request, "crowdsourcing/cabinet/ratings.html", {"page_obj": page})


@login_required
def notification_settings(request):
    user = request.user
    initial = {field: getattr(user, field) for field in accounts.NOTIFICATION_FIELDS}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        accounts.update_notification_settings(user, **form.cleaned_data)
        messages.success(request, _("Настройки уведомлений сохранены."))
        return redirect("cabinet:settings")
    return render(request, "crowdsourcing/cabinet/settings.html", {"form": form})


@login_required
@require_POST
def follow(request, slug):
    project = get_object_or_404(Project.objects.public(), slug=slug)
    if request.POST.get("action") == "unfollow":
        accounts.unfollow_project(request.user, project)
        messages.info(request, _("Вы больше не следите за проектом."))
    else:
        try:
            accounts.follow_project(request.user, project)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Вы следите за проектом."))
    return redirect(request.POST.get("next") or project.get_absolute_url())


@login_required
def export_data(request):
    data = accounts.export_user_data(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="gorod-idei-my-data-{stamp}.json"'
    )
    return response


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.delete_account(request.user)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("cabinet:delete")
        logout(request)
        messages.success(
            request,
            _(
                "Аккаунт удалён. Ваши голоса учтены, предложения и комментарии "
                "остались под псевдонимом."
            ),
        )
        return redirect("/")
    return render(request, "crowdsourcing/cabinet/delete.html", {"form": form})
