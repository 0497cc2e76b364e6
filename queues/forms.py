"""The small forms of the conversation page, which the admin's bulk actions use too. Rules live in services and
queues/platforms/; forms only shape input and ask them."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from queues import platforms, services
from queues.models import CloseReason, EscalationReason, Queue, Tag
from queues.permissions import can_moderate
from queues.selectors import active_clippings, products


class ActionForm(forms.Form):
    """A form posted to one action of one conversation (or, in the admin, of the selected ones: conversation None)."""

    submit_label = _("Save")
    submit_class = "btn-primary"

    def __init__(self, *args, conversation=None, user=None, **kwargs):
        self.conversation = conversation
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", self.submit_label, css_class=self.submit_class))


class ReplyForm(ActionForm):
    submit_label = _("Send reply")
    clipping = forms.ModelChoiceField(
        queryset=active_clippings(), required=False, empty_label=_("Insert a clipping…"), label=_("Clipping")
    )
    body = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4}), required=False, strip=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        platform = self.conversation.channel.platform
        self.fields["body"].widget.attrs.update(
            {"data-reply-platform": platform, "data-reply-limit": platforms.MAX_LENGTH[platform], "class": "reply-body"}
        )
        self.fields["clipping"].widget.attrs["class"] = "clipping-picker"

    def clean(self):
        data = super().clean()
        body = data.get("body") or (data["clipping"].body if data.get("clipping") else "")
        for problem in platforms.reply_problems(self.conversation.channel.platform, body):
            self.add_error("body", problem)
        data["body"] = body
        return data


class NoteForm(ActionForm):
    submit_label = _("Add note")
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Only agents see notes.")}),
        error_messages={"required": _("A note cannot be empty.")},
    )


class ProductForm(ActionForm):
    submit_label = _("Set product")
    submit_class = "btn-outline-secondary"
    product = forms.ModelChoiceField(queryset=products(), required=False, empty_label=_("No product"))


class TagsForm(ActionForm):
    submit_label = _("Set tags")
    submit_class = "btn-outline-secondary"
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_tags = forms.CharField(
        label=_("New tags"), required=False, max_length=200, help_text=_("Comma-separated; moderators only.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_moderate(self.user):
            del self.fields["new_tags"]

    def clean_new_tags(self):
        return [name.strip() for name in self.cleaned_data["new_tags"].split(",") if name.strip()]


class MoveForm(ActionForm):
    submit_label = _("Move")
    submit_class = "btn-outline-secondary"
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), label=_("Working queue"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        queues = Queue.objects.active_of_kind(Queue.Kind.WORKING)
        if self.conversation is not None:
            queues = queues.exclude(pk=self.conversation.queue_id)
        self.fields["queue"].queryset = queues


class HoldForm(ActionForm):
    submit_label = _("Put on hold")
    submit_class = "btn-warning"
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), label=_("On hold queue"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.active_of_kind(Queue.Kind.ON_HOLD)
        self.fields["queue"].empty_label = None
        self.fields["queue"].help_text = _("Closed automatically if the customer stays silent.")


class EscalateForm(ActionForm):
    submit_label = _("Escalate")
    submit_class = "btn-danger"
    reason = forms.ChoiceField(
        choices=[("", _("Choose why…")), *EscalationReason.choices],
        label=_("Reason"),
        error_messages={"required": _("Choose why this conversation is escalated.")},
    )
    other_reason = forms.CharField(
        label=_("Other reason"), required=False, max_length=500, help_text=_("Only for “Other”; admins are told.")
    )
    note = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Describe the problem and the steps you suggested to the customer."),
        error_messages={"required": _("Describe the problem and the steps you suggested to the customer.")},
    )

    def clean(self):
        # The service's own rule, asked here so that its answer shows beside the form's other errors at once.
        data = super().clean()
        if data.get("reason"):
            try:
                services.check_reason(data["reason"], data.get("other_reason", ""))
            except services.InvalidInput as error:
                self.add_error(error.field, error.message)
        return data


class CloseForm(ActionForm):
    submit_label = _("Close")
    submit_class = "btn-success"
    reason = forms.ChoiceField(
        choices=[("", _("Choose why…")), *CloseReason.choices],
        label=_("Reason"),
        error_messages={"required": _("Choose why this conversation is closed.")},
    )


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Sign in"), css_class="btn-primary w-100"))
