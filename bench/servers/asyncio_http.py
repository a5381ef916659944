"""asyncio_http.py -- a minimal asyncio HTTP/1.1 server for the CPU benchmarks: keep-alive, one fixed
answer to every request, no stalls (nothing in it blocks the loop).

Usage: python3 asyncio_http.py PORT   (listens on 127.0.0.1; SIGTERM ends it with a normal exit,
so that an agent used directly writes its report)
"""
import asyncio
import signal
import sys

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n"


class Http(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.pending = b""

    def data_received(self, data):
        # Requests have no body here (ab and wrk send GET); each ends with an empty line.
        buf = self.pending + data
        n = buf.count(b"\r\n\r\n")
        self.pending = buf[buf.rfind(b"\r\n\r\n") + 4:] if n else buf
        if n:
            self.transport.write(ANSWER * n)


async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    server = await loop.create_server(Http, "127.0.0.1", port, backlog=512)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
