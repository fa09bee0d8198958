"""Verifying the hash chains: the audit log's one chain and every incident's history chain.

Both walks read in keyset-paginated batches (never the whole table), so millions of entries
verify in bounded memory on every database. Each chain reports its first broken link: the
entry, and what differs (a missing entry, a link to the wrong predecessor, content that no
longer matches its hash, the head that no longer matches the last entry).
"""

from collections.abc import Iterator
from dataclasses import dataclass

from . import chain, incident_chain
from .models import AuditChainHead, AuditEvent

BATCH = 2000


@dataclass(frozen=True)
class BrokenLink:
    """The first entry of a chain that does not verify, and why."""

    chain: str        # "audit" or the incident's number
    entry_id: int | None
    seq: int | None
    problem: str      # missing, link, content, unlinked, head
    expected: str
    found: str

    def describe(self) -> str:
        where = f"entry id {self.entry_id} (seq {self.seq})" if self.entry_id else "the end"
        return (f"{self.chain}: {where}: {self.problem}: expected {self.expected}, "
                f"found {self.found}")


@dataclass
class Report:
    """What a verification saw: entries and chains checked, and the broken links found."""

    audit_entries: int = 0
    incident_entries: int = 0
    incident_chains: int = 0
    broken: list[BrokenLink] | None = None
    broken_left: int = 0  # broken chains beyond those listed

    @property
    def ok(self) -> bool:
        return not self.broken


def verify_all(*, max_reported: int = 20) -> Report:
    """Verify the audit chain and every incident chain; report at most max_reported breaks."""
    report = Report(broken=[])
    audit_break, report.audit_entries = audit_chain_verify()
    if audit_break:
        report.broken.append(audit_break)
    for item in incident_chains_verify():
        if isinstance(item, BrokenLink):
            if len(report.broken) < max_reported:
                report.broken.append(item)
            else:
                report.broken_left += 1
        else:
            report.incident_chains += 1
            report.incident_entries += item
    return report


# ---- the audit log ----------------------------------------------------------------------

def audit_chain_verify() -> tuple[BrokenLink | None, int]:
    """The audit chain's first broken link (None: intact) and the number of entries read."""
    seq, prev, count = 0, "", 0
    for event in _audit_entries():
        count += 1
        broken = _check(chain="audit", entry=event, expected_seq=seq + 1, prev=prev,
                        content=event.chain_content())
        if broken:
            return broken, count
        seq, prev = event.seq, event.hash
    return _audit_head_check(seq, prev), count


def _audit_entries() -> Iterator[AuditEvent]:
    after = 0
    while rows := list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:BATCH]):
        yield from rows
        after = rows[-1].seq


def _audit_head_check(seq: int, last_hash: str) -> BrokenLink | None:
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head is None:
        return None if seq == 0 else BrokenLink("audit", None, None, "head",
                                                 f"a head at seq {seq}", "no head row")
    if tuple(head) != (seq, last_hash):
        return BrokenLink("audit", None, head[0], "head",
                          f"the last entry, seq {head[0]} hash {head[1][:16]}…",
                          f"seq {seq} hash {last_hash[:16]}… (entries removed from the end, "
                          "or the head changed)")
    return None


# ---- the incident history ---------------------------------------------------------------

def incident_chains_verify() -> Iterator[BrokenLink | int]:
    """Per incident with history: its first broken link, or its entry count when intact.

    Walks the incidents (not the entries), so an incident whose entries were all removed is
    found by the head its row still records.
    """
    from opsdesk.incidents.models import Incident, IncidentEvent

    after = 0
    while batch := list(Incident.objects.filter(pk__gt=after).order_by("pk").values_list(
            "pk", "number", "history_seq", "history_hash")[:incident_chain.BATCH_INCIDENTS]):
        after = batch[-1][0]
        entries: dict[int, list] = {}
        rows = IncidentEvent.objects.filter(incident_id__in=[row[0] for row in batch]).order_by(
            "incident_id", "seq", "id")
        for event in rows.iterator(chunk_size=BATCH):
            entries.setdefault(event.incident_id, []).append(event)
        for pk, number, head_seq, head_hash in batch:
            if head_seq or pk in entries:
                yield _incident_chain_check(entries.get(pk, []), number or f"incident id {pk}",
                                            head=(head_seq, head_hash))


def _incident_chain_check(entries: list, name: str, *, head: tuple[int, str]) -> BrokenLink | int:
    seq, prev = 0, ""
    for event in entries:
        broken = _check(chain=name, entry=event, expected_seq=seq + 1, prev=prev,
                        content=incident_chain.event_content(event))
        if broken:
            return broken
        seq, prev = event.seq, event.hash
    if head != (seq, prev):
        return BrokenLink(name, None, head[0], "head",
                          f"the last entry, seq {head[0]} hash {head[1][:16] or '(none)'}… "
                          "(recorded on the incident)",
                          f"seq {seq} hash {prev[:16] or '(none)'}… (entries removed from the "
                          "end, or the head changed)")
    return len(entries)


# ---- one link -----------------------------------------------------------------------------

def _check(*, chain: str, entry, expected_seq: int, prev: str, content: dict) -> BrokenLink | None:
    """The problem with one entry given its predecessor's seq and hash, or None."""
    def broken(problem, expected, found):
        return BrokenLink(chain, entry.pk, entry.seq, problem, expected, found)

    if entry.seq is None or not entry.hash:
        return broken("unlinked", "a seq and a hash", "an entry outside the chain")
    if entry.seq != expected_seq:
        what = "missing entries" if entry.seq > expected_seq else "a repeated or moved entry"
        return broken("missing" if entry.seq > expected_seq else "order",
                      f"seq {expected_seq}", f"seq {entry.seq} ({what})")
    if entry.prev_hash != prev:
        return broken("link", f"previous hash {prev[:16] or '(none)'}…",
                      f"{entry.prev_hash[:16] or '(none)'}… (the entry before it was changed, "
                      "removed or moved)")
    computed = _hash(prev, content)
    if computed != entry.hash:
        return broken("content", f"hash {computed[:16]}… of the stored content",
                      f"{entry.hash[:16]}… (the entry was changed after it was written)")
    return None


def _hash(prev: str, content: dict) -> str:
    return chain.link_hash(prev, content)
