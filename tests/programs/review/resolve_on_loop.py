"""resolve_on_loop.py -- a service that resolves a host name on its event loop (the bug)."""
import asyncio
import socket


async def handle(i):
    # Blocking: socket.getaddrinfo runs on the loop thread. Fast from a local
    # cache on a laptop, 100 ms or more against a slow resolver in production.
    infos = socket.getaddrinfo("localhost", 8080, type=socket.SOCK_STREAM)
    await asyncio.sleep(0.01)
    return len(infos)


async def main():
    # Started: the loop waits for work (past startup, as a service is when requests come).
    await asyncio.sleep(0.05)
    results = await asyncio.gather(*(handle(i) for i in range(3)))
    print("resolved", sum(results) > 0)


asyncio.run(main())
