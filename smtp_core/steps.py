"""Conversations written once, run by either driver: steps and :func:`run`.

The Pythonic layer's conversations (preparing a connection, sending,
pipelining, leaving) and the clients' greeting
(:meth:`~smtp_core.clientstate.ClientState.hello_steps`) hold every rule and
no I/O.  Each is a generator
that *yields* its I/O steps and gets their results back.  Rules:

* a step is a tuple ``(function, *args)``, where ``function`` is a method
  of the client or of its transport (``client.reset``,
  ``transport.read_reply``, ...) or one of the driver's own (opening a
  connection);
* the step's return value is sent back into the conversation; an
  exception it raises is thrown in at the ``yield``, so the
  conversation's own ``try``/``except`` sees it exactly as a direct call's;
* the blocking driver calls the function (:func:`run`); the asyncio
  driver, whose clients and transports have the same methods as
  coroutines, awaits it (:func:`smtp_core.aio.steps.run`).  Only the
  socket differs; the rules are the same objects.

>>> def talk(log):
...     reply = yield log.append, "EHLO"
...     try:
...         yield int, "no"
...     except ValueError as err:
...         return "refused: %s" % type(err).__name__
>>> lines = []
>>> run(talk(lines)), lines
('refused: ValueError', ['EHLO'])
"""

from __future__ import annotations

from typing import Any, Generator

__all__ = ["Steps", "advance", "run"]

#: A conversation: yields ``(function, *args)``, receives each step's result.
Steps = Generator[tuple, Any, Any]


def advance(steps: Steps, value, error: BaseException | None):
    """The conversation's next step: ``value`` sent in, or ``error`` thrown in
    at its ``yield`` (the one rule of both drivers' runners; ``StopIteration``
    carries what the conversation returns)."""
    return steps.send(value) if error is None else steps.throw(error)


def run(steps: Steps):
    """Run a conversation with blocking calls; return what it returns."""
    value = error = None
    while True:
        try:
            step = advance(steps, value, error)
        except StopIteration as stop:
            return stop.value
        try:
            value, error = step[0](*step[1:]), None
        except BaseException as err:  # the conversation decides
            value, error = None, err
