"""The accounts app's periodic entry point."""

from django_tasks import task

from .usersessions import user_sessions_cleanup


@task()
def user_sessions_prune() -> int:
    """Forget the sessions list's rows of expired sessions (core/periodic.py, hourly)."""
    return user_sessions_cleanup()
