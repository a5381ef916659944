// CPU work on the main thread from two timer callbacks: crypto.pbkdf2Sync and zlib.gzipSync
// in work(), or, with `moved`, the same calls in digestAndPack(): the hot code moved. With
// `spin`, a pure JavaScript busy loop in spin() instead.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const zlib = require('zlib');

// Text of a few words in a fixed pseudo-random order (9 MB): deflate at level 9 works on it for
// about 100 ms and pbkdf2 for about 40 ms (on this project's 2 cores), so that each stall lasts
// a few thresholds of 50 ms and gets several stack samples.
const words = (
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho ' +
  'sigma tau upsilon phi chi psi omega'
).split(' ');
const parts = [];
for (let i = 0, x = 12345; i < 1800000; i++) {
  x = (x * 1103515245 + 12345) >>> 0;
  parts.push(words[(x >>> 16) % words.length]);
}
const payload = Buffer.from(parts.join(' '));

function work() {
  crypto.pbkdf2Sync('secret', 'salt', 40000, 32, 'sha512');
  zlib.gzipSync(payload, { level: 9 });
}

function digestAndPack() {
  crypto.pbkdf2Sync('secret', 'salt', 40000, 32, 'sha512');
  zlib.gzipSync(payload, { level: 9 });
}

function spin(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

const mode = process.argv[2];
const task = mode === 'moved' ? digestAndPack : mode === 'spin' ? () => spin(250) : work;
setTimeout(() => {
  task();
  setTimeout(() => {
    task();
    // Not console.log: its first use compiles Node's own modules, a stall of its own.
    fs.writeSync(1, 'done\n');
  }, 30);
}, 30);
