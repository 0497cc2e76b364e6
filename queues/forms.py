"""The small forms of the conversation page, which the admin's bulk actions use too. Rules live in services and
queues/platforms/; forms only shape input and ask them."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.text import normalize_newlines
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from queues import platforms, services, timing
from queues.models import Channel, Clipping, CloseReason, EscalationReason, Queue, Tag
from queues.models.languages import clipping_text
from queues.permissions import can_moderate
from queues.selectors import active_clippings, has_public_reply, products
from queues.services.versions import version_of

# Notes are the agents' own words, not limited by any platform; still not unbounded.
MAX_NOTE_CHARACTERS = 20_000


class TypedText(forms.CharField):
    """Text typed into a textarea. Browsers submit its line breaks as CRLF: they are kept as LF, so that a reply is
    counted as the platform and the live counter count it (one character per line break), and stored that way."""

    def to_python(self, value):
        return platforms.normalize_newlines(super().to_python(value))


class IdsField(forms.ModelMultipleChoiceField):
    """Ids that are numbers a database column holds. Django checks each id with an exact lookup (which copes with
    any number) and then reads them with IN (…), which SQLite refuses past 64 bits: an edited form is an invalid
    choice, not a server error."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            if isinstance(pk, str) and pk.strip().lstrip("-").isdigit() and abs(int(pk.strip()[:40])) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk[:40]}
                )
        return super()._check_values(value)


class ActionForm(forms.Form):
    """A form posted to one action of one conversation (or, in the admin, of the selected ones: conversation None)."""

    submit_label = _("Save")
    submit_class = "btn-primary"
    # What the page says once save() went through.
    success_message = _("Saved.")

    def __init__(self, *args, conversation=None, user=None, **kwargs):
        self.conversation = conversation
        self.user = user
        super().__init__(*args, **kwargs)
        if conversation is not None:
            # What the page showed: services/versions.py refuses the action if the conversation changed since.
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=version_of(conversation.updated_at)
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's <form> has its token already
        submit_id = self.auto_id % "submit" if self.auto_id and "%s" in str(self.auto_id) else None
        submit = Submit("submit", self.submit_label, css_id=submit_id)
        # Only this button's own style: crispy's default "btn-primary" under "btn-outline-secondary" drew grey text on
        # blue (2.6:1), unseen by axe while its <details> was closed.
        submit.field_classes = f"btn {self.submit_class}"
        self.helper.add_input(submit)

    def offer(self, name: str, rows) -> None:
        """Rows the page read already, in the order the field's own queryset gives them, as the choices of field
        `name`: the same rows, not read a second time."""
        field = self.fields[name]
        choices = field.iterator(field)
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        field.choices = [*empty, *(choices.choice(row) for row in rows)]

    def success_text(self, result) -> str:
        """What the page says once save() went through; result is what save() returned."""
        return str(self.success_message)

    def save(self, *, conversation_id: int, actor):
        """Take the action with the cleaned data: one service call (queues/services/), which may refuse it."""
        raise NotImplementedError


class AssignToMeForm(ActionForm):
    success_message = _("Assigned to you.")

    def save(self, *, conversation_id, actor):
        return services.assign_conversation(conversation_id=conversation_id, actor=actor, assignee_id=actor.pk)


class UnassignForm(ActionForm):
    success_message = _("Unassigned.")

    def save(self, *, conversation_id, actor):
        return services.unassign_conversation(conversation_id=conversation_id, actor=actor)


class ReopenForm(ActionForm):
    success_message = _("Reopened.")

    def save(self, *, conversation_id, actor):
        return services.reopen_conversation(conversation_id=conversation_id, actor=actor)


