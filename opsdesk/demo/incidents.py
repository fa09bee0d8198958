"""Demo incidents, logged and worked through the real incident services.

Every incident is created with incident_create and moved with incident_transition and
comment_create, so numbers, history and counters are exactly what real use would produce.

Each story is told on its own clock (time-machine), starting when its incident was reported:
closed ones weeks ago, open ones in the last hours or days, each step some minutes or hours
after the one before and never later than now. Nothing is back-dated afterwards: every number,
timestamp and history entry is written by the services at the moment the story is at. Stories
are told in the order they began, so numbers and ids follow registration order as in real use.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.incidents.choices import Action, Channel, Status, Visibility
from opsdesk.incidents.notify import notifications_muted
from opsdesk.incidents.services import (comment_create, incident_create, incident_transition,
                                       incident_update)
from opsdesk.reference.models import (Category, ClosureCode, Impact, Nature, PendingReason,
                                      ResolutionCode, Source, Urgency)
from opsdesk.vendors.models import Vendor

from . import data, scenarios
from .scenarios import Scenario

# The first incidents cycle through every status, so even a tiny demo shows them all.
EVERY_STATUS = (Status.LOGGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING,
                Status.RESOLVED, Status.CLOSED, Status.CANCELLED)
STATUS_WEIGHTS = {Status.CLOSED: 40, Status.RESOLVED: 12, Status.IN_PROGRESS: 14,
                  Status.PENDING: 8, Status.ASSIGNED: 10, Status.LOGGED: 8, Status.CANCELLED: 8}
DESK_SOURCES = {"01": Channel.PHONE, "02": Channel.EMAIL, "05": Channel.PHONE,
                "06": Channel.PHONE, "04": Channel.ALERT}
NATURE_BY_CATEGORY = {"ACCOUNT.PERMISSION": "02", "OTHER": "03"}
PENDING_AWAITING_USER, PENDING_AWAITING_VENDOR = "01", "02"
# How long ago a story began, in hours (from, to), by the status it reaches; and the pause
# between two of its steps, in minutes: open incidents move quickly, closed ones took longer.
AGE_HOURS = {Status.LOGGED: (0.3, 6), Status.ASSIGNED: (1, 24), Status.IN_PROGRESS: (2, 72),
             Status.PENDING: (4, 96), Status.RESOLVED: (6, 72), Status.CLOSED: (48, 24 * 60),
             Status.CANCELLED: (24, 24 * 30)}
STEP_MINUTES = {"open": (3, 90), "done": (10, 360)}


@dataclass
class Cast:
    """The people who report and work the demo incidents."""

    requesters: list[User]
    desk: list[User]
    groups: dict[str, SupportGroup]
    members: dict[str, list[User]]


@dataclass
class Story:
    """One incident being told: who reported it, in which language, who works it."""

    rng: random.Random
    scenario: Scenario
    requester: User
    desk_agent: User
    lang: str
    incident: object = None
    worker: User | None = None
    clock: datetime | None = None  # the moment the story is at
    pace: tuple[int, int] = STEP_MINUTES["open"]


def demo_incidents_exist() -> bool:
    """Whether the demo company already has incidents (then none are added)."""
    from opsdesk.incidents.models import Incident

    usernames = [row[0] for row in data.EMPLOYEES] + ["user"]
    return Incident.objects.filter(requester__username__in=usernames).exists()


def demo_incidents_create(*, count: int, seed: int) -> int:
    """Log `count` incidents and move each to its planned status; return how many."""
    with notifications_muted():  # the stories happened in the past: nobody is mailed now
        return _stories_tell(count=count, seed=seed)


def _stories_tell(*, count: int, seed: int) -> int:
    rng, cast, now = random.Random(seed), cast_load(), timezone.now()
    plans = []
    for position in range(count):
        target = _target_status(rng=rng, position=position)
        plans.append((now - timedelta(hours=rng.uniform(*AGE_HOURS[target])), position, target))
    for began, _position, target in sorted(plans):
        story = _story_begin(rng=rng, cast=cast)
        story.clock = began
        story.pace = STEP_MINUTES["done" if target in (Status.CLOSED, Status.CANCELLED)
                                  else "open"]
        _log(story)
        _advance(story, cast=cast, target=target)
    return count


@contextmanager
def _at(story: Story):
    """Run one step at the story's moment, then move its clock on (never past now)."""
    with time_machine.travel(story.clock, tick=False):
        yield
    room = timezone.now() - story.clock
    story.clock += min(timedelta(minutes=story.rng.uniform(*story.pace)), room / 3)


