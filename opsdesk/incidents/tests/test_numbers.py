"""Incident numbers: INC/SR + local date + 4-digit daily serial, unique and gap-free (SPEC §2)."""

import re
import threading
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.incidents.models import DailySerial, Incident
from opsdesk.incidents.services import incident_create
from opsdesk.incidents.services.numbers import number_next
from opsdesk.reference.models import Nature

NUMBER_RE = re.compile(r"^(INC|SR)(\d{8})(\d{4})$")


def test_number_format_is_prefix_local_date_and_four_digit_serial(org):
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        first = incident_factory(by=org.desk, requester=org.requester)
        second = incident_factory(by=org.desk, requester=org.requester)
    assert first.number == "INC202611250001"
    assert second.number == "INC202611250002"
    assert NUMBER_RE.match(first.number)


def test_service_request_numbers_use_the_sr_prefix_and_their_own_serial(org):
    request_nature = Nature.objects.get(pk="02")
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        incident = incident_factory(by=org.desk, requester=org.requester)
        request = incident_factory(by=org.desk, requester=org.requester, nature=request_nature)
        consultation = incident_factory(by=org.desk, requester=org.requester,
                                        nature=Nature.objects.get(pk="03"))
    assert incident.number == "INC202611250001"
    assert request.number == "SR202611250001"
    # A consultation is numbered like an incident (default table: prefix INC).
    assert consultation.number == "INC202611250002"


def test_daily_serial_restarts_on_a_new_local_day_at_1600_utc(org):
    # Asia/Shanghai is UTC+8: 15:59:59 UTC is still 25 November there, 16:00 UTC is the 26th.
    with time_machine.travel(datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC), tick=False):
        late = [incident_factory(by=org.desk, requester=org.requester) for _ in range(2)]
    with time_machine.travel(datetime(2026, 11, 25, 16, 0, 0, tzinfo=UTC), tick=False):
        next_day = incident_factory(by=org.desk, requester=org.requester)
    assert [i.number for i in late] == ["INC202611250001", "INC202611250002"]
    assert next_day.number == "INC202611260001"
    # The local day, not the UTC day, decides: 00:30 UTC on the 26th is still the 26th locally.
    with time_machine.travel(datetime(2026, 11, 26, 0, 30, tzinfo=UTC), tick=False):
        same_local_day = incident_factory(by=org.desk, requester=org.requester)
    assert same_local_day.number == "INC202611260002"


def test_the_company_day_counts_whatever_time_zone_a_request_activated(org):
    # A person's browser in UTC at 16:30 UTC on the 25th: it is already the 26th in Shanghai.
    with time_machine.travel(datetime(2026, 11, 25, 16, 30, tzinfo=UTC), tick=False), \
            timezone.override("UTC"):
        incident = incident_factory(by=org.desk, requester=org.requester)
    assert incident.number == "INC202611260001"


def test_number_is_system_set_and_cannot_be_typed_in(org):
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        incident = incident_factory(by=org.desk, requester=org.requester,
                                    number="INC209901010042")
    assert incident.number == "INC202611250001"


def test_a_failed_creation_gives_its_number_back(org):
    day = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    with time_machine.travel(day, tick=False):
        first = incident_factory(by=org.desk, requester=org.requester)
        with pytest.raises(RuntimeError), transaction.atomic():
            taken, _created = incident_create(by=org.desk, data={
                "requester": org.requester, "short_description": "Will be rolled back"})
            assert taken.number == "INC202611250002"
            raise RuntimeError("failure after the number was taken")
        assert not Incident.objects.filter(short_description="Will be rolled back").exists()
        after = incident_factory(by=org.desk, requester=org.requester)
    assert first.number == "INC202611250001"
    assert after.number == "INC202611250002"  # no gap


def test_invalid_input_after_validation_takes_no_number(org):
    from opsdesk.core.exceptions import InvalidInput

    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        with pytest.raises(InvalidInput):
            incident_create(by=org.desk, data={"requester": org.requester,
                                               "short_description": "   "})
        incident = incident_factory(by=org.desk, requester=org.requester)
    assert incident.number == "INC202611250001"


def test_number_next_counts_per_prefix_and_day(db):
    day = date(2026, 11, 25)
    assert number_next(prefix="INC", day=day) == "INC202611250001"
    assert number_next(prefix="INC", day=day) == "INC202611250002"
    assert number_next(prefix="SR", day=day) == "SR202611250001"
    assert number_next(prefix="INC", day=date(2026, 11, 26)) == "INC202611260001"
    assert DailySerial.objects.get(prefix="INC", day=day).last_value == 2


THREADS, PER_THREAD = 8, 10


@pytest.mark.django_db(transaction=True)
def test_parallel_creators_get_unique_gap_free_numbers(reference_data):
    requester = UserFactory(username="parallel_requester")
    desks = [UserFactory(username=f"parallel_desk{n}", is_service_desk=True)
             for n in range(THREADS)]
    start = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create_many(desk):
        try:
            start.wait(timeout=30)
            for n in range(PER_THREAD):
                incident, _created = incident_create(by=desk, data={
                    "requester": requester, "short_description": f"{desk.username} #{n}"})
                with lock:
                    numbers.append(incident.number)
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    total = THREADS * PER_THREAD
    expected = [f"INC20261125{n:04d}" for n in range(1, total + 1)]
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=True):
        threads = [threading.Thread(target=create_many, args=(d,)) for d in desks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert sorted(numbers) == expected
    assert sorted(Incident.objects.values_list("number", flat=True)) == expected
    assert DailySerial.objects.get(prefix="INC", day=date(2026, 11, 25)).last_value == total


def test_the_ten_thousandth_incident_of_a_day_gets_five_digits(org):
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        DailySerial.objects.create(prefix="INC", day=date(2026, 11, 25), last_value=9998)
        last_four = incident_factory(by=org.desk, requester=org.requester)
        five = incident_factory(by=org.desk, requester=org.requester)
    assert last_four.number == "INC202611259999"
    assert five.number == "INC2026112510000"  # never cut back to four digits
    assert Incident.objects.get(pk=five.pk).number == five.number
