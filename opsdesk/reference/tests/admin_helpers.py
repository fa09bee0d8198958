"""Helpers for the admin tests: filling in a form as a browser would, counting queries."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(form) -> dict:
    """The POST data a browser would send for an unchanged (unbound) form."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(v) for v in value]
        elif value is not None:
            data[key] = value
    return data


def change_form_data(response) -> dict:
    """The data of the change form rendered in response, ready to be edited and posted."""
    return form_data(response.context["adminform"].form)


def changelist_formset_data(response) -> dict:
    """The data of an editable changelist (list_editable), ready to be edited and posted."""
    formset = response.context["cl"].formset
    data = {}
    mgmt = formset.management_form
    for name in mgmt.fields:
        data[mgmt.add_prefix(name)] = mgmt[name].value()
    for form in formset.forms:
        data.update(form_data(form))
    data["_save"] = "Save"
    return data


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)
