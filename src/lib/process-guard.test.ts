// The process guard in a real child process: an uncaught throw and an unhandled rejection are logged (name,
// message, stack; not the error's other properties) and the process goes on; a burst over the budget exits 70.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const guard = new URL('./process-guard.ts', import.meta.url).pathname;
const logger = new URL('./logger.ts', import.meta.url).pathname;

/** Runs `body` in a child Node with the guard installed (JSON logs on stderr); resolves to its exit code and output. */
async function child(body: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `import { installProcessGuard } from '${guard}'; import { createLogger } from '${logger}';
    installProcessGuard(createLogger({ format: 'json' })); ${body}`;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('an uncaught throw and an unhandled rejection are logged without the error’s other properties, and the process keeps running', async () => {
  const out = await child(`
    setTimeout(() => { const e = new Error('handler bug'); e.headers = { authorization: 'Bearer s3cret' }; throw e; });
    setTimeout(() => void Promise.reject(new TypeError('nobody awaited me')), 10);
    setTimeout(() => console.log('still alive'), 100);`);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'still alive');
  const logs = out.stderr.trim().split('\n').map((l) => JSON.parse(l) as { origin: string; error: { name: string; message: string; stack: string } });
  assert.deepEqual(logs.map((l) => [l.origin, l.error.name, l.error.message]), [
    ['uncaughtException', 'Error', 'handler bug'],
    ['unhandledRejection', 'TypeError', 'nobody awaited me'],
  ]);
  assert.match(logs[0]?.error.stack ?? '', /at /);
  assert.doesNotMatch(out.stderr, /s3cret/);
});

test('more unexpected errors than the budget within the window: the process exits 70', async () => {
  const out = await child(`for (let i = 0; i < 60; i++) setTimeout(() => { throw new Error('loop ' + i); }); setTimeout(() => console.log('not reached'), 2000);`);
  assert.equal(out.code, 70);
  assert.equal(out.stdout, '');
  assert.match(out.stderr, /too many unexpected errors/);
});
