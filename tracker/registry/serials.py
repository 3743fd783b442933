"""Excel date serials: the number a General-format cell holds for a date.

openpyxl gives a date-formatted cell as a datetime, but a General (or Number) cell as the float
Excel keeps, 45905.4166 for 2025-09-05 09:59:54, and a CSV saved by Excel writes that number as
text. A serial counts days, and fractions of a day, from the workbook's epoch: 1899-12-30 in the
1900 date system (Windows, and the default), 1904-01-01 in the 1904 one (old Mac workbooks).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

EPOCH_1900 = datetime(1899, 12, 30)
FIRST, END = date(2000, 1, 1), date(2100, 1, 1)
"""The dates a serial of the registry may stand for: a post's, a campaign's or a heating node's."""


def bounds(epoch: datetime = EPOCH_1900) -> str:
    """The plausible serials of ``epoch``'s date system, for reasons: ``between 36526 (2000-01-01) and …``."""
    first, end = ((datetime.combine(d, datetime.min.time()) - epoch).days for d in (FIRST, END))
    return f"between {first} ({FIRST}) and {end} ({END})"


def local_time(serial: Decimal, epoch: datetime = EPOCH_1900) -> datetime | None:
    """The naive time a serial stands for, or None when it is not from 2000 to 2099. It is rounded
    to the second, or to the minute when it has 4 decimals or fewer: steps of 8.6 s or more cannot
    say a second, and such a serial (45905.4166, as typed or shown short) means 10:00."""
    if not serial.is_finite():
        return None
    exponent = serial.as_tuple().exponent
    step = 60 if isinstance(exponent, int) and exponent >= -4 else 1
    seconds = int((serial * 86400 / step).to_integral_value(ROUND_HALF_EVEN)) * step
    if not (FIRST - epoch.date()).days * 86400 <= seconds < (END - epoch.date()).days * 86400:
        return None
    return epoch + timedelta(seconds=seconds)
