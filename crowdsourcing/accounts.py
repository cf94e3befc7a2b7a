"""Resident accounts through django-allauth."""

import logging

from allauth.account.adapter import DefaultAccountAdapter

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.display_name = form.cleaned_data.get("display_name", "")
        user.email_confirmed = False
        if commit:
            user.save()
        return user

    def confirm_email(self, request, email_address):
        """Mark the account confirmed when its primary address is confirmed."""
        confirmed = super().confirm_email(request, email_address)
        user = email_address.user
        if email_address.email.lower() == user.email.lower():
            user.email_confirmed = True
            user.save(update_fields=["email_confirmed"])
            logger.info("User %s confirmed their e-mail", user.pk)
        return confirmed

    def is_open_for_signup(self, request):
        return True
