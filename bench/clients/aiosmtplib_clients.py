"""aiosmtplib, the asyncio client: one connection, n messages.

Same shape as :mod:`bench.clients.core_clients`.
"""

from __future__ import annotations

import asyncio

import aiosmtplib

from bench.clients import RECIPIENT, SENDER, host_port


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    host, port = host_port(addr)

    async def send_all() -> None:
        server = aiosmtplib.SMTP(hostname=host, port=port, start_tls=False, use_tls=False)
        await server.connect()
        try:
            for _ in range(n):
                await server.sendmail(SENDER, [RECIPIENT], msg)
            await server.quit()
        finally:
            server.close()

    asyncio.run(send_all())
    return n, n * len(msg)
