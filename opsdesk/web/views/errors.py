"""Error pages that tell a person what happened and where to go next."""

from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "403.html", status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    from opsdesk.core.unavailable import database_unavailable

    if (unavailable := database_unavailable(request)) is not None:
        return unavailable  # the database is restarting: 503, try again (not a 500)
    # No context processors that could fail again: a plain render of a static template.
    from django.template import loader
    from django.http import HttpResponseServerError

    return HttpResponseServerError(loader.get_template("500.html").render())
