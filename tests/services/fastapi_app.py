"""fastapi_app.py -- a FastAPI service for test-uvicorn: /fixed and /broken both fetch from a
local upstream (UPSTREAM_URL) with requests; /fixed hands the blocking call to a thread
(asyncio.to_thread), /broken makes it inside `async def`, on the event loop. At exit, after
its loop has ended, it spends 150 ms of CPU, as a service that flushes and closes things does:
no loop is left to stall then."""
import asyncio
import atexit
import os
import time

import requests
from fastapi import FastAPI

UPSTREAM_URL = os.environ["UPSTREAM_URL"]

app = FastAPI()


@atexit.register
def flush_at_exit():
    end = time.process_time() + 0.15
    while time.process_time() < end:
        pass


def fetch_upstream() -> str:
    return requests.get(UPSTREAM_URL, timeout=10).text


@app.get("/fixed")
async def fixed():
    return {"upstream": await asyncio.to_thread(fetch_upstream)}


@app.get("/broken")
async def broken():
    return {"upstream": fetch_upstream()}  # the mistake: a blocking call on the loop
