"""Whether `aidis serve` can have its port, asked before anything else starts.

Invariant: a port another process holds is one line and exit 2 before the banner, the migrations or
the log configuration (uvicorn would print the banner first, then a JSON log line, then exit 3).
"""

from __future__ import annotations

import errno
import socket

__all__ = ["port_in_use"]


def port_in_use(host: str, port: int) -> str | None:
    """Why `host:port` cannot be served (None: it is free now), tried the way uvicorn binds it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror} (AIDIS_HOST or --host)"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is in use (another AIDIS or another program); "
                    "choose another with --port or AIDIS_PORT"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror} (--host/--port, AIDIS_HOST/AIDIS_PORT)"
    return None
