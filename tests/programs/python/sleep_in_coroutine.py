"""An asyncio program whose one coroutine calls time.sleep(0.15): one blocking stall on the loop."""
import asyncio
import time


async def handler():
    await asyncio.sleep(0.05)  # let the loop run a few quiet iterations first
    time.sleep(0.15)  # the mistake: a blocking sleep on the loop thread
    await asyncio.sleep(0.05)


asyncio.run(handler())
print("done")
