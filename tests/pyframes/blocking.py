"""blocking.py -- a blocking call two Python frames below a coroutine, as a service would make it.

The probe stands for the blocking call: Config.load calls it, load_config calls Config.load, and
the coroutine handler, run by asyncio, calls load_config. Lines the test checks carry a marker.
"""
import asyncio
import sys

import pyprobe

MODE = sys.argv[1] if len(sys.argv) > 1 else "stack"


class Config:
    def load(self):
        buf = pyprobe.buffer()
        if MODE == "merged":
            pyprobe.lib.pyprobe_merged(buf, pyprobe.SIZE)  # MARK:Config.load:merged
        elif MODE.startswith("broken:"):
            _, field, delta = MODE.split(":")
            pyprobe.lib.pyprobe_stack_broken(field.encode(), int(delta), buf, pyprobe.SIZE)
        else:
            pyprobe.lib.pyprobe_stack(buf, pyprobe.SIZE)  # MARK:Config.load
        return pyprobe.held_tstate() + pyprobe.text(buf)


def load_config():
    text = Config().load()  # MARK:load_config
    return text


async def handler():
    await asyncio.sleep(0)
    return load_config()  # MARK:handler


sys.stdout.write(asyncio.run(handler()))  # MARK:<module>
