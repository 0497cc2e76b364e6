"""What the Python drawing of the conversation page's forms and of the list's and timeline's rows gives: the markup
crispy-forms and the templates drew before (queues/templatetags/bootstrap.py, rows.py), escaped."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib.admin.templatetags.admin_list import admin_list_filter
from django.template import Context, Template
from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.timesince import timesince

from queues import services, timing
from queues.drawing import DrawnSelect
from queues.models import Event, Message, Queue
from queues.selectors import timeline
from queues.templatetags.large_admin import large_list_filter
from queues.templatetags.rows import conversation_rows, timeline_entries, truncate
from queues.views import PAGE_FORMS, page_form
from tests import factories as f

pytestmark = pytest.mark.django_db


class _Tree(HTMLParser):
    """A page as the browser reads it: tags with their attributes (classes as a set) and text, whitespace collapsed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: (" ".join(sorted(value.split())) if name == "class" else value) for name, value in attrs}
        self.items.append(("<", tag, tuple(sorted(attrs.items()))))

    def handle_endtag(self, tag):
        self.items.append((">", tag))

    def handle_data(self, data):
        text = " ".join(data.split())
        if text:
            self.items.append(("text", text))


def tree(html: str) -> list:
    parser = _Tree()
    parser.feed(html)
    return parser.items


def crispy(form) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


def drawn(form) -> str:
    return Template("{% load bootstrap %}{% bootstrap_form form %}").render(Context({"form": form}))


@pytest.fixture
def convo():
    convo = f.ConversationFactory(channel=f.channel("org.mozilla.firefox"), rating=2)
    services.set_tags(conversation_id=convo.pk, actor=f.moderator(), tag_ids=[], new_tag_names=["crash", "sync"])
    return type(convo).objects.select_related("channel", "queue").get(pk=convo.pk)


@pytest.mark.parametrize("role", ["agent", "moderator"])
@pytest.mark.parametrize("action", list(PAGE_FORMS))
def test_each_action_form_is_drawn_as_crispy_drew_it_empty_and_with_every_error(convo, role, action):
    user = getattr(f, role)()
    with translation.override("de"):
        for data in [None, {}, {"reason": "nonsense", "queue": "999999", "tags": ["x"], "body": "", "and_next": "on"}]:
            kept, ours = (page_form(action, PAGE_FORMS[action], convo, user, data=data) for _ in range(2))
            if data is not None:
                kept.is_valid(), ours.is_valid()
            assert tree(drawn(ours)) == tree(crispy(kept)), (action, data)


def test_a_form_error_not_tied_to_a_field_is_drawn_as_crispy_drew_it(convo):
    user = f.agent()
    statement = f.statement().body
    kept, ours = (page_form("reply", PAGE_FORMS["reply"], convo, user, data={"body": statement}) for _ in range(2))
    assert not kept.is_valid() and not ours.is_valid()
    html = drawn(ours)
    assert "alert-danger" in html and "send_statement" in html
    assert tree(html) == tree(crispy(kept))


def test_what_a_field_holds_is_escaped(convo):
    user = f.agent()
    form = page_form("note", PAGE_FORMS["note"], convo, user, data={"body": '</textarea><script>alert("x")</script>'})
    html = drawn(form)
    assert "<script>" not in html and "&lt;/textarea&gt;&lt;script&gt;" in html


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "pt-br", "ja", "ko", "ar"])
def test_dates_and_durations_read_as_djangos_own_formats_and_timesince_word_them(language):
    zone = zoneinfo.ZoneInfo("America/Sao_Paulo")
    moments = [datetime(2024, 2, 29, 0, 0, tzinfo=UTC), datetime(2026, 12, 31, 12, 0, tzinfo=UTC)]
    moments += [datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=7919 * n, seconds=n) for n in range(400)]
    now = datetime(2026, 12, 1, 16, 0, 7, tzinfo=UTC)
    with translation.override(language), timezone.override(zone):
        for moment in moments:
            local = timezone.localtime(moment)
            for name in ["DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT", "j M"]:
                assert timing.date_text(local, name) == formats.date_format(local, name), (moment, name)
            assert timing.since_text(moment, now) == timesince(moment, now), moment


@pytest.mark.parametrize(
    "text",
    ["short", "x" * 40, "x" * 41, "e\u0301" * 30, "é" * 45, "👍🏽" * 30, "a\u0301b\u0327" * 25, "Ω" * 40 + "Ω"],
)
def test_truncating_gives_what_truncatechars_gives(text):
    assert truncate(text, 40) == Truncator(text).chars(40)


