"""seed_incidents: bulk-create N realistic incidents with their history, for benchmarks and demos.

    python manage.py seed_incidents --count 1000000 [--batch 5000] [--days 365] [--seed 1]
                                    [--workers N]

Incidents are spread over the last --days days (fewer at night and at weekends). Each is
numbered prefix + local date + daily serial, serials in registration order, and its ids follow
registration order too, as in production (the list's "-registered_at" sort is "-id").

How the work is split: this process draws the registration times, then for each batch reserves
the batch's serials (DailySerial, exactly as number_next takes one) and, on PostgreSQL, its ids
(nextval). Worker processes build the incidents and their history and write them, one
transaction per batch, with COPY on PostgreSQL and the ORM's bulk_create elsewhere. Reserving in order here keeps numbers and ids in time
order whichever worker finishes first, and incident_create carries on after the reserved blocks.
A failed run leaves its reserved numbers unused (gaps), never duplicates.
"""

import json
import multiprocessing
import os
import random
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.db.models import F, JSONField
from django.utils import timezone
from tqdm import tqdm

from opsdesk.audit.incident_chain import events_chain, heads_of
from opsdesk.incidents.models import DailySerial, Incident, IncidentEvent
from opsdesk.reference.models import Nature
from opsdesk.reference.services import reference_load_defaults
from opsdesk.search.models import IncidentDocument
from opsdesk.search.services import document_build

from ._seed_story import Builder
from ._seed_world import World, world_ensure

NATURES = (("01", "02", "03"), (70, 25, 5))  # incident, service request, consultation
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 9, 12, 12, 10, 7, 10, 12, 11, 10, 8, 5, 3, 2, 2, 1, 1)


class Command(BaseCommand):
    help = "Bulk-create N realistic incidents with their history (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many incidents.")
        parser.add_argument("--batch", type=int, default=5000, help="Incidents per transaction.")
        parser.add_argument("--days", type=int, default=365, help="Spread over this many days.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (repeatable data).")
        parser.add_argument("--workers", type=int, default=0,
                            help="Writer processes; default 2 on PostgreSQL, 1 on SQLite.")

    def handle(self, *args, count, batch, days, seed, workers, verbosity, **options):
        if count < 1 or batch < 1 or days < 1:
            raise CommandError("--count, --batch and --days must be at least 1.")
        started = time.perf_counter()
        reference_load_defaults()
        state = State(world=world_ensure(), now=timezone.now(), seed=seed)
        planner = Planner(state=state, rng=random.Random(seed))
        jobs = planner.jobs(count=count, days=days, batch=batch)
        events = 0
        with tqdm(total=count, unit="inc", disable=verbosity == 0, smoothing=0.1,
                  file=self.stderr._out) as bar:
            for incidents, written in _run(jobs, state, _worker_count(workers)):
                events += written
                bar.update(incidents)
        seeded = time.perf_counter() - started
        _analyze()
        total = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {count} incidents and {events} history events in {seeded:.1f} s "
            f"({count / seeded:,.0f} incidents/s, {(count + events) / seeded:,.0f} rows/s); "
            f"{total:.1f} s with VACUUM/ANALYZE.")


@dataclass
class State:
    """What every worker needs: the organisation's ids, the moment 'now' and the seed."""

    world: World
    now: datetime
    seed: int


def _worker_count(asked: int) -> int:
    if connection.vendor == "sqlite" or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # one writer at a time on SQLite; workers are forked
    return asked if asked > 0 else min(2, os.cpu_count() or 1)


