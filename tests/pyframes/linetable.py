"""linetable.py -- our co_linetable decoder against the interpreter's own co_lines().

Every code object of a few large standard-library modules (nested ones included), every
instruction: prints "lines CODE_OBJECTS INSTRUCTIONS MISMATCHES" and the first mismatches.
"""
import asyncio.base_events
import email.message
import json.decoder
import types

import pyprobe


def code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from code_objects(const)


def expected(code):
    units = len(code.co_code) // 2
    lines = [None] * units
    for start, end, line in code.co_lines():
        for unit in range(start // 2, end // 2):
            lines[unit] = line
    return [-1 if line is None else line for line in lines]


codes = instructions = bad = 0
shown = []
for module in (asyncio.base_events, email.message, json.decoder, types):
    with open(module.__file__, encoding="utf-8") as f:
        top = compile(f.read(), module.__file__, "exec")
    for code in code_objects(top):
        codes += 1
        want, got = expected(code), pyprobe.lines(code)
        instructions += len(want)
        for unit, (w, g) in enumerate(zip(want, got)):
            if w != g:
                bad += 1
                if len(shown) < 5:
                    shown.append("%s unit %d: want %d got %d" % (code.co_qualname, unit, w, g))
print("lines\t%d\t%d\t%d" % (codes, instructions, bad))
for line in shown:
    print("mismatch\t" + line)
