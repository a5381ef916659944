// Two synchronous calls inside named functions, each from a timer callback: execSync in
// loadConfig and fs.readFileSync in readSettings. The test slows the read down with an
// injected delay on opening the file, so both are stalls of the main loop.
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');

function loadConfig() {
  return execSync('sleep 0.15'); // MARK:exec
}

function readSettings(path) {
  return fs.readFileSync(path, 'utf8'); // MARK:read
}

const settings = process.argv[2];
setTimeout(() => {
  loadConfig();
  setTimeout(() => {
    if (settings) readSettings(settings);
    console.log('done');
  }, 30);
}, 30);
