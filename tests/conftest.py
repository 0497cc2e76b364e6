import pytest
from django.db import connection

pytest_plugins = ["tests.synapse"]  # the homeserver fixture: a real Synapse for the Matrix tests


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
