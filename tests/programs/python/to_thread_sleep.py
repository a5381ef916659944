"""The good counterpart of sleep_in_coroutine.py: the same sleep runs on a worker thread."""
import asyncio
import time


async def handler():
    await asyncio.sleep(0.05)
    await asyncio.to_thread(time.sleep, 0.15)  # the loop keeps running while a worker sleeps
    await asyncio.sleep(0.05)


asyncio.run(handler())
print("done")
