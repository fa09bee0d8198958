"""@mentions in replies and work notes by support staff (the incidents' after_comment hook).

A mention names an active person who may see the incident (Incident.objects.restrict). Staff
not yet involved become collaborators (through incidents' people_add, when the author may add
people); everyone named is mailed (kind "mentioned", their preference respected) and recorded
in a Mention row. A person who may not see the incident, or an unknown name, is ignored: a
mention never shows an incident to someone new. Internal work notes only reach staff.
"""

from django.db.models import Q

from opsdesk.accounts.models import User
from opsdesk.incidents.choices import Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import people_add

from .. import notify, rules
from ..models import Mention
from ..parsing import MAX_MENTIONS, candidate_names, mention_candidates, mention_match


def mentions_after_comment(*, incident, comment, by, channel) -> None:
    """incidents hook: resolve, involve, notify and record the people a staff comment names."""
    if by is None or not rules.user_is_staff(by):
        return  # a requester's "@" is just text
    people = mentioned_users(text=comment.body, exclude=by)
    if not people:
        return
    visible = _may_see(people, incident)
    internal = comment.visibility == Visibility.INTERNAL
    readers = [u for u in people if u.pk in visible and (not internal or rules.user_is_staff(u))]
    _involve(incident=incident, by=by, people=[u for u in people if u.pk in visible],
             channel=channel)
    told = notify.notify_mentioned(incident=incident, comment=comment, by=by, users=readers)
    reader_ids = {u.pk for u in readers}
    Mention.objects.bulk_create(
        [Mention(comment=comment, user=u, notified=u.pk in told and u.pk in reader_ids)
         for u in people if u.pk in visible], ignore_conflicts=True)


def mentioned_users(*, text: str, exclude=None, limit: int = MAX_MENTIONS) -> list[User]:
    """The active people the text names with @, in order of appearance (one query)."""
    candidates = mention_candidates(text, limit=limit)
    if not candidates:
        return []
    known = _people_by_name(candidate_names(candidates))
    found, seen = [], set()
    for candidate in candidates:
        _name, user = mention_match(candidate, known)
        if user is None or user.pk in seen or (exclude is not None and user.pk == exclude.pk):
            continue
        seen.add(user.pk)
        found.append(user)
    return found


def _people_by_name(names: set[str]) -> dict[str, User]:
    """name → person: usernames first; a display name only when one person has it."""
    rows = list(User.objects.filter(is_active=True).filter(
        Q(username__in=names) | Q(display_name__in=names)))
    by_display: dict[str, list[User]] = {}
    for user in rows:
        if user.display_name:
            by_display.setdefault(user.display_name, []).append(user)
    known = {name: users[0] for name, users in by_display.items() if len(users) == 1}
    known.update({u.username: u for u in rows if u.username in names})
    return known


def _may_see(people: list[User], incident) -> set[int]:
    """Ids of the people who may see the incident (one small query each, at most 20)."""
    return {u.pk for u in people
            if Incident.objects.restrict(u).filter(pk=incident.pk).exists()}


def _involve(*, incident, by, people: list[User], channel) -> None:
    """Staff named who are not yet involved become collaborators, if the author may add them."""
    if not rules.may_add_collaborators(user=by, incident=incident):
        return
    current = set(incident.collaborators.values_list("pk", flat=True))
    group_id = incident.assignment_group_id
    newcomers = [u for u in people if rules.user_is_staff(u) and u.pk not in current
                 and u.pk not in (incident.assignee_id, incident.owner_id)
                 and group_id not in u.support_group_ids]
    if newcomers:
        people_add(incident=incident, by=by, field="collaborators", users=newcomers,
                   channel=channel)
