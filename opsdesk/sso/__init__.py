"""Single sign-on with OpenID Connect (issue 9)."""
