"""Extension points: apps built on incidents react to their changes without being imported here.

The incidents app must not import the apps that build on it (major incidents, tasks, mentions,
problems). Those register plain functions in their `AppConfig.ready()`; the incident services
call them at fixed points, inside the same transaction as the change, so what a hook writes
commits or rolls back with it. A hook that must refuse a change raises a DomainError.

- `transition_guard_add(fn)`: `fn(*, incident, action, by, params)` before a transition's effects
  (the row is locked; `by=None` is the system). Raise Conflict or InvalidInput to refuse it.
- `after_transition_add(fn)`: `fn(*, incident, action, by, channel, from_status, event)` after the
  status changed and the history entry was written.
- `after_create_add(fn)`: `fn(*, incident, by, channel)` after an incident is created and numbered:
  in the creating transaction when the caller has one, else in the creation's follow-up
  transaction right after the commit (services/records.py; a failure there is retried by the
  periodic sweep, so a create hook must be safe to run again after a rollback).
- `after_comment_add(fn)`: `fn(*, incident, comment, by, channel)` after a reply or work note.
- `visibility_q_add(fn)`: `fn(user) -> Q | None`, more incidents a person who does not see
  everything may see (e.g. the incidents of their groups' open tasks). Return a condition that
  the list's own query evaluates (a subquery), so it costs no query of its own.
- `after_update_add(fn)`: `fn(*, incident, by, channel, changed)` after `incident_update` changed
  fields (`changed`: the set of their names, scalar fields, priority and owner).
"""

from collections.abc import Callable

_guards: list[Callable] = []
_after_transition: list[Callable] = []
_after_create: list[Callable] = []
_after_comment: list[Callable] = []
_after_update: list[Callable] = []
_visibility: list[Callable] = []


def _add(hooks: list, fn: Callable) -> Callable:
    if fn not in hooks:  # ready() may run twice in tests
        hooks.append(fn)
    return fn


def transition_guard_add(fn: Callable) -> Callable:
    return _add(_guards, fn)


def after_transition_add(fn: Callable) -> Callable:
    return _add(_after_transition, fn)


def after_create_add(fn: Callable) -> Callable:
    return _add(_after_create, fn)


def after_comment_add(fn: Callable) -> Callable:
    return _add(_after_comment, fn)


def after_update_add(fn: Callable) -> Callable:
    return _add(_after_update, fn)


def visibility_q_add(fn: Callable) -> Callable:
    return _add(_visibility, fn)


def visibility_conditions(user) -> list:
    return [q for q in (fn(user) for fn in _visibility) if q is not None]


def transition_check(*, incident, action, by, params: dict) -> None:
    for fn in _guards:
        fn(incident=incident, action=action, by=by, params=params)


def transition_done(*, incident, action, by, channel, from_status, event) -> None:
    for fn in _after_transition:
        fn(incident=incident, action=action, by=by, channel=channel, from_status=from_status,
           event=event)


def created(*, incident, by, channel) -> None:
    for fn in _after_create:
        fn(incident=incident, by=by, channel=channel)


def commented(*, incident, comment, by, channel) -> None:
    for fn in _after_comment:
        fn(incident=incident, comment=comment, by=by, channel=channel)


def updated(*, incident, by, channel, changed: set) -> None:
    if not changed:
        return
    for fn in _after_update:
        fn(incident=incident, by=by, channel=channel, changed=changed)
