// node_http.js -- a minimal Node HTTP server for the CPU benchmarks: keep-alive, one fixed answer
// to every request, no stalls (nothing in it blocks the loop).
//
// Usage: node node_http.js PORT   (listens on 127.0.0.1; SIGTERM ends it with a normal exit, so
// that an agent used directly writes its report)
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const body = 'hello\n';
const server = http.createServer((req, res) => {
  res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': body.length});
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  // Idle keep-alive connections would hold close() open: end them too.
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
