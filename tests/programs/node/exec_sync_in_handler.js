// An HTTP server whose handler runs child_process.execSync('sleep 0.2'): the nested
// loop that execSync waits in blocks the main loop for 200 ms. The program makes one
// request to itself, prints the status and exits.
'use strict';
const http = require('http');
const { execSync } = require('child_process');

const server = http.createServer((req, res) => {
  execSync('sleep 0.2'); // the mistake: a synchronous child process in a handler
  res.end('slept\n');
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      console.log(`status ${res.statusCode}`);
      server.close();
    });
  });
});
