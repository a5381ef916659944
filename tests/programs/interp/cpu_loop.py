"""Pure-Python CPU work in a coroutine, twice, about 250 ms each time.

`python3 cpu_loop.py` burns in burn(); `python3 cpu_loop.py moved` runs the same loop in
churn() instead: the hot code moved to another function.
"""
import asyncio
import sys
import time


def burn(seconds):
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for i in range(500):
            n += i * i
    return n


def churn(seconds):
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for i in range(500):
            n += i * i
    return n


async def main(work):
    for _ in range(2):
        await asyncio.sleep(0.03)
        work(0.25)


asyncio.run(main(churn if len(sys.argv) > 1 and sys.argv[1] == "moved" else burn))
print("done")
