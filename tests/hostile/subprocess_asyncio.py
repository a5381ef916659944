"""subprocess_asyncio.py -- an asyncio coroutine that runs a program with subprocess.run and then
sleeps, both blocking the loop in one step of the coroutine.

CPython (3.10 on) starts the program with vfork, and the child closes every descriptor it does
not pass on (close_fds) before its exec: the loop's epoll fd too, in the child's own descriptor
table, from memory it shares with the parent's loop thread. The parent's loop goes on. Then a
program that is not there: the vfork child's exec fails and it exits (_exit) on the parent's
memory, and the parent, which goes on, still stalls later in time.sleep. Prints whether vfork was
used and "subprocess ok".
"""
import asyncio
import subprocess
import time


async def handler():
    await asyncio.sleep(0.02)
    subprocess.run(["sleep", "0.15"], check=True)
    time.sleep(0.05)
    await asyncio.sleep(0.02)


async def after_a_failed_exec():
    try:
        subprocess.run(["/nonexistent/program"])
    except FileNotFoundError:
        pass
    await asyncio.sleep(0.02)
    time.sleep(0.1)
    await asyncio.sleep(0.02)


async def main():
    for _ in range(2):
        await handler()
    await after_a_failed_exec()


print(f"vfork {getattr(subprocess, '_USE_VFORK', False)}")
asyncio.run(main())
print("subprocess ok")
