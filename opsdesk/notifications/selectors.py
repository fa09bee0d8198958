"""Reading endpoints and deliveries."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Delivery, Endpoint


def endpoint_list(*, kind: str | None = None) -> QuerySet[Endpoint]:
    """The active endpoints, optionally of one kind (webhook, wecom, dingtalk, feishu)."""
    endpoints = Endpoint.objects.filter(is_active=True)
    return endpoints.filter(kind=kind) if kind else endpoints


def delivery_thread_key(*, message_ids: Iterable[str]) -> str:
    """The thread key of the first of our emails named by these Message-IDs ("" if none).

    For incoming mail: pass the reply's In-Reply-To and References ids to find its thread.
    """
    ids = [value.strip() for value in message_ids if value and value.strip()]
    found = (Delivery.objects.filter(message_id__in=ids).exclude(thread_key="")
             .order_by("id").values_list("thread_key", flat=True).first())
    return found or ""
