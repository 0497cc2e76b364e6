"""Clippings' translations (an inline of the clipping admin) and users' language and time zone."""

import re

from django import forms
from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from queues import platforms
from queues.models import Channel, ClippingTranslation, Preferences


def duration_text(value) -> str:
    """A queue's auto-close duration as people say it: "7 days", "2 days 3 hours", not "7 days, 0:00:00"."""
    hours = int(value.total_seconds()) // 3600
    days, hours = divmod(hours, 24)
    parts = [ngettext("%(count)s day", "%(count)s days", days) % {"count": days}] if days else []
    if hours or not days:
        parts.append(ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours})
    return " ".join(parts)


LANGUAGE_TAG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


class ClippingTranslationForm(forms.ModelForm):
    class Meta:
        model = ClippingTranslation
        fields = ("language", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 4, "cols": 60})}

    def clean_language(self):
        language = self.cleaned_data["language"].strip()
        if not LANGUAGE_TAG_RE.fullmatch(language):
            raise forms.ValidationError(
                gettext("Enter a language tag as conversations record it, e.g. de, ja or pt-BR; not “%(value)s”.")
                % {"value": language}
            )
        return language

    def clean(self):
        # The same rule as the statement's own text: every escalation may send this translation, so every channel
        # in use must accept it as it is (a Japanese text counts double on X).
        data = super().clean()
        body, clipping = data.get("body"), getattr(self.instance, "clipping", None)
        if body and clipping is not None and clipping.is_escalation_statement:
            in_use = set(Channel.objects.filter(is_active=True).values_list("platform", flat=True))
            for platform in sorted(in_use):
                problems = platforms.reply_problems(platform, body)
                if problems:
                    self.add_error(
                        "body",
                        gettext("The escalation statement must fit every channel. %(platform)s: %(problems)s")
                        % {"platform": Channel.Platform(platform).label, "problems": " ".join(problems)},
                    )
        return data


class ClippingTranslationInline(admin.StackedInline):
    model = ClippingTranslation
    form = ClippingTranslationForm
    extra = 0
    fields = ("language", "body", "limits")
    readonly_fields = ("limits",)

    @admin.display(description=_("length against each platform's limit"))
    def limits(self, obj):
        return platforms.limits_summary(obj.body) if obj and obj.body else "—"


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "time_zone")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
