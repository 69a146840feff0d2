// A bcrypt check off the service's event loop: bcrypt is slow on purpose (tens of ms per check), and bcryptjs's
// "async" compare still runs in the loop in chunks of up to 100 ms, so a flood of wrong passwords would stall
// every other check. Messages: {password, hash} in, {ok} out; one check at a time per worker.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

parentPort?.on('message', ({ password, hash }: { password: string; hash: string }) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(password, hash);
  } catch {
    // A hash bcryptjs cannot read matches nothing (htpasswd.ts lets only well-formed ones through).
  }
  parentPort?.postMessage({ ok });
});
