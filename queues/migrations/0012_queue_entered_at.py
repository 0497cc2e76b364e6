"""When each conversation entered the queue it is in: the dashboard's longest wait in a queue, the list's time in
queue. Existing rows get it from their latest event into that queue, else from when they arrived.

And an index for the customer's other conversations on a channel (by handle, or name where there is none)."""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, NullIf


def backfill(apps, schema_editor):
    Conversation = apps.get_model("queues", "Conversation")
    Event = apps.get_model("queues", "Event")
    entered = (
        Event.objects.filter(conversation=OuterRef("pk"), to_queue=OuterRef("queue"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    Conversation.objects.update(queue_entered_at=Coalesce(Subquery(entered), F("received_at")))


class Migration(migrations.Migration):
    dependencies = [("queues", "0010_report_rollups")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="queue_entered_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                verbose_name="in this queue since",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["queue", "status", "queue_entered_at"], name="conv_queue_status_entered"),
        ),
        # The customer's other conversations on the conversation page (models.CUSTOMER_KEY).
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                models.F("channel"),
                Coalesce(NullIf("author_handle", models.Value("")), "author_name"),
                models.F("received_at"),
                name="conv_channel_customer",
            ),
        ),
    ]
