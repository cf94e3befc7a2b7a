"""The platform's roles and the model permissions each group holds.

Object-level rights (which project a moderator works on, which proposal an
expert reviews) are django-guardian permissions; see permissions.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "Operators", _("Операторы")
    MODERATOR = "Moderators", _("Модераторы")
    EDITOR = "Editors", _("Редакторы")
    DEPARTMENT_STAFF = "Department staff", _("Сотрудники ведомств")
    EXPERT = "Experts", _("Эксперты")
