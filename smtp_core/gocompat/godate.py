"""Go's ``mail.ParseDate``: RFC 5322 dates as Go 1.27.3 reads them.

``mail.ParseDate`` cuts the text after a numeric zone (or after the first
``T`` past the start, for a named zone), checks that what follows is
spaces and comments, then tries Go's ``time.Parse`` with 24 layouts,
``[Mon, ]2|02 Jan 2006|06 15:04[:05] -0700|MST|UT``, in that order.  The
rules of ``time.Parse`` this needs, as Go applies them:

* a space in the layout matches one or more spaces (or the end);
* day and month names match in any ASCII case; the day of the week is
  not checked against the date;
* ``2`` and ``15`` take one or two digits, ``02``, ``04``, ``05`` two;
  ``2006`` four characters, ``06`` two (69-99 are 19xx, the rest 20xx);
* seconds may carry a fraction (``.123`` or ``,5``) the layout does not
  mention;
* ``-0700`` is a sign and four digits (hours up to 24, minutes up to 60);
  ``MST`` is ``UTC``, ``GMT`` with an optional hour offset, ``ChST``,
  ``MeST``, ``+hh``/``-hh``, or three to five capitals (four or five must
  end in ``T``; ``WITA``);
* the day must exist in its month and year.

The result keeps what Go's ``time.Time`` shows (:class:`GoTime`): the wall
time in its zone, the zone's name and offset.  A named zone other than
UTC gets offset 0 (Go does not know ``EST``'s) and, as in Go, the wall
time is read as UTC; ``GMT+1`` gets +1 h.  A numeric zone of +0000 is
``UTC`` (Go takes the local zone, assumed UTC here), another is unnamed.

    >>> parse_date("Fri, 21 Nov 1997 09:55:06 -0600")
    GoTime(year=1997, month=11, day=21, hour=9, minute=55, second=6, nanosecond=0, zone='', offset=-21600)
    >>> parse_date("21 Nov 97 09:55:06 GMT").zone
    'GMT'
"""

from __future__ import annotations

import calendar
import datetime
from typing import NamedTuple

from .goformat import go_bytes

__all__ = ["GoTime", "DateError", "parse_date"]