def _run(jobs, state: State, workers: int):
    """Yield (incidents, events) per batch, in order; at most 2 batches per worker in flight."""
    if workers == 1:
        _init_worker(state)
        yield from map(_write_batch, jobs)
        return
    connections.close_all()  # forked children must open their own connections
    with multiprocessing.get_context("fork").Pool(workers, _init_worker, (state,)) as pool:
        pending = deque()
        for job in jobs:
            pending.append(pool.apply_async(_write_batch, (job,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


class Planner:
    """Draws registration times and reserves numbers and ids, batch by batch, in time order."""

    def __init__(self, *, state: State, rng: random.Random):
        self.state, self.rng = state, rng
        self.tz = timezone.get_default_timezone()
        self.prefixes = dict(Nature.objects.values_list("code", "number_prefix"))

    def jobs(self, *, count: int, days: int, batch: int):
        index, chunk = 0, []
        for spec in self.specs(count=count, days=days):
            chunk.append(spec)
            if len(chunk) == batch:
                yield self._job(index, chunk)
                index, chunk = index + 1, []
        if chunk:
            yield self._job(index, chunk)

    def _job(self, index: int, specs: list) -> tuple:
        return index, [(at, nature) for at, _day, nature in specs], self._numbers(specs), _ids(
            len(specs))

    def specs(self, *, count: int, days: int):
        """(at, local day, nature) in time order: per-day counts by weekday, times by hour."""
        now = self.state.now
        today = timezone.localdate(now, self.tz)
        day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
        midnight = datetime.combine(today, datetime.min.time(), self.tz)
        elapsed = max((now - midnight).total_seconds(), 60.0)
        weights = [(0.3 if d.weekday() >= 5 else 1.0) * self.rng.uniform(0.8, 1.2)
                   * (elapsed / 86400 if d == today else 1.0) for d in day_list]
        for day, n in zip(day_list, _apportion(count, weights), strict=True):
            start = datetime.combine(day, datetime.min.time(), self.tz)
            span = elapsed if day == today else 86400.0
            seconds = sorted(self._second_of_day(span) for _ in range(n))
            natures = self.rng.choices(*NATURES, k=n)
            for second, nature in zip(seconds, natures, strict=True):
                yield start + timedelta(seconds=second), day, nature

    def _second_of_day(self, span: float) -> float:
        hour = self.rng.choices(range(24), HOUR_WEIGHTS)[0]
        return (hour * 3600 + self.rng.random() * 3600) * span / 86400

    @transaction.atomic
    def _numbers(self, specs: list) -> list[str]:
        """Take a block of serials per (prefix, day) and hand them out in time order.

        Like number_next, the UPDATE locks the counter row until commit, so an incident_create
        running meanwhile waits and then continues after the block.
        """
        counts: dict[tuple[str, date], int] = {}
        for _at, day, nature in specs:
            key = (self.prefixes[nature], day)
            counts[key] = counts.get(key, 0) + 1
        DailySerial.objects.bulk_create([DailySerial(prefix=p, day=d) for p, d in counts],
                                        ignore_conflicts=True)
        following = {}
        for (prefix, day), n in counts.items():
            rows = DailySerial.objects.filter(prefix=prefix, day=day)
            rows.update(last_value=F("last_value") + n)
            following[(prefix, day)] = rows.values_list("last_value", flat=True).get() - n + 1
        numbers = []
        for _at, day, nature in specs:
            key = (self.prefixes[nature], day)
            numbers.append(f"{key[0]}{day:%Y%m%d}{following[key]:04d}")
            following[key] += 1
        return numbers


def _ids(n: int) -> list[int] | None:
    """On PostgreSQL, n ids from the table's sequence, ascending; elsewhere the insert assigns."""
    if connection.vendor != "postgresql":
        return None
    table = Incident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [table, n])
        return sorted(row[0] for row in cursor.fetchall())


_STATE: State | None = None


def _init_worker(state: State) -> None:
    global _STATE
    _STATE = state


def _write_batch(job) -> tuple[int, int]:
    """Build and insert one batch with its history in one transaction; (incidents, events)."""
    index, specs, numbers, ids = job
    builder = Builder(world=_STATE.world, now=_STATE.now,
                      rng=random.Random(f"{_STATE.seed}:{index}"))
    ids = ids or [None] * len(specs)
    with _keep_updated_at(), transaction.atomic():
        built = [builder.build(pk=pk, at=at, nature=nature, number=number)
                 for (at, nature), number, pk in zip(specs, numbers, ids, strict=True)]
        incidents = [incident for incident, _story in built]
        if incidents[0].pk is not None:  # the ids are known: the rows carry their heads
            events = _history(builder, built)
            _insert(Incident, incidents)
        else:  # the insert assigns the ids: anchor the heads after it
            _insert(Incident, incidents)
            events = _history(builder, built)
            Incident.objects.bulk_update(incidents, ["history_seq", "history_hash"],
                                         batch_size=500)
        _insert(IncidentEvent, events)
        _insert(IncidentDocument, _documents([incident for incident, _story in built]))
    return len(built), len(events)


def _history(builder, built: list) -> list[IncidentEvent]:
    """The incidents' history entries, linked into their hash chains, each incident's head set."""
    events = events_chain([event for incident, story in built
                           for event in builder.events(incident, story)])
    heads = heads_of(events)
    for incident, _story in built:
        incident.history_seq, incident.history_hash = heads.get(incident.pk, (0, ""))
    return events


def _documents(incidents: list[Incident]) -> list[IncidentDocument]:
    """The incidents' search documents, as incident_index writes them (texts repeat: cached)."""
    if incidents and incidents[0].pk is None:  # MySQL before RETURNING: read the new ids
        ids = dict(Incident.objects.filter(number__in=[i.number for i in incidents])
                   .values_list("number", "id"))
        for incident in incidents:
            incident.pk = ids[incident.number]
    return [_document(incident, incident.short_description,
                      f"{incident.description}\n{incident.resolution}") for incident in incidents]


_DOCUMENT_TERMS: dict[tuple[str, str], tuple[str, str]] = {}


def _document(incident: Incident, title: str, body: str) -> IncidentDocument:
    terms = _DOCUMENT_TERMS.get((title, body))
    if terms is None:
        built = document_build(document_model=IncidentDocument, target_pk=0, title=title,
                               body=body)
        terms = _DOCUMENT_TERMS[(title, body)] = (built.title, built.body)
    return IncidentDocument(incident_id=incident.pk, title=terms[0], body=terms[1], extra="",
                            **IncidentDocument.keys_for(incident))


def _insert(model, rows: list) -> None:
    """Write rows with COPY on PostgreSQL (3× faster than INSERT); bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    with_pk = rows[0].pk is not None
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    values = attrgetter(*(f.attname for f in fields))
    json_at = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
    quote = connection.ops.quote_name
    sql = (f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           "FROM STDIN")
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            row = list(values(row))
            for i in json_at:
                row[i] = json.dumps(row[i], ensure_ascii=False)
            copy.write_row(row)


@contextmanager
def _keep_updated_at():
    """bulk_create stamps updated_at with now (auto_now); keep the time of the last event."""
    field = Incident._meta.get_field("updated_at")
    field.auto_now = False
    try:
        yield
    finally:
        field.auto_now = True


def _analyze() -> None:
    """Fresh planner statistics, so that queries right after a bulk load are planned well."""
    # MySQL's ANALYZE TABLE commits the open transaction implicitly, and InnoDB refreshes its
    # statistics by itself after a large change, so only PostgreSQL and SQLite are asked.
    if connection.vendor == "mysql":
        return
    # On PostgreSQL, VACUUM also fills the visibility map, as autovacuum would soon after a
    # load: without it the queues' counts read every row from the table instead of the index.
    # (VACUUM cannot run inside a transaction, as when a test calls the command.)
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in (Incident, IncidentEvent, IncidentDocument):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split total into integers proportional to weights (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
