"""Go's rules for ``host:port`` addresses: splitting, ports, hosts, dialling.

``smtp.Dial(addr)`` in Go hands ``addr`` to ``net.Dial("tcp", addr)``,
which applies these rules (``net/ipsock.go``, ``net/port.go``,
``net/lookup.go``, ``net/dnsclient.go``, ``net/dial.go``):

* **Split** at the last colon; a host holding colons must be in brackets
  (``[::1]:25``), and brackets anywhere else are refused.
* **Port**: an optional sign and ASCII digits (leading zeros are fine, no
  digits at all is port 0), within 0..65535; anything else is a service
  name looked up in the system's services (ASCII case ignored), then in
  Go's short built-in table.  A number out of range is ``invalid port``;
  Go's parser wraps a number past 2**32 round to a small port, which this
  module refuses instead (see docs/deviations.md).
* **Host**: empty means this machine; an IP literal (IPv6 with an optional
  zone) is used as is, an IPv4-mapped IPv6 address as IPv4; anything else
  must be a DNS name (letters, digits, ``-``, ``_`` in labels of 1..63
  bytes, not all digits), or Go answers ``no such host`` without looking
  it up.  Spaces, NUL and other control bytes, non-ASCII, ``127.1`` and
  other forms the C library would read as a number are never looked up.
* **Dial** tries the resolved addresses in order and reports the first
  failure, each attempt getting a share of the time left.

Every error reads as Go's: ``address 99999: invalid port`` from
:func:`resolve`, ``dial tcp: address 99999: invalid port`` from
:func:`dial` (:class:`AddrError`, an ``OSError`` with ``EINVAL``;
:class:`DNSError`, a ``socket.gaierror``; or the connection's own error,
so ``errno`` stays Python's).

Examples::

    >>> split_host_port("[::1]:25")
    ('::1', '25')
    >>> split_host_port("127.0.0.1")
    Traceback (most recent call last):
    ...
    smtp_core.gocompat.netaddr.AddrError: address 127.0.0.1: missing port in address
    >>> parse_port("+0025"), parse_port("")
    (25, 0)
    >>> parse_port("99999")
    Traceback (most recent call last):
    ...
    smtp_core.gocompat.netaddr.AddrError: address 99999: invalid port
    >>> is_domain_name("mx.example.com"), is_domain_name("127.0.0.1\\x00.corp.example"), is_domain_name("127.1")
    (True, False, False)
    >>> join_host_port("::1", 25)
    '[::1]:25'
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import time
from typing import NamedTuple

from .neterror import op_error

__all__ = [
    "AddrError",
    "DNSError",
    "Target",
    "split_host_port",
    "join_host_port",
    "parse_port",
    "lookup_port",
    "is_domain_name",
    "resolve",
    "dial",
]

# Go's built-in services, used when the system's table lacks a name (net/lookup.go).
_GO_SERVICES = {
    "ftp": 21, "ftps": 990, "gopher": 70, "http": 80, "https": 443, "imap2": 143, "imap3": 220,
    "imaps": 993, "pop3": 110, "pop3s": 995, "smtp": 25, "submissions": 465, "ssh": 22, "telnet": 23,
}
_MAX_SERVICE = len("mobility-header") + 10  # Go's maxPortBufSize: longer names are unknown
_SANE_MINIMUM = 2.0  # seconds: Go's floor for one address's share of a dial timeout


class AddrError(OSError):
    """Go's ``net.AddrError``: ``address <addr>: <why>`` (errno ``EINVAL``).

    ``op`` is what Go puts in front when a dial failed (``dial tcp``).
    """

    def __init__(self, why: str, addr: str = "", op: str = "") -> None:
        super().__init__(errno.EINVAL, why)
        self.why, self.addr, self.op = why, addr, op

    def __str__(self) -> str:
        text = "address %s: %s" % (self.addr, self.why) if self.addr else self.why
        return "%s: %s" % (self.op, text) if self.op else text

    def __reduce__(self):
        return (type(self), (self.why, self.addr, self.op))

    def in_dial(self, network: str = "tcp") -> "AddrError":
        return type(self)(self.why, self.addr, ("dial " + network).rstrip())


class DNSError(socket.gaierror):
    """Go's ``net.DNSError``: ``lookup <name>: <why>`` (a ``socket.gaierror``).

    ``op`` is what Go puts in front when a dial failed (``dial tcp``).
    """

    def __init__(self, name: str, why: str, code: int = socket.EAI_NONAME, op: str = "") -> None:
        super().__init__(code, why)
        self.name, self.why, self.op = name, why, op

    def __str__(self) -> str:
        text = "lookup %s: %s" % (self.name, self.why)
        return "%s: %s" % (self.op, text) if self.op else text

    def __reduce__(self):
        return (type(self), (self.name, self.why, self.errno, self.op))

    def in_dial(self, network: str = "tcp") -> "DNSError":
        return type(self)(self.name, self.why, self.errno, ("dial " + network).rstrip())


class Target(NamedTuple):
    """One address to connect to: socket family, ``connect`` argument, Go's spelling."""

    family: int
    sockaddr: tuple
    text: str


