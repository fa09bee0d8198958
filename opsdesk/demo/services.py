"""Creating the demo company. Safe to run again: existing rows are kept, never duplicated."""

import os
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from opsdesk.accounts.models import Location, Organisation, SupportGroup, User
from opsdesk.accounts.roles import ROLE_FIELDS, Role
from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.reference.services import reference_load_defaults
from opsdesk.vendors.models import Vendor
from opsdesk.incidents.models import Incident

from . import data
from .alerts import demo_alerts_create
from .analysis import analysis_seed
from .measures import measures_seed
from .reports import reports_seed
from .surveys import surveys_seed
from .catalog import catalog_seed
from .collab import collab_seed
from .knowledge import knowledge_seed
from .major import major_seed
from .problems import problems_seed
from .reviews import reviews_seed
from .vendors import vendors_seed
from .incidents import demo_incidents_create, demo_incidents_exist

# Letters and digits that cannot be mistaken for one another when read off a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class DemoAccount:
    """A sign-in account of the demo and the password it was given on this run."""

    username: str
    role: str
    password: str


@dataclass(frozen=True)
class DemoResult:
    """What demo_company_create did: the accounts to print and how many incidents it logged."""

    accounts: list[DemoAccount]
    incidents_created: int


def demo_company_create(*, incidents: int = 300, seed: int = 0,
                        password: str | None = None) -> DemoResult:
    """Create the demo company 示例科技有限公司 with people, groups, services, CIs and incidents.

    Idempotent: organisations, people, groups, services, CIs and vendors are matched by their
    code or name and kept as they are; incidents are only logged while the company has none.
    The six role accounts get a new password on every run: `password`, else the environment's
    OPSDESK_DEMO_PASSWORD, else a random one per account.
    """
    reference_load_defaults()
    password = password or os.environ.get("OPSDESK_DEMO_PASSWORD") or None
    with transaction.atomic():
        _organisations_create()
        _locations_create()
        _support_groups_create()
        accounts = _role_accounts_create(password=password)
        _people_create(password=password)
        _memberships_create()
        _vendors_create()
        _services_create()
        created = 0
        if not demo_incidents_exist():
            # Eight P2 stories whose history shows where time goes (issue 8's process
            # analysis), older than the other stories, which come after them in time and id.
            created += analysis_seed()
            created += demo_incidents_create(count=incidents, seed=seed)
        # The closed incidents' surveys, about half answered, each at its own past moment:
        # before the seeds below add today's entries to the same incidents' history.
        surveys_seed(seed=seed)
        _routing_rules_create()  # after the stories, whose desk agents assign by hand
        created += demo_alerts_create()
        knowledge_seed()
        catalog_seed()
        # Issue 7: the incident manager's tools, on top of the incidents above.
        vendors_seed()
        collab_seed()
        problems_seed()
        before = Incident.objects.count()
        major_seed()  # an ERP outage: its master and twenty reports
        created += Incident.objects.count() - before
        reviews_seed()  # the review of the major incident just seeded
        # Issue 8: the process owner's measures, on top of everything above.
        reports_seed()  # the process owner's scheduled reports
        measures_seed()  # last: counts every KPI of what the seeds above made
    return DemoResult(accounts=accounts, incidents_created=created)


def _organisations_create() -> None:
    code, zh, en = data.COMPANY
    company, _ = Organisation.objects.get_or_create(code=code, defaults={
        "name_zh": zh, "name_en": en})
    for code, zh, en in data.DEPARTMENTS:
        Organisation.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "parent": company})


def _locations_create() -> None:
    for code, zh, en, address in data.LOCATIONS:
        Location.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "address": address})


def _support_groups_create() -> None:
    for code, zh, en, line, _next, email in data.SUPPORT_GROUPS:
        SupportGroup.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "line": line, "email": email})
    for code, *_rest, next_code, _email in data.SUPPORT_GROUPS:
        if next_code:
            SupportGroup.objects.filter(code=code, escalation_group=None).update(
                escalation_group=SupportGroup.objects.get(code=next_code))


