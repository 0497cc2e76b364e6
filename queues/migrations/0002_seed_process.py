"""Seeds what the process document fixes: queues, channels, products, the escalation statement,
and the roles. Names are data admins may edit afterwards; code never looks them up by name."""

from datetime import timedelta

from django.contrib.auth.management import create_permissions
from django.db import migrations

ESCALATION_STATEMENT = (
    "Your issue seems a bit more complicated and requires more investigation. We're currently looking "
    "into it and we'll get back to you with more details ASAP. If any other information occurs in the "
    "meantime, please let us know."
)

PRODUCTS = [
    # name, slug, Matrix room, Slack channel, paid
    (
        "Firefox Desktop",
        "firefox-desktop",
        "#firefox:mozilla.org",
        "#desktop-sumo",
        False,
    ),
    (
        "Firefox on Windows Store",
        "firefox-windows-store",
        "",
        "#desktop-integrations",
        False,
    ),
    (
        "Firefox for Enterprise",
        "firefox-enterprise",
        "#firefox-enterprise:mozilla.org",
        "#enterprise",
        False,
    ),
    (
        "Firefox for Android",
        "firefox-android",
        "#fenix:mozilla.org",
        "#android-support",
        False,
    ),
    ("Firefox for iOS", "firefox-ios", "#fx-ios:mozilla.org", "#ios-support", False),
    (
        "Focus for Android",
        "focus-android",
        "#focus-android:mozilla.org",
        "#focus-support",
        False,
    ),
    ("Focus for iOS", "focus-ios", "#focus-ios:mozilla.org", "#focus-support", False),
    ("Pocket", "pocket", "", "", True),
]

ROLES = {
    "Contributors": ["work_conversation"],
    "Moderators": [
        "work_conversation",
        "moderate_conversation",
        "add_tag",
        "change_tag",
        "view_tag",
    ],
    "Admins": [
        "work_conversation",
        "moderate_conversation",
        *(
            f"{verb}_{model}"
            for model in ("queue", "channel", "product", "tag", "clipping")
            for verb in ("add", "change", "view")
        ),
        "delete_tag",
        "change_conversation",
        "view_conversation",
        "view_message",
        "view_note",
        "view_event",
    ],
}


def seed(apps, schema_editor):
    Queue = apps.get_model("queues", "Queue")
    Channel = apps.get_model("queues", "Channel")
    Product = apps.get_model("queues", "Product")
    Clipping = apps.get_model("queues", "Clipping")

    def queue(slug, name, kind, description, auto_close_after=None):
        return Queue.objects.create(
            slug=slug,
            name=name,
            kind=kind,
            description=description,
            auto_close_after=auto_close_after,
        )

    social = queue(
        "social-support",
        "Social support",
        "working",
        "New posts and comments from X and Facebook.",
    )
    mobile = queue(
        "mobile-support", "Mobile support", "working", "New Google Play Store reviews."
    )
    queue(
        "on-hold",
        "On Hold",
        "on_hold",
        "Waiting on the customer. Closed automatically when the customer stays silent.",
        timedelta(days=7),
    )
    social_escalation = queue(
        "social-support-escalation",
        "Social support - Escalation",
        "escalation",
        "Escalated social conversations. No automation: each one is handled by a person.",
    )
    mobile_escalation = queue(
        "mobile-support-escalation",
        "Mobile support - Escalation",
        "escalation",
        "Escalated Google Play reviews. No automation: each one is handled by a person.",
    )

    products = {}
    for name, slug, matrix, slack, paid in PRODUCTS:
        products[slug] = Product.objects.create(
            name=name, slug=slug, matrix_room=matrix, slack_channel=slack, is_paid=paid
        )

    for name, platform, account, working, escalation, product in [
        (
            "Firefox Support on X",
            "x",
            "@FirefoxSupport",
            social,
            social_escalation,
            None,
        ),
        ("Firefox on X", "x", "@Firefox", social, social_escalation, None),
        ("Firefox on Facebook", "facebook", "Firefox", social, social_escalation, None),
        (
            "Firefox for Android on Google Play",
            "google_play",
            "org.mozilla.firefox",
            mobile,
            mobile_escalation,
            "firefox-android",
        ),
        (
            "Firefox Focus on Google Play",
            "google_play",
            "org.mozilla.focus",
            mobile,
            mobile_escalation,
            "focus-android",
        ),
        (
            "Firefox Klar on Google Play",
            "google_play",
            "org.mozilla.klar",
            mobile,
            mobile_escalation,
            "focus-android",
        ),
    ]:
        Channel.objects.create(
            name=name,
            platform=platform,
            account=account,
            working_queue=working,
            escalation_queue=escalation,
            default_product=products.get(product),
        )

    Clipping.objects.create(
        title="Escalation statement",
        body=ESCALATION_STATEMENT,
        is_escalation_statement=True,
    )


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; the roles need them now.
    for label in ("auth", "queues"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="queues", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("queues", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
