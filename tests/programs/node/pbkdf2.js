// crypto.pbkdf2 with enough iterations to take about 150 ms, run from a timer callback.
// `node pbkdf2.js sync` derives the key on the loop thread (pbkdf2Sync, a CPU stall);
// `node pbkdf2.js async` hands it to libuv's thread pool (crypto.pbkdf2, no stall).
// The iteration count is calibrated before the loop starts, so the stall lasts about
// the same on a fast or a slow machine; the program prints how long the work took.
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const mode = process.argv[2] === 'async' ? 'async' : 'sync';
const TARGET_MS = 150;

function derive(iterations) {
  return crypto.pbkdf2Sync('secret', 'salt', iterations, 32, 'sha256');
}

// The fastest of a few short rounds: a noisy machine only ever makes a round slower.
const probe = 20000;
let best = Infinity;
for (let i = 0; i < 3; i++) {
  const t0 = process.hrtime.bigint();
  derive(probe);
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
}
const iterations = Math.max(1000, Math.round((probe * TARGET_MS) / best));
console.log(`iterations ${iterations}`);

// CPU time of this thread alone (Linux): process.cpuUsage() also counts V8's helper threads.
function threadCpuMs() {
  return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
}

setTimeout(() => {
  const t0 = process.hrtime.bigint();
  const cpu0 = threadCpuMs();
  const took = () => (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1);
  if (mode === 'sync') {
    derive(iterations); // the mistake: CPU-bound work on the loop thread
    const cpu = threadCpuMs() - cpu0;
    console.log(`sync_ms ${took()} cpu_ms ${cpu.toFixed(1)}`);
  } else {
    crypto.pbkdf2('secret', 'salt', iterations, 32, 'sha256', (err) => {
      if (err) throw err;
      console.log(`async_ms ${took()}`);
    });
  }
}, 20);
