"""hashlib.pbkdf2_hmac (OpenSSL, a C extension) called from derive() in a coroutine, ~200 ms.

The iteration count is calibrated first, so the call lasts about as long on any machine.
"""
import asyncio
import hashlib
import time

TARGET_S = 0.2


def derive(iterations):
    return hashlib.pbkdf2_hmac("sha256", b"secret", b"salt", iterations)  # MARK:derive


def calibrate():
    probe = 20000
    best = min(timed(probe) for _ in range(3))  # a busy machine only makes a round slower
    return max(1000, int(probe * TARGET_S / best))


def timed(n):
    t0 = time.perf_counter()
    derive(n)
    return time.perf_counter() - t0


async def main(iterations):
    await asyncio.sleep(0.03)
    derive(iterations)
    await asyncio.sleep(0.03)


asyncio.run(main(calibrate()))
print("done")
