"""Test clients for the accounts tests."""

from django.test import Client


def client_for(user) -> Client:
    """A client signed in as `user` by the local backend, whatever the backends' order."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client
