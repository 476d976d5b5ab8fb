"""Project-wide middleware."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """Vietnamese unless the person chose another language.

    Django's LocaleMiddleware follows the browser's Accept-Language header, so an official whose browser is in
    English would get an English office. Here the interface language is the deployment's ``LANGUAGE_CODE`` until the
    person picks another one from the menu (the language cookie).
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ComposeUnicodeMiddleware:
    """Query strings and form posts in composed Unicode (NFC): text typed decomposed (NFD, as some Vietnamese
    keyboards produce) reaches views, forms, searches and logins as the same text typed composed. JSON and
    multipart bodies of the API are composed by its parsers (:mod:`eoffice.api.parsers`), multipart page forms by
    :class:`eoffice.pages.bounded.BoundedForm`: reading a multipart stream here would leave ``request.body``
    unreadable for views that need the raw bytes (the edXML endpoint)."""

    FORM_TYPES = ("application/x-www-form-urlencoded",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from eoffice.core.text import nfc_querydict

        request.GET = nfc_querydict(request.GET)
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            try:
                request.POST = nfc_querydict(request.POST)
            except Exception:  # noqa: BLE001 — malformed bodies are the view's (and Django's) to refuse
                pass
        return self.get_response(request)
