"""Template context for every page: what the top bar needs beyond the signed-in user."""

from django.utils.functional import SimpleLazyObject


def navigation(request) -> dict:
    """`approvals_waiting`: how many service requests wait for this person's decision.

    Lazy: counted (one indexed query) only when a page's top bar asks, never for an anonymous
    page or an htmx fragment that does not show it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        from opsdesk.catalog.models import ApprovalState, ServiceRequest

        return ServiceRequest.objects.filter(approver=user,
                                             approval_state=ApprovalState.PENDING).count()

    return {"approvals_waiting": SimpleLazyObject(count)}
