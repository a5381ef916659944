"""spawn_env.py -- a Python parent that starts loop children with environments of its own
making: subprocess.run(env=...) and asyncio.create_subprocess_exec(..., env=...), as test
runners and supervisors do. Neither child inherits LD_PRELOAD or LOOPSTALL_*.

Each child is an asyncio program whose coroutine blocks in time.sleep(0.05) once. The parent
prints "children 0 0" (their exit statuses).
"""
import asyncio
import subprocess
import sys

CHILD = """
import asyncio, time
async def main():
    for i in range(10):
        await asyncio.sleep(0.005)
        if i == 4:
            time.sleep(0.05)
asyncio.run(main())
"""

OWN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


async def async_child():
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, env=OWN_ENV)
    return await proc.wait()


first = subprocess.run([sys.executable, "-c", CHILD], env=OWN_ENV).returncode
second = asyncio.run(async_child())
print(f"children {first} {second}")
