// crypto.pbkdf2Sync with sha512 in derive(), about 300 ms on the loop thread: nearly all of it in
// OpenSSL's sha512_block_data_order_avx2, hand-written assembly whose CFI realigns the stack.
'use strict';
const crypto = require('crypto');
const fs = require('fs');

function derive() {
  return crypto.pbkdf2Sync('secret', 'salt', 150000, 64, 'sha512');
}

setTimeout(() => {
  derive();
  fs.writeSync(1, 'done\n');
}, 30);
