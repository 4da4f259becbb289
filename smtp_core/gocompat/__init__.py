"""Go's texts and rules that the engine must reproduce exactly.

=====================  ===================================================
:mod:`.goformat`       Go's string quoting (``%q``) and case mapping
:mod:`.gobase64`       Go's base64, with Go's error offsets
:mod:`.netaddr`        Go's address rules (``host:port``, dial targets)
:mod:`.neterror`       Go's ``net.OpError`` texts for I/O failures
:mod:`.gomail`         Go's ``net/mail`` address parser and formatter
:mod:`.godate`         Go's ``mail.ParseDate``
:mod:`.gomessage`      Go's ``mail.ReadMessage``
=====================  ===================================================

Each is a port of Go 1.27.3's rule, checked against Go's own answers
(``tests/helpers/govectors``) or the oracle.  None sends or receives: ``netaddr``
looks names up (``getaddrinfo``, the one lookup Go's dialer makes) and
``neterror`` names ``socket`` and ``ssl`` errors, so those two import them.
"""