_DAYS = (b"sun", b"mon", b"tue", b"wed", b"thu", b"fri", b"sat")
_MONTHS = (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec")


class DateError(ValueError):
    """Go's refusal of a date (``mail: header could not be parsed``, ...)."""


class GoTime(NamedTuple):
    """A ``time.Time`` as Go shows it: wall clock in its zone, the zone's name and offset (seconds)."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanosecond: int
    zone: str
    offset: int

    def datetime(self) -> datetime.datetime:
        """As an aware ``datetime`` (microseconds; raises ValueError for year 0 or an offset of 24 h)."""
        tz = datetime.timezone(datetime.timedelta(seconds=self.offset), self.zone) if self.zone else \
            datetime.timezone(datetime.timedelta(seconds=self.offset))
        return datetime.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                                 self.nanosecond // 1000, tz)


class _Bad(Exception):
    pass


def _skip(value: bytes, prefix: bytes) -> bytes:
    while prefix:
        if prefix[:1] == b" ":
            if value and value[:1] != b" ":
                raise _Bad
            prefix, value = prefix.lstrip(b" "), value.lstrip(b" ")
            continue
        if not value or value[0] != prefix[0]:
            raise _Bad
        prefix, value = prefix[1:], value[1:]
    return value


def _num(value: bytes, fixed: bool) -> tuple[int, bytes]:
    # Go's getnum: one or (fixed) exactly two digits.
    if not value[:1].isdigit():
        raise _Bad
    if not value[1:2].isdigit():
        if fixed:
            raise _Bad
        return value[0] - 0x30, value[1:]
    return int(value[:2]), value[2:]


def _lookup(names, value: bytes) -> tuple[int, bytes]:
    for i, name in enumerate(names):
        if value[:3].lower() == name:
            return i, value[3:]
    raise _Bad


def _atoi(s: bytes) -> int:
    neg = s[:1] == b"-"
    if s[:1] in (b"-", b"+"):
        s = s[1:]
    if not s or not s.isdigit() or not s.isascii():
        raise _Bad
    return -int(s) if neg else int(s)


def _signed_offset(value: bytes) -> int:
    # Go's parseSignedOffset: how many bytes "+hh" takes (0: none).
    if value[:1] not in (b"+", b"-"):
        return 0
    digits = len(value[1:]) - len(value[1:].lstrip(b"0123456789"))
    if digits == 0 or int(value[1:1 + digits]) > 23:
        return 0
    return 1 + digits


def _zone_length(value: bytes) -> int:
    # Go's parseTimeZone: the length of a zone name at the start (0: none).
    if len(value) < 3:
        return 0
    if value[:4] in (b"ChST", b"MeST"):
        return 4
    if value[:3] == b"GMT":
        return 3 + (_signed_offset(value[3:]) if value[3:] else 0)
    if value[:1] in (b"+", b"-"):
        return _signed_offset(value)
    upper = 0
    while upper < 6 and upper < len(value) and 0x41 <= value[upper] <= 0x5A:
        upper += 1
    if upper == 3:
        return 3
    if upper == 4 and (value[3:4] == b"T" or value[:4] == b"WITA"):
        return 4
    if upper == 5 and value[4:5] == b"T":
        return 5
    return 0


def _parse(value: bytes, dow: bool, zero_day: bool, long_year: bool, seconds: bool, zone: str) -> GoTime:
    if dow:
        _, value = _lookup(_DAYS, value)
        value = _skip(value, b", ")
    day, value = _num(value, zero_day)
    value = _skip(value, b" ")
    month, value = _lookup(_MONTHS, value)
    value = _skip(value, b" ")
    if long_year:
        if len(value) < 4 or not value[:1].isdigit():
            raise _Bad
        year, value = _atoi(value[:4]), value[4:]
    else:
        if len(value) < 2:
            raise _Bad
        year, value = _atoi(value[:2]), value[2:]
        year += 1900 if year >= 69 else 2000
    value = _skip(value, b" ")
    hour, value = _num(value, False)
    if hour >= 24:
        raise _Bad
    value = _skip(value, b":")
    minute, value = _num(value, True)
    if minute >= 60:
        raise _Bad
    second = nanosecond = 0
    if seconds:
        value = _skip(value, b":")
        second, value = _num(value, True)
        if second >= 60:
            raise _Bad
        if len(value) >= 2 and value[:1] in (b".", b",") and value[1:2].isdigit():
            n = 2
            while n < len(value) and value[n:n + 1].isdigit():
                n += 1
            # Go keeps nine digits and drops the rest.
            nanosecond, value = int(value[1:min(n, 10)].ljust(9, b"0")), value[n:]
    value = _skip(value, b" ")
    name, offset = "", None
    if zone == "-0700":
        if len(value) < 5:
            raise _Bad
        sign, hh, mm, value = value[:1], value[1:3], value[3:5], value[5:]
        hr, _ = _num(hh, True)
        mn, _ = _num(mm, True)
        if hr > 24 or mn > 60:
            raise _Bad
        if sign not in (b"+", b"-"):
            raise _Bad
        offset = (hr * 60 + mn) * 60 * (-1 if sign == b"-" else 1)
    elif zone == "MST":
        if value[:3] == b"UTC":
            name, value = "UTC", value[3:]
        else:
            n = _zone_length(value)
            if n == 0:
                raise _Bad
            name, value = value[:n].decode("ascii"), value[n:]
    else:
        value = _skip(value, b"UT")
        name = "UTC"
    if value:
        raise _Bad  # extra text
    if not 1 <= day <= calendar.monthrange(year if year else 2000, month + 1)[1]:
        raise _Bad  # day out of range (year 0 is a leap year, as 2000)
    month += 1
    if offset is not None:
        # Go: the local zone if it has this offset (assumed UTC), else an unnamed fixed zone.
        return GoTime(year, month, day, hour, minute, second, nanosecond, "UTC" if offset == 0 else "", offset)
    if name == "UTC":
        return GoTime(year, month, day, hour, minute, second, nanosecond, "UTC", 0)
    zone_offset = _atoi(name[3:].encode()) * 3600 if len(name) > 3 and name[:3] == "GMT" else 0
    if zone_offset:
        # Go reads the wall time as UTC and shows it in the zone: it moves by the offset.
        moment = datetime.datetime(year or 2000, month, day, hour, minute, second) + \
            datetime.timedelta(seconds=zone_offset)
        year = moment.year if year else 0
        month, day, hour, minute, second = moment.month, moment.day, moment.hour, moment.minute, moment.second
    return GoTime(year, month, day, hour, minute, second, nanosecond, name, zone_offset)


_LAYOUTS = [(dow, zero_day, long_year, seconds, zone)
            for dow in (False, True) for zero_day in (False, True) for long_year in (True, False)
            for seconds in (True, False) for zone in ("-0700", "MST", "UT")]


def _skip_cfws(s: bytes) -> bool:
    from .gomail import skip_cfws  # the address parser owns comments

    return skip_cfws(s)


def parse_date(date: str | bytes) -> GoTime:
    """Go's ``mail.ParseDate``; raises :class:`DateError` with Go's text."""
    date = go_bytes(date).replace(b"\r\n", b"")
    if b"\r" in date:
        raise DateError("mail: header has a CR without LF")
    rest = date.lstrip(b" \t")
    sign = min((i for i in (rest.find(b"+"), rest.find(b"-")) if i >= 0), default=-1)
    if sign != -1 and len(rest) >= sign + 5:
        date, rest = rest[:sign + 5], rest[sign + 5:]
    else:
        t = rest.find(b"T")
        if t == 0:
            t = rest.find(b"T", 1)
        if t != -1 and len(rest) >= t + 5:
            date, rest = rest[:t + 1], rest[t + 1:]
    if not _skip_cfws(rest):
        raise DateError("mail: misformatted parenthetical comment")
    for layout in _LAYOUTS:
        try:
            return _parse(date, *layout)
        except _Bad:
            continue
    raise DateError("mail: header could not be parsed")
