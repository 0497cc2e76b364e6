"""Factories for tests. Queues, channels, products and the statement come from the seed migration."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from queues.models import Channel, Clipping, Conversation, Product, Queue, Tag

# Every test user's password, for tests that sign in through the login form as a person would.
PASSWORD = "correct horse battery staple"
# The note an escalation needs: the problem and the steps already suggested.
STEPS = "Asked them to clear the cache and restart; it still crashes on start."


def channel(account: str = "@FirefoxSupport") -> Channel:
    """A seeded channel by its account."""
    return Channel.objects.select_related("working_queue", "escalation_queue").get(account=account)


def queue_of_kind(kind: str) -> Queue:
    return Queue.objects.filter(kind=kind).order_by("pk").first()


def statement() -> Clipping:
    return Clipping.objects.get(is_escalation_statement=True)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def agent(**kwargs):
    return UserFactory(role="Contributors", **kwargs)


def moderator(**kwargs):
    return UserFactory(role="Moderators", **kwargs)


def admin(**kwargs):
    """Staff in the Admins group: the Django admin and configuration."""
    return UserFactory(role="Admins", is_staff=True, **kwargs)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    channel = factory.LazyFunction(channel)
    queue = factory.LazyAttribute(lambda o: o.channel.working_queue)
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    author_name = factory.Faker("name")
    author_handle = factory.LazyAttribute(lambda o: "@" + o.author_name.replace(" ", "").lower())
    body = factory.Faker("sentence")
