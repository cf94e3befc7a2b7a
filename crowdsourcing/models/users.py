from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("email_confirmed", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: a resident, or staff in one or more roles.

    The e-mail is the login. Roles are groups (see permissions.py); what a
    person may do to one object is a django-guardian permission.
    """

    email = models.EmailField(_("e-mail"), unique=True)
    display_name = models.CharField(
        _("отображаемое имя"),
        max_length=80,
        blank=True,
        help_text=_("Так вас увидят другие участники. Можно псевдоним."),
    )
    district = models.ForeignKey(
        "crowdsourcing.District",
        verbose_name=_("район"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    district_confirmed = models.BooleanField(_("район подтверждён"), default=False)
    email_confirmed = models.BooleanField(_("e-mail подтверждён"), default=False)
    is_staff = models.BooleanField(
        _("сотрудник"),
        default=False,
        help_text=_("Может входить в панель управления."),
    )
    is_active = models.BooleanField(_("активен"), default=True)
    is_pseudonymous = models.BooleanField(
        _("псевдоним"),
        default=False,
        help_text=_(
            "Участник из импортированных данных или удалённый аккаунт: "
            "входа нет, вклад сохранён под псевдонимом."
        ),
    )
    date_joined = models.DateTimeField(_("дата регистрации"), default=timezone.now)
    deleted_at = models.DateTimeField(_("аккаунт удалён"), null=True, blank=True)

    # Notification opt-outs (DESIGN.md section 7): every kind is on until the
    # resident turns it off in the cabinet.
    notify_moderation = models.BooleanField(
        _("решения модераторов по моим предложениям"), default=True
    )
    notify_replies = models.BooleanField(_("ответы на мои комментарии"), default=True)
    notify_stages = models.BooleanField(
        _("новый этап в проектах, за которыми я слежу"), default=True
    )
    notify_results = models.BooleanField(
        _("итоги проектов, за которыми я слежу"), default=True
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self) -> str:
        """Return the name shown to other people; never the e-mail."""
        if self.display_name:
            return self.display_name
        return _("Участник №%(id)s") % {"id": self.pk}

    def wants_notification(self, kind: str) -> bool:
        """Return whether e-mails of ``kind`` may be sent to this person.

        ``kind`` is one of NotificationKind. Deleted, inactive and imported
        accounts get nothing.
        """
        if not self.is_active or self.is_pseudonymous or self.deleted_at:
            return False
        return bool(getattr(self, f"notify_{kind}", True))

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]


class NotificationKind(models.TextChoices):
    MODERATION = "moderation", _("Решения модераторов")
    REPLIES = "replies", _("Ответы на комментарии")
    STAGES = "stages", _("Новые этапы проектов")
    RESULTS = "results", _("Итоги проектов")
    # Service e-mails (assignments to experts, account security) are not
    # optional; they use this kind.
    SERVICE = "service", _("Служебные")


class ProjectFollow(models.Model):
    """A resident follows a project to hear of new stages and results."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="project_follows"
    )
    project = models.ForeignKey(
        "crowdsourcing.Project", on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("подписка на проект")
        verbose_name_plural = _("подписки на проекты")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="follow_once_per_project"
            )
        ]

    def __str__(self):
        return f"{self.user_id} → {self.project_id}"


class FollowerNotice(models.Model):
    """One e-mail about one event sent to one follower, so it goes once.

    ``event`` names the event: ``stage:<stage id>`` when a followed project
    enters a stage, ``results:<page id>`` when its results are published.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "crowdsourcing.Project", on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=64)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("уведомление подписчику")
        verbose_name_plural = _("уведомления подписчикам")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"], name="follower_notice_once_per_event"
            )
        ]

    def __str__(self):
        return self.event


def get_anonymous_user_instance(user_model):
    """Build django-guardian's anonymous user for an e-mail login model."""
    from django.conf import settings

    return user_model(
        email=settings.ANONYMOUS_USER_NAME,
        display_name="Anonymous",
        is_active=False,
    )
