"""TLS policies: which ``tls=`` values exist and the settings each one uses.

Rules of this module:

* ``tls`` is one of :data:`TLS_POLICIES`: ``"opportunistic"`` (Go's:
  STARTTLS when offered), ``"required"`` (no STARTTLS, no session),
  ``"none"``, or ``"implicit"`` (TLS from the first byte, port 465);
* certificates and host names are verified unless ``verify=False``; a
  ready ``ssl.SSLContext`` is used as given (``verify=False`` cannot
  change it and is refused);
* the server's name (certificate, SNI, authentication) is ``server_name=``,
  else the TLS configuration's, else the address's host; a non-ASCII name
  goes to TLS as IDNA 2008 A-labels (:func:`.addresses.tls_host_name`).

Applying a policy to a connection (when to STARTTLS, failing closed) is
:meth:`smtp_core.pythonic.session.Session.prepare`'s job.

>>> check_policy("required")
>>> tls_settings("mx.example", None, False, None).insecure_skip_verify
True
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import replace

from ..errors import StageTimeout, TLSSetupError
from ..gocompat.neterror import socket_error
from ..tls import TLSConfig
from .addresses import tls_host_name

__all__ = ["TLS_POLICIES", "check_policy", "tls_settings", "server_name_of", "wrap_implicit"]

#: The accepted values of ``tls=``.
TLS_POLICIES = ("opportunistic", "required", "none", "implicit")


def check_policy(tls: str) -> None:
    """Refuse a ``tls=`` value that is not one of :data:`TLS_POLICIES`."""
    if tls not in TLS_POLICIES:
        raise ValueError("tls must be one of %s, got %r" % (", ".join(map(repr, TLS_POLICIES)), tls))


def tls_settings(name: str, tls_config: TLSConfig | ssl.SSLContext | None, verify: bool,
                 server_name: str | None) -> TLSConfig | ssl.SSLContext:
    """The TLS settings to use: verification on, the server's name filled in."""
    if isinstance(tls_config, ssl.SSLContext):
        if not verify:
            raise ValueError("verify=False cannot change a ready SSLContext: set its verify_mode yourself")
        return tls_config
    if tls_config is None:
        tls_config = TLSConfig()
    elif not isinstance(tls_config, TLSConfig):
        raise TypeError("tls_config must be a TLSConfig or an ssl.SSLContext, got %s" % type(tls_config).__name__)
    changes: dict = {}
    wanted = tls_host_name(server_name or tls_config.server_name or name)
    if wanted != tls_config.server_name:
        changes["server_name"] = wanted
    if not verify:
        changes["insecure_skip_verify"] = True
    return replace(tls_config, **changes) if changes else tls_config


def server_name_of(host: str, tls_config, server_name: str | None) -> str:
    """The server's name: given, else the TLS configuration's, else the address's host."""
    if server_name:
        return server_name
    if isinstance(tls_config, TLSConfig) and tls_config.server_name:
        return tls_config.server_name
    return host


def wrap_implicit(sock: socket.socket, settings, name: str, seconds: float) -> ssl.SSLSocket:
    """The TLS handshake of implicit TLS, bounded by ``seconds``; the socket is closed on failure."""
    try:
        if isinstance(settings, TLSConfig):
            settings.check()
            ctx, sni = settings.context(), settings.server_name
        else:
            ctx, sni = settings, tls_host_name(name)
        sock.settimeout(seconds)
        return ctx.wrap_socket(sock, server_hostname=sni or None)
    except socket.timeout:
        sock.close()
        raise StageTimeout("TLS handshake", seconds) from None
    except TLSSetupError:
        sock.close()
        raise
    except OSError as err:  # Go's texts, as after STARTTLS
        failure = socket_error("write" if err.errno == errno.EPIPE else "read", err, sock)
        sock.close()
    except BaseException:
        sock.close()
        raise
    raise failure
