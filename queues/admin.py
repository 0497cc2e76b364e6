"""Admin registrations: see issue 5."""
