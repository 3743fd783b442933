"""RFC3339 timestamps in and out: aware UTC datetimes with millisecond precision.

The store keeps ``DateTime64(3, 'UTC')``, so decoded times are truncated to
milliseconds; that makes ``decode(encode(x)) == x`` hold for decoded ``x``.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from tracker.errors import InvalidInput

_fromisoformat = datetime.fromisoformat

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2149, 1, 1, tzinfo=UTC)
"""Times tracker accepts: [EARLIEST, LATEST). The store's ``Date`` columns (a post's publish day,
a fee's or a heating node's day, a pulse's onset day) hold 1970-01-01 .. 2149-06-06 only: a
registry entry published in a mistyped year (2205) failed every insert of its batch and
stopped the worker at every start. No platform tracker reads existed before 2000, and a
snapshot dated 1970-01-01 (an empty export cell read as epoch 0) made the post's curve 55
years long: millions of curve rows and minutes of a blocked event loop. Version stamps
(``updated_at``, ``posts import --version 0``) are no event time and are not bounded."""


def parse_ts(value: str, field: str, bounded: bool = True) -> datetime:
    """Parse an RFC3339 string (offset or Z required) to an aware UTC datetime (ms); ``bounded``:
    refuse a time outside [EARLIEST, LATEST) (a version stamp such as ``updated_at`` is not)."""
    try:
        moment = _fromisoformat(value)
    except ValueError:
        moment = _parse_unusual(value, field)
    if moment.tzinfo is None:
        raise InvalidInput(f"{field}: naive timestamp, needs an offset or Z (got {value!r})")
    if moment.tzinfo is not UTC:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise InvalidInput(f"{field}: timestamp out of range (got {value!r})") from None
    if bounded and not EARLIEST <= moment < LATEST:
        raise InvalidInput(f"{field}: {value!r} is outside the years tracker accepts "
                           f"({EARLIEST.year}-{LATEST.year - 1}): a wrong date?")
    micros = moment.microsecond
    if micros % 1000:
        moment = moment.replace(microsecond=micros - micros % 1000)
    return moment


def _parse_unusual(value: str, field: str) -> datetime:
    """RFC3339 forms ``fromisoformat`` refuses (lower-case t/z), or a reason."""
    try:
        return _fromisoformat(value.upper())
    except ValueError as exc:
        raise InvalidInput(
            f"{field}: not a valid timestamp, {exc.args[0]} (got {value!r})"
        ) from None


def format_ts(moment: datetime) -> str:
    """``2024-11-11T12:00:00.000Z``: UTC, milliseconds, Z; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise InvalidInput(f"naive datetime {moment.isoformat()}: give it a time zone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def local_day(moment: datetime, zone: str | None) -> date | None:
    """The calendar date of ``moment`` in the IANA ``zone`` (a campaign's), the
    date its money counts on; None without a zone (the store then takes the UTC date)."""
    if not zone:
        return None
    return moment.astimezone(ZoneInfo(zone)).date()


LEAD_SETTING = "TRACKER_MAX_SNAPSHOT_LEAD_HOURS"


def ahead_of_sending(observed: datetime, sent: datetime, lead_hours: float) -> str | None:
    """Why a snapshot observed at ``observed`` and sent at ``sent`` cannot be right: observed
    more than ``lead_hours`` after it was sent (a mistyped year, a date read in the wrong
    century), or None. Its time would move its tenant's clock ahead and close every post's
    tracking window; ``lead_hours`` ≤ 0 accepts any time (a simulator running ahead)."""
    span = _beyond(observed, sent, lead_hours) if lead_hours > 0 else None
    if span is None:
        return None
    return (f"observed_at {format_ts(observed)} is {span} after the snapshot was sent ({format_ts(sent)}): "
            f"a wrong date? Times more than {LEAD_SETTING}={lead_hours:g} h ahead are refused: one would "
            "close the tracking window of every post of its tenant")


BEFORE_PUBLISH_HOURS = 24.0
"""How long before its post's publish time a snapshot may be observed: a day's slack for a
publish time written in the wrong zone or read from a date alone; earlier, one of the two
dates is wrong."""

BEFORE_PUBLISH = "before its post's publish time"
"""The words every such refusal carries: ``tracker dlq replay --reason`` picks them out."""


def before_publish(observed: datetime, published: datetime | None, name: str = "observed_at") -> str | None:
    """Why a snapshot observed at ``observed`` (a comment created then: ``name`` its field) cannot
    belong to a post published at ``published``: more than ``BEFORE_PUBLISH_HOURS`` earlier (a
    mistyped year, a day and month swapped, seconds read as milliseconds), or None. A 2020
    snapshot of a 2025 post would make its curve five years long and read its whole life as one
    late rise; None when the publish time is not known."""
    if published is None:
        return None
    span = _beyond(published, observed, BEFORE_PUBLISH_HOURS)
    if span is None:
        return None
    return (f"{name} {format_ts(observed)} is {span} {BEFORE_PUBLISH} ({format_ts(published)}): "
            "one of the two dates is wrong")


def _beyond(later: datetime, earlier: datetime, hours: float) -> str | None:
    """How long ``later`` follows ``earlier`` ("3 days", "30 h") when that is more than ``hours``, else None."""
    gap = (later - earlier).total_seconds() / 3600
    if gap <= hours:
        return None
    return f"{gap / 24:,.0f} days" if gap >= 48 else f"{gap:.0f} h"