def cast_load() -> Cast:
    """Fetch the demo people and groups fresh (their group memberships are cached per object)."""
    usernames = [row[0] for row in data.EMPLOYEES] + ["user"]
    groups = {g.code: g for g in SupportGroup.objects.filter(
        code__in=[row[0] for row in data.SUPPORT_GROUPS])}
    members = {code: list(g.members.filter(is_active=True).order_by("username"))
               for code, g in groups.items()}
    return Cast(requesters=list(User.objects.filter(username__in=usernames).order_by("username")),
                desk=members["DESK"], groups=groups, members=members)


def _target_status(*, rng: random.Random, position: int) -> Status:
    if position < len(EVERY_STATUS):
        return EVERY_STATUS[position]
    return rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]


def _story_begin(*, rng: random.Random, cast: Cast) -> Story:
    requester = rng.choice(cast.requesters)
    return Story(rng=rng, scenario=rng.choice(scenarios.SCENARIOS), requester=requester,
                 desk_agent=rng.choice(cast.desk),
                 lang="en" if requester.language == "en" else "zh")


def _text(story: Story, pair: tuple[str, str]) -> str:
    return pair[1] if story.lang == "en" else pair[0]


def _log(story: Story) -> None:
    """Log the incident: from the portal by the requester, or by the desk from a call or mail."""
    with _at(story):
        fields, rng = _describe(story), story.rng
        if rng.random() < 0.35:
            fields["source"] = Source.objects.get(pk="03")
            story.incident, _ = incident_create(by=story.requester, data=fields,
                                                channel=Channel.WEB)
            return
        source = rng.choice(list(DESK_SOURCES))
        fields.update(requester=story.requester, source=Source.objects.get(pk=source),
                      contact_phone=f"13{rng.randint(100000000, 999999999)}")
        story.incident, _ = incident_create(by=story.desk_agent, data=fields,
                                            channel=DESK_SOURCES[source])


def _describe(story: Story) -> dict:
    """The fields a requester or the desk fills in for this scenario."""
    scenario = story.scenario
    words = scenario.en if story.lang == "en" else scenario.zh
    return {
        "short_description": words.short, "description": words.description,
        "category": Category.objects.get(path=scenario.category),
        "service": Service.objects.get(code=scenario.service),
        "impact": Impact.objects.get(pk=scenario.impact),
        "urgency": Urgency.objects.get(pk=scenario.urgency),
        "nature": Nature.objects.get(pk=NATURE_BY_CATEGORY.get(scenario.category, "01")),
        "location": story.requester.location,
        "occurred_at": timezone.now() - timedelta(minutes=story.rng.randint(5, 240)),
        "configuration_items": list(ConfigurationItem.objects.filter(name__in=scenario.cis)),
    }


def _act(story: Story, action: Action, by: User, **params) -> None:
    with _at(story):
        story.incident = incident_transition(incident=story.incident, action=action, by=by,
                                             **params)


def _say(story: Story, by: User, pair: tuple[str, str], internal: bool = False) -> None:
    visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC
    with _at(story):
        comment_create(incident=story.incident, by=by, body=_text(story, pair),
                       visibility=visibility)


def _advance(story: Story, *, cast: Cast, target: Status) -> None:
    """Work the incident forward until it reaches the target status."""
    rng = story.rng
    if target == Status.LOGGED:
        if rng.random() < 0.5:
            _say(story, story.desk_agent, rng.choice(scenarios.DESK_REPLIES))
        return
    if target == Status.CANCELLED:
        _cancel(story)
        return
    if not _start_work(story, cast=cast, stop_at_assigned=target == Status.ASSIGNED):
        return
    _work(story, target=target)


def _cancel(story: Story) -> None:
    by_requester = story.rng.random() < 0.6
    by = story.requester if by_requester else story.desk_agent
    _act(story, Action.CANCEL, by, reason=_text(story, story.rng.choice(scenarios.CANCEL_REASONS)))


def _start_work(story: Story, *, cast: Cast, stop_at_assigned: bool) -> bool:
    """Resolve at the first line, or assign to the scenario's group; False once it should stop."""
    group_code = story.scenario.group
    if group_code == "DESK" and not stop_at_assigned:
        _act(story, Action.START, story.desk_agent)
        story.worker = story.desk_agent
        return True
    if group_code == "DESK":
        group_code = "DESKTOP"
    _assign(story, cast=cast, group_code=group_code)
    if stop_at_assigned:
        return False
    if story.rng.random() < 0.1:
        _hand_back_and_reassign(story, cast=cast, group_code=group_code)
    _accept(story, cast=cast, group_code=group_code)
    if story.rng.random() < 0.15:
        _escalate(story, cast=cast)
    return True