def test_a_list_row_escapes_what_the_customer_wrote_and_shows_every_cell():
    convo = f.ConversationFactory(
        author_name="<b>Eve</b>",
        author_handle="@eve<script>",
        title="<i>t</i>",
        body="<img src=x onerror=alert(1)>",
        rating=3,
    )
    html = conversation_rows([type(convo).objects.select_related("channel", "queue", "product", "assignee").get()])
    assert "<b>Eve" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "<script>" not in html and "<img" not in html and "<i>t" not in html
    assert f'href="/conversations/{convo.pk}/"' in html
    assert 'aria-label="3 of 5 stars"' in html
    assert '<span aria-hidden="true">★★★</span><span class="stars-empty" aria-hidden="true">☆☆</span>' in html
    cells = [item for item in tree(html) if item[:2] == ("<", "td")]
    assert len(cells) == 9


def test_a_timeline_escapes_and_names_each_kind_of_entry():
    convo = f.ConversationFactory(body="first")
    agent = f.agent(first_name="<Ann>", last_name="")
    now = timezone.now()
    Message.objects.create(
        conversation=convo, direction="inbound", author_name="<Cust>", body="<script>1</script>", created_at=now
    )
    Message.objects.create(
        conversation=convo,
        direction="outbound",
        author=agent,
        body="hello",
        delivery="failed",
        delivery_reason="<b>429</b>",
        queued_at=now,
        created_at=now,
    )
    Event.objects.create(conversation=convo, kind="notice_failed", details={"destination": "#room<x>"}, created_at=now)
    entries, _ = timeline(convo)
    convo = type(convo).objects.select_related("channel").get(pk=convo.pk)
    with translation.override("en"):
        html = str(timeline_entries(entries, convo))
    assert "<script>" not in html and "&lt;script&gt;1&lt;/script&gt;" in html
    assert '<strong dir="auto">&lt;Cust&gt;</strong> wrote' in html
    assert "<strong>&lt;Ann&gt;</strong> replied" in html
    assert '<q dir="auto">&lt;b&gt;429&lt;/b&gt;</q>' in html and "Send again" in html
    assert '<span dir="auto">#room&lt;x&gt;</span>' in html


def test_the_admin_list_filters_are_drawn_as_djangos_template_draws_them(client):
    staff = f.admin()
    client.force_login(staff)
    convo = f.ConversationFactory(assignee=staff)
    response = client.get(f"/admin/queues/conversation/?queue__id__exact={convo.queue_id}&stage=open&q=%22a+b%22")
    assert response.status_code == 200
    cl = response.context["cl"]
    assert len(cl.filter_specs) > 3
    for spec in cl.filter_specs:
        ours = large_list_filter(cl, spec)
        assert tree(ours) == tree(admin_list_filter(cl, spec)), spec.title
    assert 'class="selected"' in response.content.decode()


@pytest.mark.parametrize("value", [None, "", "b", 2, ["b"], "<nope>"])
def test_a_drawn_select_is_djangos_select(value):
    choices = [("", "---"), ("a", "A & a"), ("b", "<b>"), ("Group", [(2, "two"), ("b", "b again")])]
    attrs = {"id": "id_x", "class": "c", "required": True, "disabled": False}
    ours = DrawnSelect(choices=choices).render("x", value, attrs)
    assert tree(ours) == tree(forms.Select(choices=choices).render("x", value, attrs))
    assert "<b>" not in ours


def test_the_queue_forms_offer_what_their_querysets_would_read():

    Queue.objects.create(
        name="Old hold", slug="old-hold", kind="on_hold", auto_close_after=timedelta(days=3), is_active=False
    )
    Queue.objects.create(name="Old work", slug="old-work", kind="working", is_active=False)
    convo = f.ConversationFactory()
    user = f.agent()
    queues = list(Queue.objects.all())
    for action in ["put_on_hold", "move"]:
        form = page_form(action, PAGE_FORMS[action], convo, user)
        read = list(form.fields["queue"].queryset)
        assert [queue for queue in queues if form.offers(queue)] == read, action
        assert read, action
        kept = list(form.fields["queue"].choices)
        form.offer_queues(queues)
        assert [str(label) for _value, label in form.fields["queue"].choices] == [str(label) for _v, label in kept]


def test_the_admin_rows_name_their_channel_assignee_and_product_as_their_filters_do(client):
    staff = f.admin()
    client.force_login(staff)
    agent = f.agent(username="<ann>")
    products = [f.ProductFactory(name="P & Q"), f.ProductFactory(name="Other")]
    f.ConversationFactory(assignee=agent, product=products[0], channel=f.channel("org.mozilla.firefox"))
    response = client.get("/admin/queues/conversation/")
    row = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert '<td class="field-channel nowrap">Google Play org.mozilla.firefox</td>' in row
    assert '<td class="field-assignee nowrap">&lt;ann&gt;</td>' in row
    assert '<td class="field-product nowrap">P &amp; Q</td>' in row
