"""resolve_fixed.py -- the same service after the fix: the loop's own resolver (run off the loop)."""
import asyncio
import socket


async def handle(i):
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo("localhost", 8080, type=socket.SOCK_STREAM)
    await asyncio.sleep(0.01)
    return len(infos)


async def main():
    # Started: the loop waits for work (past startup, as a service is when requests come).
    await asyncio.sleep(0.05)
    results = await asyncio.gather(*(handle(i) for i in range(3)))
    print("resolved", sum(results) > 0)


asyncio.run(main())
