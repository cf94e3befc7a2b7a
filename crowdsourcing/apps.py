from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrowdsourcingConfig(AppConfig):
    name = "crowdsourcing"
    verbose_name = _("Краудсорсинг")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers

        receivers.connect()