def _routing_rules_create() -> None:
    from opsdesk.reference.models import Category, RoutingRule

    for zh, en, category, location, group in data.ROUTING_RULES:
        RoutingRule.objects.get_or_create(name_en=en, defaults={
            "name_zh": zh, "category": Category.objects.get(path=category),
            "location": Location.objects.get(code=location) if location else None,
            "group": SupportGroup.objects.get(code=group)})


def password_generate() -> str:
    """A random password of three groups of four characters, easy to read and type."""
    groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def _role_accounts_create(*, password: str | None) -> list[DemoAccount]:
    """The six role accounts: flags reset to their role, a new password printed every run."""
    accounts = []
    for username, role, display_name, department, location, _groups in data.ROLE_USERS:
        flags = {field: False for field in (*ROLE_FIELDS.values(), "is_superuser", "is_staff")}
        flags.update(data.ROLE_FLAGS[role])
        user, _ = User.objects.update_or_create(username=username, defaults={
            **_profile(username, display_name, department, location, "zh-hans"), **flags})
        secret = password or password_generate()
        user.set_password(secret)
        user.save(update_fields=["password"])
        accounts.append(DemoAccount(username=username, role=Role(role).label, password=secret))
    return accounts


def _profile(username: str, display_name: str, department: str, location: str,
             language: str) -> dict:
    return {"display_name": display_name, "email": f"{username}@{data.EMAIL_DOMAIN}",
            "department": Organisation.objects.get(code=department),
            "location": Location.objects.get(code=location), "language": language,
            "is_active": True}


def _people_create(*, password: str | None) -> None:
    """Employees and support staff. They sign in only when a shared demo password is given."""
    hashed = make_password(password) if password else make_password(None)
    for username, name, department, location, language in data.EMPLOYEES:
        _person_ensure(username=username, hashed=hashed, reset=bool(password),
                       defaults=_profile(username, name, department, location, language))
    for username, name, role, _groups, location in data.STAFF:
        language = "zh-hans" if not name.isascii() else "en"
        defaults = {**_profile(username, name, "EXT-IT", location, language),
                    **data.ROLE_FLAGS[role]}
        _person_ensure(username=username, hashed=hashed, reset=bool(password), defaults=defaults)


def _person_ensure(*, username: str, hashed: str, reset: bool, defaults: dict) -> None:
    # One hash shared by every extra demo person: hashing dozens of passwords would take seconds.
    user, created = User.objects.get_or_create(username=username,
                                               defaults={**defaults, "password": hashed})
    if reset and not created:
        User.objects.filter(pk=user.pk).update(password=hashed)


def _memberships_create() -> None:
    groups = {g.code: g for g in SupportGroup.objects.all()}
    people = [(row[0], row[5]) for row in data.ROLE_USERS] + [(r[0], r[3]) for r in data.STAFF]
    users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])}
    for username, codes in people:
        for code in codes:
            groups[code].members.add(users[username])
    for code, username in data.GROUP_MANAGERS.items():
        SupportGroup.objects.filter(code=code, manager=None).update(manager=users[username])


def _vendors_create() -> None:
    for name, contact, phone, email, notes in data.VENDORS:
        Vendor.objects.get_or_create(name=name, defaults={
            "contact_name": contact, "phone": phone, "email": email, "notes": notes})


def _services_create() -> None:
    """Services with their owner groups, and the configuration items that serve them."""
    groups = {g.code: g for g in SupportGroup.objects.all()}
    for code, zh, en, owner, description in data.SERVICES:
        Service.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "owner_group": groups[owner],
            "description": description})
    services = {s.code: s for s in Service.objects.all()}
    for name, ci_type, owner, codes, location, serial, description in data.CONFIGURATION_ITEMS:
        ci, _ = ConfigurationItem.objects.get_or_create(name=name, defaults={
            "ci_type_id": ci_type, "owner_group": groups[owner], "serial_number": serial,
            "location": Location.objects.get(code=location), "description": description})
        ci.services.add(*(services[code] for code in codes))
