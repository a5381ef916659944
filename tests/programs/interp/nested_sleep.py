"""A blocking sleep two Python frames below a coroutine: handler -> load_config -> read_settings.

The lines the test expects in the stall's stack carry "# MARK:NAME".
"""
import asyncio
import time


def read_settings():
    time.sleep(0.15)  # MARK:sleep
    return {}


def load_config():
    return read_settings()  # MARK:read


async def handler():
    await asyncio.sleep(0.05)  # the loop goes idle first: what follows is serving
    load_config()  # MARK:load
    await asyncio.sleep(0.05)


asyncio.run(handler())
print("done")
