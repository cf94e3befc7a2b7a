"""Comment actions of the resident site."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import permissions
from ..forms import CommentForm, FlagForm
from ..models import Comment
from ..services import ServiceError
from ..services import comments as comment_services
from .proposals import _visible_proposal_or_404


@login_required
@require_POST
def comment_create(request, pk):
    proposal = _visible_proposal_or_404(request, pk)
    form = CommentForm(request.POST)
    anchor = "#comments"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(proposal.get_absolute_url() + anchor)
    parent = None
    if form.cleaned_data.get("parent"):
        parent = proposal.comments.filter(pk=form.cleaned_data["parent"]).first()
        if parent is None:
            raise Http404
    try:
        comment = comment_services.add_comment(
            request.user, proposal, form.cleaned_data["body"], parent=parent
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Комментарий опубликован."))
        anchor = f"#comment-{comment.pk}"
    return redirect(proposal.get_absolute_url() + anchor)


@login_required
@require_POST
def comment_flag(request, pk):
    comment = get_object_or_404(
        Comment.objects.select_related("proposal__project"), pk=pk
    )
    if not permissions.can_view_comment(request.user, comment):
        raise Http404
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Выберите причину жалобы."))
    else:
        try:
            comment_services.flag_comment(request.user, comment, **form.cleaned_data)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Жалоба отправлена модераторам."))
    return redirect(comment.proposal.get_absolute_url() + "#comments")
