from django.conf import settings
from django.utils import translation


class RussianFirstLocaleMiddleware:
    """Show Russian unless the person chose another language in the footer.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so
    a resident with an English browser would get English screens by default.
    The platform is Russian first: only the language cookie set by the
    footer's switch (Django's set_language view) changes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
