"""deep.py -- the cost of capture + describe on a 20-frame stack (run by hand: python deep.py [ROUNDS])."""
import sys

import pyprobe

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000


def descend(depth):
    if depth > 1:
        return descend(depth - 1)
    buf = pyprobe.buffer()
    pyprobe.lib.pyprobe_bench(ROUNDS, buf, pyprobe.SIZE)
    return pyprobe.text(buf)


# <module> and 19 calls of descend: 20 Python frames when the probe runs.
sys.stdout.write(descend(19))
