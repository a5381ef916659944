"""A coroutine that fetches a URL with urllib (blocking) from a local server that answers after 100 ms.

The server runs on threads of this process (ThreadingHTTPServer waits with poll, not
epoll, so it is not an event loop). The port goes to stdout first so the test can
check the peer named in the report.
"""
import asyncio
import http.server
import sys
import threading
import time
import urllib.request

DELAY_S = 0.1


class SlowHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(DELAY_S)
        body = b"slow answer\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"port {port}", flush=True)


async def fetch():
    await asyncio.sleep(0.05)
    # The mistake: urllib blocks the loop thread for the whole request.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        data = resp.read()
    await asyncio.sleep(0.05)
    return data


body = asyncio.run(fetch())
server.shutdown()
server.server_close()
sys.stdout.write(body.decode())
