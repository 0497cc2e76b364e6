"""The languages people work in: each user's own language and time zone, and clippings in the customers' languages."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from queues.models.config import Clipping


@cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


class Preferences(models.Model):
    """One user's choices. An empty language means the browser's (Accept-Language), then English; an empty time
    zone means the portal's (settings.TIME_ZONE)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self):
        return str(self.user)

    def clean(self):
        errors = {}
        if self.language and self.language not in language_codes():
            errors["language"] = _("The portal has no language %(code)s.") % {"code": self.language}
        if self.time_zone and self.time_zone not in time_zone_names():
            errors["time_zone"] = _("%(zone)s is not a time zone; choose one such as Europe/Berlin.") % {
                "zone": self.time_zone
            }
        if errors:
            raise ValidationError(errors)


class ClippingTranslation(models.Model):
    """A clipping's text in one customer language (a conversation's language, e.g. "de" or "pt-BR")."""

    clipping = models.ForeignKey(Clipping, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(
        _("language"), max_length=35, help_text=_("As conversations record it, e.g. de, ja, pt-BR.")
    )
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["clipping", "language"], name="clipping_translation_unique_language"),
        ]

    def __str__(self):
        return f"{self.clipping} ({self.language})"


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


def clipping_versions(clipping: Clipping, language: str) -> list[tuple[str, str]]:
    """The texts of a clipping an agent may send to a customer writing in `language`, best first, as (language,
    text): its translation into that language (the same tag, else the same primary language: "pt" finds "pt-BR"),
    then the clipping's own English text, whose language is "". Reads clipping.translations.all(), so a
    prefetch_related("translations") makes it free."""
    wanted = (language or "").replace("_", "-").lower()
    found = None
    if wanted:
        translations = list(clipping.translations.all())
        found = next((t for t in translations if t.language.lower() == wanted), None) or next(
            (t for t in translations if _primary(t.language) == _primary(wanted)), None
        )
    own = ("", clipping.body)
    return [(found.language, found.body), own] if found else [own]


def clipping_text(clipping: Clipping, language: str) -> str:
    """What sending this clipping to a customer writing in `language` sends."""
    return clipping_versions(clipping, language)[0][1]


def language_name(tag: str) -> str:
    """A language tag named in the reader's language ("de": "German" to an English reader, "allemand" to a French
    one); "" is the clippings' own English; a tag Django does not know stays as it is."""
    from django.utils.translation import get_language_info

    if not tag:
        return str(_("English"))
    for candidate in (tag.lower(), _primary(tag)):
        try:
            return str(get_language_info(candidate)["name_translated"])
        except KeyError:
            continue
    return tag
