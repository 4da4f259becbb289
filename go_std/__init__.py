"""Go standard library namespaces for Hy, in the shape Joker gives them.

Importing this package loads Hy, so ``go_std/net/smtp.hy`` can be imported
from Python as ``go_std.net.smtp`` and from Hy as ``go-std.net.smtp``.
"""

import hy  # noqa: F401  (registers the .hy importer)
