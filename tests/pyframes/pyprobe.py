"""pyprobe -- the test scripts' handle on libpyprobe.so, loaded with ctypes.CDLL.

CDLL releases the GIL around every call, so the probe sees this thread exactly as the agent's
wrappers see a blocking call. Scripts call lib.pyprobe_* themselves, from the frame the test
expects on top: a helper in between would be the innermost frame. Each call writes text into a
buffer (see probe.c for its records).
"""
import ctypes
import os

lib = ctypes.CDLL(os.environ["PYFRAMES_PROBE"])
_buf = ctypes.POINTER(ctypes.c_char)
lib.pyprobe_stack.argtypes = [_buf, ctypes.c_size_t]
lib.pyprobe_merged.argtypes = [_buf, ctypes.c_size_t]
lib.pyprobe_stack_broken.argtypes = [ctypes.c_char_p, ctypes.c_int, _buf, ctypes.c_size_t]
lib.pyprobe_sample_start.argtypes = [ctypes.c_int]
lib.pyprobe_sample_stop.argtypes = [_buf, ctypes.c_size_t]
lib.pyprobe_bench.argtypes = [ctypes.c_int, _buf, ctypes.c_size_t]
lib.pyprobe_lines.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.POINTER(ctypes.c_int)]
lib.pyprobe_lines.restype = None

SIZE = 1 << 18


def buffer():
    return ctypes.create_string_buffer(SIZE)


def text(buf):
    return buf.value.decode("utf-8", "replace")


def held_tstate():
    """This thread's PyThreadState as the interpreter gives it with the GIL held."""
    get = ctypes.pythonapi.PyThreadState_Get
    get.restype = ctypes.c_void_p
    return "held\t0x%x\n" % get()


def sample_start(period_us):
    rc = lib.pyprobe_sample_start(period_us)
    if rc != 0:
        raise OSError(-rc, "pyprobe_sample_start failed")


def sample_stop():
    buf = buffer()
    lib.pyprobe_sample_stop(buf, SIZE)
    return text(buf)


def lines(code):
    """Our decoder's line for every instruction of code, as a list."""
    table = code.co_linetable
    units = len(code.co_code) // 2
    out = (ctypes.c_int * max(units, 1))()
    lib.pyprobe_lines(table, len(table), code.co_firstlineno, units, out)
    return list(out[:units])
