#!/usr/bin/env python3
"""check-include-cycles.py DIR... -- fail when the files of a folder depend on each other in a circle.

A module is a file stem (x.c with x.h, and x_internal.h, its private header).
Module x depends on module y when x.c or x.h includes "y.h" from the same
folder. A cycle (x needs y, y needs x,
directly or through others) means neither can be read, tested or replaced
alone: this check keeps each folder a line of stages, not a knot.
Prints each cycle found and exits 1, or prints a one-line summary and exits 0.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)\.h"', re.M)


def module(stem):
    return stem[: -len("_internal")] if stem.endswith("_internal") else stem


def graph(folder):
    stems = {module(os.path.splitext(f)[0]) for f in os.listdir(folder) if f.endswith((".c", ".h"))}
    edges = {s: set() for s in stems}
    for f in os.listdir(folder):
        if not f.endswith((".c", ".h")):
            continue
        stem = module(os.path.splitext(f)[0])
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            for dep in map(module, INCLUDE.findall(fh.read())):
                if dep in stems and dep != stem:
                    edges[stem].add(dep)
    return edges


def cycles(edges):
    found, state, path = [], {}, []

    def visit(n):
        state[n] = 1
        path.append(n)
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                found.append(path[path.index(m):] + [m])
            elif m not in state:
                visit(m)
        path.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    return found


def main(argv):
    if len(argv) < 2:
        print("usage: check-include-cycles.py DIR...", file=sys.stderr)
        return 2
    bad = 0
    modules = 0
    for folder in argv[1:]:
        if not os.path.isdir(folder):
            print(f"check-include-cycles: {folder}: not a directory", file=sys.stderr)
            return 2
        edges = graph(folder)
        modules += len(edges)
        for c in cycles(edges):
            bad += 1
            print(f"{folder}: include cycle: {' -> '.join(c)}")
    if bad:
        return 1
    print(f"check-include-cycles: no cycle among {modules} modules in {', '.join(argv[1:])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
