"""in_thread.py -- the same blocking call, from an event loop in a thread of its own."""
import asyncio
import threading

import pyprobe


def load_config():
    buf = pyprobe.buffer()
    pyprobe.lib.pyprobe_stack(buf, pyprobe.SIZE)  # MARK:load_config
    return pyprobe.held_tstate() + pyprobe.text(buf)


async def handler():
    return load_config()  # MARK:handler


def serve(out):
    out.append(asyncio.run(handler()))


result = []
worker = threading.Thread(target=serve, args=(result,), name="loop")
worker.start()
worker.join()
print(result[0], end="")
