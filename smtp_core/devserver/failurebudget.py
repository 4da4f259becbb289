"""Failed logins per client address, for both of the dev server's sides.

One token bucket per address (:class:`FailureBudget`): SMTP AUTH
(:mod:`.smtp.limits`, answered ``454 4.7.0``) and HTTP basic auth
(:mod:`.web.httpguard`, answered ``429`` with ``Retry-After``) each keep one.
At most ``max_clients`` addresses are remembered; the longest quiet one is
forgotten first, so a flood of addresses costs bounded memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["FailureBudget"]


class FailureBudget:
    """A token bucket of failed logins per client address: ``burst``
    failures at once, then one more per ``1 / refill_per_second`` seconds.

    >>> now = [0.0]
    >>> budget = FailureBudget(burst=2, refill_per_second=0.5, clock=lambda: now[0])
    >>> budget.failed("a"); budget.failed("a")
    >>> budget.retry_after("a"), budget.retry_after("b")
    (2, 0)
    >>> now[0] = 2.0
    >>> budget.retry_after("a")
    0
    """

    def __init__(self, burst: int = 10, refill_per_second: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic, max_clients: int = 4096):
        self._burst = float(burst)
        self._rate = refill_per_second
        self._clock = clock
        self._max_clients = max_clients
        self._tokens: dict[str, tuple[float, float]] = {}  # address -> (tokens, when counted)

    def _refilled(self, client: str) -> float:
        tokens, when = self._tokens.get(client, (self._burst, self._clock()))
        return min(self._burst, tokens + (self._clock() - when) * self._rate)

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may try to log in again (0: now)."""
        tokens = self._refilled(client)
        return 0 if tokens >= 1 else math.ceil((1 - tokens) / self._rate)

    def failed(self, client: str) -> None:
        """Count one failed login from ``client``."""
        tokens = self._refilled(client) - 1
        self._tokens.pop(client, None)
        if len(self._tokens) >= self._max_clients:  # bounded: forget the longest-quiet client
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[client] = (tokens, self._clock())
