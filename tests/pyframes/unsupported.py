"""unsupported.py -- asks the probe for frames on an interpreter it must refuse, then goes on."""
import sys

import pyprobe

buf = pyprobe.buffer()
pyprobe.lib.pyprobe_stack(buf, pyprobe.SIZE)
sys.stdout.write(pyprobe.text(buf))
print("host ok")
