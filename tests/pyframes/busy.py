"""busy.py -- a pure-Python CPU stall inside a coroutine, sampled from a signal handler."""
import asyncio
import sys
import time

import pyprobe

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 0.4


def crunch(n):  # MARK:crunch:first
    total = 0
    for i in range(n):
        total += i * i % 7
    return total  # MARK:crunch:last


async def handler():
    pyprobe.sample_start(2000)
    start = time.process_time()
    while time.process_time() - start < SECONDS:
        crunch(20000)
    return pyprobe.sample_stop()


sys.stdout.write(asyncio.run(handler()))