def _assign(story: Story, *, cast: Cast, group_code: str) -> None:
    group = cast.groups[group_code]
    assignee = story.rng.choice(cast.members[group_code]) if story.rng.random() < 0.5 else None
    _act(story, Action.ASSIGN, story.desk_agent, assignment_group=group, assignee=assignee)
    _say(story, story.desk_agent, scenarios.DESK_REPLIES[1])


def _accept(story: Story, *, cast: Cast, group_code: str) -> None:
    engineer = story.incident.assignee or story.rng.choice(cast.members[group_code])
    _act(story, Action.ACCEPT, engineer)
    story.worker = engineer
    _say(story, engineer, story.rng.choice(scenarios.WORK_NOTES), internal=True)


def _hand_back_and_reassign(story: Story, *, cast: Cast, group_code: str) -> None:
    engineer = story.incident.assignee or story.rng.choice(cast.members[group_code])
    reason = _text(story, story.rng.choice(scenarios.HAND_BACK_REASONS))
    _act(story, Action.HAND_BACK, engineer, reason=reason)
    _assign(story, cast=cast, group_code=group_code)


def _escalate(story: Story, *, cast: Cast) -> None:
    """Functional escalation: the 2nd-line engineer passes it to the next-line group."""
    next_group = story.incident.assignment_group.escalation_group
    if next_group is None or not cast.members.get(next_group.code):
        return
    _act(story, Action.ASSIGN, story.worker, assignment_group=next_group, assignee=None)
    _accept(story, cast=cast, group_code=next_group.code)


def _work(story: Story, *, target: Status) -> None:
    """From in progress: maybe wait, then resolve, then maybe reopen, then close."""
    rng = story.rng
    if target == Status.IN_PROGRESS:
        return
    if target == Status.PENDING or rng.random() < 0.2:
        _pend(story, resume=target != Status.PENDING)
        if target == Status.PENDING:
            return
    if story.incident.vendor_id is None and rng.random() < 0.5:
        _involve_vendor(story)
    _resolve(story)
    if rng.random() < 0.1:
        _act(story, Action.REJECT, story.requester,
             reason=_text(story, scenarios.REJECT_REASONS[0]))
        _resolve(story)
    if target == Status.CLOSED:
        _close(story)


def _pend(story: Story, *, resume: bool) -> None:
    """Wait for the vendor, or for the user, who answers (and that answer resumes it)."""
    vendor = _vendor(story.scenario)
    by_vendor = vendor is not None and story.rng.random() < 0.6
    if by_vendor:
        _involve_vendor(story)
    reason = PENDING_AWAITING_VENDOR if by_vendor else PENDING_AWAITING_USER
    _act(story, Action.PEND, story.worker, pending_reason=PendingReason.objects.get(pk=reason))
    if not by_vendor:
        _say(story, story.worker, story.rng.choice(scenarios.PENDING_QUESTIONS))
    if resume:
        _resume(story, by_vendor=by_vendor)


def _resume(story: Story, *, by_vendor: bool) -> None:
    if by_vendor:
        _act(story, Action.RESUME, story.worker)
        return
    _say(story, story.requester, ("已发送截图，请查收。", "Screenshot sent, see attached."))
    story.incident.refresh_from_db()


def _involve_vendor(story: Story) -> None:
    """Record the vendor the engineer called (涉及第三方支持) and their ticket number."""
    vendor = _vendor(story.scenario)
    if vendor is not None:
        reference = f"VR-{story.rng.randint(10000, 99999)}"
        with _at(story):
            story.incident = incident_update(incident=story.incident, by=story.worker,
                                             data={"vendor": vendor,
                                                   "vendor_reference": reference})


def _vendor(scenario: Scenario) -> Vendor | None:
    if scenario.vendor is None:
        return None
    return Vendor.objects.filter(name__startswith=scenario.vendor).first()


def _resolve(story: Story) -> None:
    words = story.scenario.en if story.lang == "en" else story.scenario.zh
    _act(story, Action.RESOLVE, story.worker, resolution=words.resolution,
         resolution_code=ResolutionCode.objects.get(pk=story.scenario.resolution_code),
         is_workaround=story.rng.random() < 0.1)


def _close(story: Story) -> None:
    """The requester confirms in the portal, or the owner closes after calling them."""
    if story.rng.random() < 0.6:
        _act(story, Action.CONFIRM, story.requester)
        return
    owner = story.incident.owner or story.desk_agent
    code = "02" if story.incident.is_workaround else "01"
    _act(story, Action.CLOSE, owner, closure_code=ClosureCode.objects.get(pk=code))
