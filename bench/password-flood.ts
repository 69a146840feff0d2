// The event loop of the ext-auth service while wrong bcrypt passwords arrive: its delay (p50/p99/max, from
// perf_hooks) with nothing to do, then during N wrong passwords checked concurrently (as N requests would be),
// and the time those take. `module` picks the verifyPassword to measure (default: this checkout's), so a
// before/after compares two checkouts on the same machine in the same run.
//   node bench/password-flood.ts [N=200] [cost=10] [module=src/extauth/passwords.ts]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';

const [n = 200, cost = 10] = process.argv.slice(2, 4).map(Number);
const module = resolve(process.argv[4] ?? 'src/extauth/passwords.ts');
const { verifyPassword } = (await import(pathToFileURL(module).href)) as { verifyPassword(p: string, h: string): Promise<boolean> };
const hash = bcrypt.hashSync('right password', cost);

async function delayDuring(work: () => Promise<unknown>) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  h.disable();
  const at = (p: number) => Math.round(h.percentile(p) / 1e5) / 10;
  return { p50Ms: at(50), p99Ms: at(99), maxMs: Math.round(h.max / 1e5) / 10, tookMs: Math.round(ms) };
}

await verifyPassword('warm-up', hash); // the first call may start workers
const idle = await delayDuring(() => new Promise((r) => setTimeout(r, 1000)));
const flood = await delayDuring(() => Promise.all(Array.from({ length: n }, (_, i) => verifyPassword(`wrong ${i}`, hash))));
console.log(JSON.stringify({ module: process.argv[4] ?? 'this checkout', wrongPasswords: n, bcryptCost: cost, idle, flood }));
process.exit(0);
