"""What a limit may be: the one rule for every limit the dev server takes.

A count is at least 1 and a time is more than 0 seconds (NaN is refused:
it compares false with everything, so a timer on it would never fire).
Zero is never "no limit" here; a setting that offers "no limit" (such as
``max_messages=0``) says so itself.  :class:`SmtpLimits`,
:class:`HttpLimits` and the MIME limits are checked by it.

>>> check_positive("max_connections", 0)
Traceback (most recent call last):
...
ValueError: max_connections must be >= 1, got 0
>>> check_positive("idle_timeout", float("nan"))
Traceback (most recent call last):
...
ValueError: idle_timeout must be > 0, got nan
>>> check_positive("idle_timeout", 0.5)
"""

from __future__ import annotations

from dataclasses import fields

__all__ = ["check_positive", "PositiveLimits"]


def check_positive(name: str, value: float) -> None:
    """``ValueError`` naming ``name`` unless ``value`` is a count >= 1 or a time > 0."""
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    elif not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


class PositiveLimits:
    """For a dataclass of limits: every field is checked by :func:`check_positive`."""

    def __post_init__(self) -> None:
        for field in fields(self):  # type: ignore[arg-type]  # subclasses are dataclasses
            check_positive(field.name, getattr(self, field.name))
