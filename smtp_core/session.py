"""Former home of the Pythonic layer, now :mod:`smtp_core.pythonic`.

Kept as an import path only (the benchmark's adapter and older code use
``smtp_core.session``); new code imports from :mod:`smtp_core` or
:mod:`smtp_core.pythonic`.
"""

from .pythonic import *  # noqa: F401,F403
from .pythonic import __all__  # noqa: F401
