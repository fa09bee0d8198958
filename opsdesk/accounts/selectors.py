"""Reads of people and support groups."""

from django.db.models import Q

from .models import User

SEARCH_WORDS = 5  # more typed words only slow the query down; five find anyone


def user_search(*, text: str, limit: int = 8) -> list[User]:
    """Active people matching every typed word by name, username, phone, email or department."""
    words = text.split()[:SEARCH_WORDS]
    if not words or limit < 1:
        return []
    qs = User.objects.filter(is_active=True)
    for word in words:
        qs = qs.filter(
            Q(username__icontains=word) | Q(display_name__icontains=word)
            | Q(first_name__icontains=word) | Q(last_name__icontains=word)
            | Q(phone__icontains=word) | Q(email__icontains=word)
            | Q(department__name_zh__icontains=word) | Q(department__name_en__icontains=word)
            | Q(department__code__iexact=word))
    return list(qs.select_related("department", "location")
                .order_by("display_name", "username", "id")[:limit])


def user_get_active(*, user_id: int) -> User | None:
    """The active person with this id, with department and location, or None."""
    return (User.objects.filter(is_active=True, pk=user_id)
            .select_related("department", "location").first())


def support_group_members(*, group_id: int) -> list[User]:
    """Active members of an active support group, by name; empty for an unknown group."""
    return list(User.objects.filter(is_active=True, support_groups=group_id,
                                    support_groups__is_active=True)
                .order_by("display_name", "username", "id"))
