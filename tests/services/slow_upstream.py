"""slow_upstream.py -- an HTTP upstream on 127.0.0.1 that answers every GET after DELAY_MS.

usage: python3 slow_upstream.py PORT DELAY_MS"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlowHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(int(sys.argv[2]) / 1000)
        body = b"slow upstream answer"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # the test reads the services' logs, not this one's


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), SlowHandler).serve_forever()
