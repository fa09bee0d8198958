"""Incident numbers: prefix + local date + daily serial, unique and gap-free within a day."""

from datetime import date

from django.db.models import F

from ..models import DailySerial


def number_next(*, prefix: str, day: date) -> str:
    """Take the next number for prefix and day. Call inside the transaction that saves the record.

    The UPDATE locks the day's counter row until the transaction ends, so concurrent creators
    queue behind it and a rolled-back creation gives its number back: no duplicates, no gaps.
    """
    for _attempt in range(2):
        updated = DailySerial.objects.filter(prefix=prefix, day=day).update(
            last_value=F("last_value") + 1)
        if updated:
            value = DailySerial.objects.filter(prefix=prefix, day=day).values_list(
                "last_value", flat=True).get()
            return f"{prefix}{day:%Y%m%d}{value:04d}"
        # First number of the day: create the counter; a concurrent creator may win, that's fine.
        DailySerial.objects.bulk_create([DailySerial(prefix=prefix, day=day)],
                                        ignore_conflicts=True)
    raise RuntimeError("daily serial row could not be created")
