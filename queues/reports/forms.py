"""The reports' filters, read from the query string so a report can be bookmarked and shared."""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from queues.reports.queries import Filters, Names
from queues.reports.rollup import week_of

DEFAULT_WEEKS = 12
MAX_WEEKS = 106  # two years: a page draws at most this many weeks


class ReportFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("its whole week")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("its whole week")
    )
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)
    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int, empty_value=None)
    days = forms.IntegerField(
        label=_("Silent for more than (days)"), required=False, min_value=1, max_value=365, initial=7
    )

    def __init__(self, data, *, names: Names, ranged: bool, scoped: bool, stale: bool):
        super().__init__(data)
        self.fields["channel"].choices = [("", _("All channels")), *sorted(names.channels.items(), key=lambda c: c[1])]
        self.fields["product"].choices = [("", _("All products")), *sorted(names.products.items(), key=lambda p: p[1])]
        if not ranged:
            del self.fields["start"], self.fields["end"]
        if not stale:
            del self.fields["days"]
        if not scoped:
            del self.fields["channel"], self.fields["product"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if "start" not in self.fields:
            return data
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or week_of(end) - timedelta(weeks=DEFAULT_WEEKS - 1)
        if start.year < 2000 or end.year > 9000:
            raise ValidationError(_("Choose dates between the year 2000 and 9000."))
        if end < start:
            raise ValidationError(_("The end of the range is before its start."))
        start, end = week_of(start), week_of(end) + timedelta(days=6)
        if (end - start).days // 7 + 1 > MAX_WEEKS:
            raise ValidationError(
                _("Choose at most %(weeks)s weeks; this range has %(count)s.")
                % {"weeks": MAX_WEEKS, "count": (end - start).days // 7 + 1}
            )
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            start=data.get("start") or date.min,
            end=data.get("end") or date.min,
            channel_id=data.get("channel"),
            product_id=data.get("product"),
            stale_days=data.get("days") or 7,
        )
