"""Calendar arithmetic for retention periods stated in months."""

from __future__ import annotations

import datetime as dt


def months_add(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (earlier when negative); the month's last
    day when it is shorter (31 March + 1 month = 30 April)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))
