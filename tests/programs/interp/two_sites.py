"""Two blocking sleeps in two functions of a coroutine's service.

`python3 two_sites.py` makes the first (in load_config); `python3 two_sites.py both` the
second too (in warm_cache): the change a review should catch.
"""
import asyncio
import sys
import time


def load_config():
    time.sleep(0.12)  # MARK:first


def warm_cache():
    time.sleep(0.12)  # MARK:second


async def main(both):
    await asyncio.sleep(0.03)
    load_config()
    await asyncio.sleep(0.03)
    if both:
        warm_cache()
        await asyncio.sleep(0.03)


asyncio.run(main(len(sys.argv) > 1 and sys.argv[1] == "both"))
print("done")
