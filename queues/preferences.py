"""A user's language and time zone: the menu's language switch, the preferences page, and the copy in the session
that queues/middleware.py reads."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from queues.middleware import LANGUAGE_SESSION_KEY, TIME_ZONE_SESSION_KEY
from queues.models import Preferences
from queues.models.languages import time_zone_names
from queues.views import agent_required


def remember(session, prefs: Preferences | None) -> None:
    session[LANGUAGE_SESSION_KEY] = prefs.language if prefs else ""
    session[TIME_ZONE_SESSION_KEY] = prefs.time_zone if prefs else ""


@receiver(user_logged_in)
def _load_preferences(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember(request.session, Preferences.objects.filter(user=user).first())


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = Preferences
        fields = ["language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each language named in the reader's language here; the menu's switch names each in its own.
        self.fields["language"].choices = [
            ("", _("The browser's language")),
            *((code, translation.get_language_info(code)["name_translated"]) for code, _name in settings.LANGUAGES),
        ]
        # Zone names are identifiers, the same in every language (translate="no" tells translation tools so).
        self.fields["time_zone"].widget.attrs["translate"] = "no"
        self.fields["time_zone"].choices = [
            ("", _("The portal's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}),
            *((name, name) for name in time_zone_names()),
        ]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _with_language_cookie(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@require_POST
def switch_language(request):
    """The menu's switch: the user's own choice when signed in, the browser's cookie either way (the sign-in page
    has it too)."""
    form = LanguageForm(request.POST)
    # A URL, never a view name: redirect("0") would look up a view called "0".
    response = HttpResponseRedirect(_next_url(request, "/"))
    if not form.is_valid():
        messages.error(request, _("The portal has no such language."))
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        prefs, _created = Preferences.objects.get_or_create(user=request.user)
        prefs.language = language
        prefs.save(update_fields=["language"])
        remember(request.session, prefs)
    return _with_language_cookie(response, language)


@agent_required
def preferences(request):
    prefs = Preferences.objects.filter(user=request.user).first() or Preferences(user=request.user)
    form = PreferencesForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        prefs = form.save()
        remember(request.session, prefs)
        translation.activate(prefs.language or translation.get_language_from_request(request))
        messages.success(request, _("Your preferences are saved."))
        response = redirect("preferences")
        if not prefs.language:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
        return _with_language_cookie(response, prefs.language)
    return render(request, "queues/preferences.html", {"form": form}, status=400 if form.errors else 200)