class ReplyForm(ActionForm):
    submit_label = _("Send reply")
    clipping = forms.ModelChoiceField(
        queryset=active_clippings(), required=False, empty_label=_("Insert a clipping…"), label=_("Clipping")
    )
    body = TypedText(
        label=_("Reply to the customer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        strip=True,
        max_length=platforms.MAX_REPLY_CHARACTERS,
    )

    def clean_body(self):
        # Browsers send a textarea's line breaks as CRLF; the platforms (and the live counter) count one each.
        return normalize_newlines(self.cleaned_data["body"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        platform = self.conversation.channel.platform
        self.fields["body"].widget.attrs.update(
            {"data-reply-platform": platform, "data-reply-limit": platforms.MAX_LENGTH[platform], "class": "reply-body"}
        )
        self.fields["clipping"].widget.attrs.update(
            {"class": "clipping-picker", "data-insert-label": gettext("Insert")}
        )
        if platform == Channel.Platform.GOOGLE_PLAY and has_public_reply(self.conversation):
            self.fields["body"].help_text = _(
                "This review already has a reply: a new one replaces the public reply on Google Play, and the "
                "customer is not notified again."
            )

    @property
    def success_message(self):
        return _("The reply will be sent to %(platform)s in a moment.") % {
            "platform": self.conversation.channel.get_platform_display()
        }

    def clean(self):
        data = super().clean()
        if "body" in self.errors:
            return data  # too long already: counting it would cost time and say the same
        clipping = data.get("clipping")
        body = data.get("body") or (clipping_text(clipping, self.conversation.language) if clipping else "")
        for problem in platforms.reply_problems(self.conversation.channel.platform, body):
            self.add_error("body", problem)
        data["body"] = body
        if body and not self.data.get("send_statement") and self._is_the_statement(body):
            # "We're looking into it" without escalating leaves the customer waiting on nobody: ask first.
            self.fields["send_statement"] = forms.BooleanField(
                label=_("Yes, send the escalation statement as a plain reply, without escalating"), required=False
            )
            self.add_error(
                None,
                _(
                    "This is the escalation statement. Did you mean to escalate? Use “Escalate” below; or tick the box "
                    "to send it as a plain reply."
                ),
            )
        return data

    @staticmethod
    def _is_the_statement(body: str) -> bool:
        statement = Clipping.objects.filter(is_escalation_statement=True).values_list("body", flat=True).first()
        return statement is not None and " ".join(body.split()) == " ".join(statement.split())

    def save(self, *, conversation_id, actor):
        clipping = self.cleaned_data["clipping"]
        return services.reply(
            conversation_id=conversation_id,
            actor=actor,
            body=self.cleaned_data["body"],
            clipping_id=clipping.pk if clipping else None,
        )


class NoteForm(ActionForm):
    submit_label = _("Add note")
    success_message = _("Note added.")
    body = TypedText(
        label=_("Internal note"),
        max_length=MAX_NOTE_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Only agents see notes."), "class": "note-body"}),
        error_messages={"required": _("A note cannot be empty.")},
    )

    def save(self, *, conversation_id, actor):
        return services.add_note(conversation_id=conversation_id, actor=actor, body=self.cleaned_data["body"])


class ProductForm(ActionForm):
    submit_label = _("Set product")
    success_message = _("Product saved.")
    submit_class = "btn-outline-secondary"
    product = forms.ModelChoiceField(
        queryset=products(), required=False, empty_label=_("No product"), label=_("Product")
    )

    def save(self, *, conversation_id, actor):
        product = self.cleaned_data["product"]
        return services.set_product(
            conversation_id=conversation_id, actor=actor, product_id=product.pk if product else None
        )


class TagsForm(ActionForm):
    submit_label = _("Set tags")
    success_message = _("Tags saved.")
    submit_class = "btn-outline-secondary"
    tags = IdsField(
        queryset=Tag.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple, label=_("Tags")
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

    def save(self, *, conversation_id, actor):
        return services.set_tags(
            conversation_id=conversation_id,
            actor=actor,
            tag_ids=[tag.pk for tag in self.cleaned_data["tags"]],
            new_tag_names=self.cleaned_data.get("new_tags", []),
        )


class AndNextForm(ActionForm):
    """An action that ends the agent's work on a conversation: it may take them on to the next one."""

    and_next = forms.BooleanField(label=_("Then open the next waiting conversation"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.conversation is None:  # the admin's bulk actions
            del self.fields["and_next"]
        else:
            queue = next_queue_of(self.conversation)
            self.fields["and_next"].label = _("Then open the next waiting conversation of %(queue)s") % {
                "queue": queue.name
            }
            self.order_fields([name for name in self.fields if name != "and_next"])  # last, beside the button


def next_queue_of(conversation):
    """The working queue an agent came from to this conversation: its queue, or the one it left for on hold or
    escalation, or its channel's."""
    if conversation.queue.kind == Queue.Kind.WORKING:
        return conversation.queue
    return conversation.previous_queue or conversation.channel.working_queue


class QueueForm(ActionForm):
    """Choose an active queue of one kind."""

    queue_kind = ""
    queue = forms.ModelChoiceField(queryset=Queue.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.active_of_kind(self.queue_kind)

    def offers(self, queue) -> bool:
        """The field's queryset as a test of one queue (tests/test_drawing.py holds the two to each other)."""
        return queue.kind == self.queue_kind and queue.is_active

    def offer_queues(self, queues) -> None:
        """The queues the page read already (every queue, in their order) as the field's choices."""
        self.offer("queue", [queue for queue in queues if self.offers(queue)])


class MoveForm(QueueForm):
    submit_label = _("Move")
    success_message = _("Moved.")
    submit_class = "btn-outline-secondary"
    queue_kind = Queue.Kind.WORKING

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].label = _("Working queue")
        if self.conversation is not None:
            self.fields["queue"].queryset = self.fields["queue"].queryset.exclude(pk=self.conversation.queue_id)

    def offers(self, queue) -> bool:
        return super().offers(queue) and (self.conversation is None or queue.pk != self.conversation.queue_id)

    def save(self, *, conversation_id, actor):
        queue_id = self.cleaned_data["queue"].pk
        return services.move_to_queue(conversation_id=conversation_id, actor=actor, queue_id=queue_id)


class HoldForm(AndNextForm, QueueForm):
    submit_label = _("Put on hold")
    success_message = _("Put on hold. It closes by itself if the customer stays silent.")
    submit_class = "btn-warning"
    queue_kind = Queue.Kind.ON_HOLD

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["queue"]
        field.label, field.empty_label = _("On hold queue"), None
        field.help_text = _("Closed automatically if the customer stays silent.")

    def save(self, *, conversation_id, actor):
        queue_id = self.cleaned_data["queue"].pk
        return services.put_on_hold(conversation_id=conversation_id, actor=actor, queue_id=queue_id)

    def success_text(self, result) -> str:
        closes = timing.auto_close_text(result)
        if not closes:
            return str(self.success_message)
        return gettext("Put on hold. %(closes)s if the customer stays silent.") % {"closes": closes}


class EscalateForm(AndNextForm):
    submit_label = _("Escalate")
    success_message = _("Escalated: the statement was queued and the conversation moved to its escalation queue.")
    submit_class = "btn-danger"
    reason = forms.ChoiceField(
        choices=[("", _("Choose why…")), *EscalationReason.choices],
        label=_("Reason"),
        error_messages={"required": _("Choose why this conversation is escalated.")},
    )
    other_reason = forms.CharField(
        label=_("Other reason"), required=False, max_length=500, help_text=_("Only for “Other”; admins are told.")
    )
    note = TypedText(
        label=_("Internal note"),
        max_length=MAX_NOTE_CHARACTERS,
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

    def save(self, *, conversation_id, actor):
        return services.escalate_conversation(
            conversation_id=conversation_id,
            actor=actor,
            reason=self.cleaned_data["reason"],
            note=self.cleaned_data["note"],
            other_reason=self.cleaned_data["other_reason"],
        )


class CloseForm(AndNextForm):
    submit_label = _("Close")
    success_message = _("Closed.")
    submit_class = "btn-success"
    reason = forms.ChoiceField(
        choices=[("", _("Choose why…")), *CloseReason.choices],
        label=_("Reason"),
        error_messages={"required": _("Choose why this conversation is closed.")},
    )

    def save(self, *, conversation_id, actor):
        return services.close_conversation(
            conversation_id=conversation_id, actor=actor, reason=self.cleaned_data["reason"]
        )


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        # The page's template has the <form> and its token: drawing another here nested a form in a form.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("submit", _("Sign in"), css_class="btn-primary w-100", css_id="sign-in"))


class SendAgainForm(forms.Form):
    """Send a failed or unknown reply again: an unknown one needs the agent to confirm it may post twice; a failed
    one may be edited first."""

    body = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4}), strip=True)
    confirmed = forms.BooleanField(required=True)

    def __init__(self, *args, message, **kwargs):
        super().__init__(*args, **kwargs)
        self.message = message
        platform = message.conversation.channel.get_platform_display()
        if message.delivery == message.Delivery.UNKNOWN:
            del self.fields["body"]
            self.fields["confirmed"].label = _(
                "I checked on %(platform)s: the reply is not there. Send it again, knowing it may appear twice."
            ) % {"platform": platform}
        else:
            del self.fields["confirmed"]
            self.fields["body"].initial = message.body
            self.fields["body"].help_text = _("Change the text if %(platform)s refused it for its text.") % {
                "platform": platform
            }
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", _("Send again"), css_class="btn-primary"))

    def save(self, *, actor):
        return services.send_again(
            message_id=self.message.pk,
            actor=actor,
            confirmed=self.cleaned_data.get("confirmed", False),
            body=self.cleaned_data.get("body"),
        )
