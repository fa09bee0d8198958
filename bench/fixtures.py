"""What the API benchmark needs from the database: tokens and realistic query parameters.

Picks come from the data itself (the busiest queue, the engineer with the most work in
progress, the requester with the most incidents, random existing numbers), so the same
benchmark is meaningful on 200 seeded incidents and on a million.
"""

import random
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q

from opsdesk.accounts.models import ApiToken, SupportGroup, User
from opsdesk.accounts.services import api_token_create, api_token_revoke
from opsdesk.cmdb.models import Service
from opsdesk.incidents.choices import OPEN_STATUSES, Channel, Status
from opsdesk.incidents.models import Incident
from opsdesk.reference.models import Category

TOKEN_NAME = "api-bench"


@dataclass
class Fixtures:
    """Tokens (secrets) for the callers and the values their requests use."""

    desk: str
    desk_token: str
    engineer: str
    engineer_token: str
    engineer_group: str
    requester: str
    requester_token: str
    group: str
    numbers: list[str]
    requesters: list[str]
    categories: list[str]
    services: list[str]
    tokens: list[ApiToken] = field(default_factory=list, repr=False)


def fixtures_prepare(*, sample: int = 2000, rng: random.Random | None = None) -> Fixtures:
    """Tokens for a desk agent, the busiest engineer and the busiest requester, plus picks."""
    rng = rng or random.Random(1)
    desk = _first(User.objects.filter(is_service_desk=True, is_active=True).order_by("username"),
                  "a service-desk agent (run `manage.py seed_incidents` first)")
    engineer = User.objects.get(pk=_busiest("assignee", status=Status.IN_PROGRESS))
    requester = User.objects.get(pk=_busiest_person())
    group = SupportGroup.objects.get(pk=_busiest("assignment_group", status__in=OPEN_STATUSES,
                                                 assignment_group__line__gt=1))
    tokens, secrets = [], []
    for user in (desk, engineer, requester):
        token, secret = api_token_create(user=user, name=TOKEN_NAME)
        tokens.append(token)
        secrets.append(secret)
    return Fixtures(
        desk=desk.username, desk_token=secrets[0],
        engineer=engineer.username, engineer_token=secrets[1],
        engineer_group=(engineer.support_groups.order_by("line", "code").first()
                        or group).code,
        requester=requester.username, requester_token=secrets[2], group=group.code,
        numbers=_numbers(sample, rng), requesters=_requesters(rng),
        categories=list(Category.objects.filter(is_active=True).values_list("path", flat=True)),
        services=list(Service.objects.filter(is_active=True).values_list("code", flat=True)),
        tokens=tokens,
    )


def fixtures_release(fixtures: Fixtures) -> None:
    """Revoke the benchmark's tokens."""
    for token in fixtures.tokens:
        api_token_revoke(token=token)


def _first(queryset, what: str):
    found = queryset.first()
    if found is None:
        raise SystemExit(f"No {what} in the database.")
    return found


def _busiest(column: str, *q, **conditions) -> int:
    """The value of column shared by the most incidents matching conditions."""
    row = (Incident.objects.filter(*q, **conditions).exclude(**{f"{column}__isnull": True})
           .values(column).annotate(n=Count("id")).order_by("-n").first())
    if row is None:
        raise SystemExit(f"No incident with a {column} matching {conditions}: seed more incidents.")
    return row[column]


def _busiest_person() -> int:
    """The person without a support role who reported the most incidents (alerts aside)."""
    return _busiest("requester", ~Q(channel=Channel.ALERT), requester__is_service_desk=False,
                    requester__is_engineer=False)


def _numbers(sample: int, rng: random.Random) -> list[str]:
    """Numbers of random existing incidents (ids drawn between the lowest and the highest)."""
    bounds = Incident.objects.aggregate(lo=Min("id"), hi=Max("id"))
    ids = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range(sample)}
    numbers = list(Incident.objects.filter(pk__in=ids).values_list("number", flat=True))
    if not numbers:
        raise SystemExit("No incidents: run `manage.py seed_incidents` first.")
    return numbers


def _requesters(rng: random.Random) -> list[str]:
    people = list(User.objects.filter(is_active=True, is_service_desk=False, is_engineer=False)
                  .values_list("username", flat=True)[:500])
    rng.shuffle(people)
    return people