def split_host_port(address: str) -> tuple[str, str]:
    """Split ``host:port`` or ``[host]:port`` exactly as Go's ``net.SplitHostPort``."""
    colon = address.rfind(":")
    if colon < 0:
        raise AddrError("missing port in address", address)
    open_at, close_at = 0, 0
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise AddrError("missing ']' in address", address)
        if end + 1 == len(address):
            raise AddrError("missing port in address", address)
        if end + 1 != colon:
            why = "too many colons in address" if address[end + 1] == ":" else "missing port in address"
            raise AddrError(why, address)
        host = address[1:end]
        open_at, close_at = 1, end + 1
    else:
        host = address[:colon]
        if ":" in host:
            raise AddrError("too many colons in address", address)
    if "[" in address[open_at:]:
        raise AddrError("unexpected '[' in address", address)
    if "]" in address[close_at:]:
        raise AddrError("unexpected ']' in address", address)
    return host, address[colon + 1:]


def join_host_port(host: str, port: int | str) -> str:
    """``host:port``, with brackets when ``host`` holds a colon (Go's ``JoinHostPort``)."""
    return ("[%s]:%s" if ":" in host else "%s:%s") % (host, port)


def parse_port(service: str) -> int:
    """The port a decimal ``service`` names; raise :class:`AddrError` when out of range.

    Raises ``ValueError`` when ``service`` is not decimal (then it is a name).
    """
    digits = service[1:] if service[:1] in ("+", "-") else service
    if digits and not (digits.isascii() and digits.isdigit()):
        raise ValueError("not a decimal port: %r" % service)
    number = int(digits or "0")
    if service.startswith("-") and number:
        raise AddrError("invalid port", service)
    if number > 65535:
        raise AddrError("invalid port", service)
    return number


def lookup_port(service: str) -> int:
    """A decimal port or a service name, as Go's ``LookupPort("tcp", service)``."""
    try:
        return parse_port(service)
    except ValueError:
        pass
    name = service.lower() if service.isascii() else ""
    if name and len(name) <= _MAX_SERVICE and "\x00" not in name:
        try:
            return socket.getservbyname(name, "tcp")
        except OSError:
            if name in _GO_SERVICES:
                return _GO_SERVICES[name]
    raise DNSError("tcp/" + service, "unknown port", socket.EAI_SERVICE)


def is_domain_name(name: str) -> bool:
    """Whether Go would look ``name`` up at all (``net.isDomainName``)."""
    size = len(name)
    if name == ".":
        return True
    if size == 0 or size > 254 or (size == 254 and not name.endswith(".")):
        return False
    last, non_numeric, label = ".", False, 0
    for char in name:
        if "a" <= char <= "z" or "A" <= char <= "Z" or char == "_":
            non_numeric = True
            label += 1
        elif "0" <= char <= "9":
            label += 1
        elif char == "-":
            if last == ".":
                return False
            label += 1
            non_numeric = True
        elif char == ".":
            if last in ".-" or label > 63 or label == 0:
                return False
            label = 0
        else:
            return False
        last = char
    return last != "-" and label <= 63 and non_numeric


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id == "":
        return None  # "fe80::1%": Go wants a zone after the %
    return ip


def _zone_index(zone: str | None) -> int:
    # As Go: an interface name, else a number, else no zone at all.
    if not zone:
        return 0
    try:
        return socket.if_nametoindex(zone)
    except (OSError, ValueError):
        return int(zone) if zone.isascii() and zone.isdigit() and int(zone) < 2**32 else 0


def _numeric_to_libc(name: str) -> bool:
    # glibc's getaddrinfo reads "0x7f.1" as 127.0.0.1 before any lookup; Go
    # would send it to DNS.  Such a name is never resolved here.
    try:
        socket.inet_aton(name)
    except (OSError, ValueError):
        return False
    return True


