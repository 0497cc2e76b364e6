"""Single sign-on through an OpenID Connect provider (README, "Single sign-on")."""
