"""Single sign-on's identities; the audit trail made append-only by database triggers (queues/history.py); a user's
events indexed newest first for the "who did what" page, which Admins reach from a user's page in the admin: they may
now view users (not change them).

Non-atomic, for CREATE/DROP INDEX CONCURRENTLY on PostgreSQL: building the index over millions of events must not
block the agents' writes, each of which writes an event. The new index leads with actor, so it replaces event_actor.
This migration touches no history: it needs no history.rewritable().
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from queues import history

_CREATE = (
    "CREATE INDEX {concurrently} IF NOT EXISTS event_actor_created"
    ' ON queues_event (actor_id, created_at, id) WHERE actor_id IS NOT NULL'
)
_DROP = "DROP INDEX {concurrently} IF EXISTS {name}"


def _concurrently(schema_editor):
    return "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def create_index(apps, schema_editor):
    schema_editor.execute(_CREATE.format(concurrently=_concurrently(schema_editor)))
    schema_editor.execute(_DROP.format(concurrently=_concurrently(schema_editor), name="event_actor"))


def drop_index(apps, schema_editor):
    schema_editor.execute(
        "CREATE INDEX {} IF NOT EXISTS event_actor ON queues_event (actor_id) WHERE actor_id IS NOT NULL".format(
            _concurrently(schema_editor)
        )
    )
    schema_editor.execute(_DROP.format(concurrently=_concurrently(schema_editor), name="event_actor_created"))


def admins_view_users(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    view_user = Permission.objects.filter(content_type__app_label="auth", codename="view_user").first()
    admins = Group.objects.filter(name="Admins").first()
    if view_user and admins:  # both exist unless migration 0002 was faked
        admins.permissions.add(view_user)


def admins_do_not_view_users(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for admins in Group.objects.filter(name="Admins"):
        admins.permissions.remove(*admins.permissions.filter(content_type__app_label="auth", codename="view_user"))


def install(apps, schema_editor):
    history.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    history.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("queues", "0007_fewer_indexes_on_writes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Identity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("issuer", models.CharField(max_length=255, verbose_name="issuer")),
                ("subject", models.CharField(max_length=255, verbose_name="subject")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at"),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identities",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "identity",
                "verbose_name_plural": "identities",
                "constraints": [
                    models.UniqueConstraint(fields=("issuer", "subject"), name="identity_issuer_subject_unique")
                ],
            },
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="event", name="event_actor"),
                migrations.AddIndex(
                    model_name="event",
                    index=models.Index(
                        condition=models.Q(("actor__isnull", False)),
                        fields=["actor", "created_at", "id"],
                        name="event_actor_created",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create_index, drop_index)],
        ),
        migrations.RunPython(install, uninstall),
        migrations.RunPython(admins_view_users, admins_do_not_view_users),
    ]