def resolve(address: str) -> list[Target]:
    """Where Go's ``net.Dial("tcp", address)`` would connect, in order.

    Raises :class:`AddrError` or :class:`DNSError` (Go's texts, without
    the ``dial tcp:`` prefix that :func:`dial` adds).
    """
    if address == "":
        raise AddrError("missing address")
    host, service = split_host_port(address)
    port = lookup_port(service)
    if host == "":
        # Go dials the unspecified address: this machine.
        infos = socket.getaddrinfo(None, port, 0, socket.SOCK_STREAM)
        return [Target(family, sockaddr, ":%d" % port) for family, _, _, _, sockaddr in infos]
    ip = _ip_literal(host)
    if ip is not None:
        zone = getattr(ip, "scope_id", None)
        mapped = getattr(ip, "ipv4_mapped", None)
        if ip.version == 4 or mapped is not None:
            # An IPv4-mapped address is dialled as IPv4 (Go keeps its zone in the text).
            v4 = str(mapped or ip)
            return [Target(socket.AF_INET, (v4, port), join_host_port(v4 + ("%" + zone if zone else ""), port))]
        bare = str(ip).split("%", 1)[0]
        return [Target(socket.AF_INET6, (bare, port, 0, _zone_index(zone)), "[%s]:%d" % (ip, port))]
    if not is_domain_name(host) or _numeric_to_libc(host):
        raise DNSError(host, "no such host")
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as err:
        missing = err.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
        raise DNSError(host, "no such host" if missing else _gai_text(err), err.errno) from None
    targets = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            targets.append(Target(family, sockaddr, join_host_port(sockaddr[0], port)))
    if not targets:
        raise DNSError(host, "no suitable address found")
    return targets


def _gai_text(err: socket.gaierror) -> str:
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


#: The address family each TCP network of Go's allows (None: either).
TCP_NETWORKS = {"tcp": None, "tcp4": socket.AF_INET, "tcp6": socket.AF_INET6}


def dial(address: str, timeout: float | None = None, network: str = "tcp") -> socket.socket:
    """Connect as Go's ``net.Dial(network, address)``; errors read as Go's.

    ``network`` is one of :data:`TCP_NETWORKS`; ``tcp4`` and ``tcp6`` keep
    only the addresses of their family (``dial tcp4: address ::1: no
    suitable address found`` when none is left).

    ``timeout`` bounds the whole dial; each address gets a share of it
    (Go's ``partialDeadline``).  Refused addresses fail with ``EINVAL``
    (``dial tcp: address 99999: invalid port``) or a ``socket.gaierror``
    (``dial tcp: lookup x: no such host``) before any connection; a failed
    connection keeps its class and errno (``dial tcp 127.0.0.1:25:
    connect: connection refused``), a timeout is a ``TimeoutError``
    (``dial tcp 127.0.0.1:25: i/o timeout``).
    """
    family = TCP_NETWORKS[network]
    try:
        targets = resolve(address)
        if family is not None:
            targets = [t for t in targets if t.family == family]
            if not targets:
                raise AddrError("no suitable address found", split_host_port(address)[0])
    except (AddrError, DNSError) as err:
        failure: OSError | None = err.in_dial(network)
    else:
        failure = None
    if failure is not None:
        raise failure
    deadline = None if timeout is None else time.monotonic() + timeout
    first: OSError | None = None
    for index, target in enumerate(targets):
        sock = socket.socket(target.family, socket.SOCK_STREAM)
        try:
            if deadline is not None:
                sock.settimeout(dial_share(deadline - time.monotonic(), len(targets) - index))
            else:
                sock.settimeout(socket.getdefaulttimeout())
            sock.connect(target.sockaddr)
        except OSError as err:
            sock.close()
            if first is None:
                first = op_error("dial", err, net=network, addr=target.text, syscall="connect")
            continue
        sock.settimeout(timeout if timeout is not None else socket.getdefaulttimeout())
        return sock
    raise first  # type: ignore[misc]


def dial_share(remaining: float, addresses: int) -> float:
    # Go's partialDeadline: the time left split over the addresses left,
    # but no less than a sane minimum when there is that much time.
    if remaining <= 0:
        raise socket.timeout("timed out")
    share = remaining / addresses
    if share < _SANE_MINIMUM:
        share = min(_SANE_MINIMUM, remaining)
    return share
