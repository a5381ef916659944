"""fastapi_app.py -- a FastAPI service for test-uvicorn: /fixed and /broken both fetch from a
local upstream (UPSTREAM_URL) with requests; /fixed hands the blocking call to a thread
(asyncio.to_thread), /broken makes it inside `async def`, on the event loop."""
import asyncio
import os

import requests
from fastapi import FastAPI

UPSTREAM_URL = os.environ["UPSTREAM_URL"]

app = FastAPI()


def fetch_upstream() -> str:
    return requests.get(UPSTREAM_URL, timeout=10).text


@app.get("/fixed")
async def fixed():
    return {"upstream": await asyncio.to_thread(fetch_upstream)}


@app.get("/broken")
async def broken():
    return {"upstream": fetch_upstream()}  # the mistake: a blocking call on the loop
