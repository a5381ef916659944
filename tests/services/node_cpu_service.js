// node_cpu_service.js -- an HTTP service on 127.0.0.1 whose handler does CPU work on the loop
// thread (crypto.pbkdf2Sync, then zlib.gzipSync), asked REQUESTS times by a client of its own;
// prints each answer and exits. The same workload every run: what `loopstall diff` compares.
'use strict';
const crypto = require('crypto');
const http = require('http');
const zlib = require('zlib');

const REQUESTS = 4;
const payload = Buffer.from('loopstall '.repeat(400000)); // 4 MB that compresses well

const server = http.createServer((req, res) => {
  const key = crypto.pbkdf2Sync('secret', 'salt', 300000, 32, 'sha256'); // the mistake, twice:
  const packed = zlib.gzipSync(payload, { level: 9 }); // CPU work on the loop thread
  res.end(`${key.toString('hex').slice(0, 16)} ${packed.length}\n`);
});

function get(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  // Idle first, as a service is between its start and its first request.
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < REQUESTS; i++) process.stdout.write(await get(port));
  server.close();
});
