"""closerange_asyncio.py -- an asyncio program that first closes every descriptor above 2,
as daemons do, then runs its loop with a blocking and a CPU stall.

An agent that keeps descriptors of its own, or replaces the host's, breaks the selector's
epoll fd (OSError in selector.poll). Prints the descriptors it uses and "asyncio ok".
"""
import asyncio
import os
import time


def burn(seconds):
    end = time.monotonic() + seconds
    x = 1
    while time.monotonic() < end:
        x = (x * 6364136223846793005 + 1) & 0xFFFFFFFFFFFFFFFF
    return x


async def main():
    r, w = os.pipe()
    for i in range(30):
        await asyncio.sleep(0.005)
        os.write(w, b"x")
        if os.read(r, 1) != b"x":
            raise SystemExit("the pipe broke")
        if i == 10:
            time.sleep(0.06)  # blocking: unwound after the call
        if i == 20:
            burn(0.08)  # CPU: sampled while it runs
    selector_fd = asyncio.get_running_loop()._selector.fileno()
    print(f"pipe {r} {w} selector {selector_fd}")


os.closerange(3, 1024)
asyncio.run(main())
print("asyncio ok")
