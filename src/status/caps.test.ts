// Status caps: a 1 MB garbage value, thousands of problems or conditions still give a short, useful status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capMessage, capStatus, MAX_STATUS_BYTES, STATUS_CAPS } from './caps.ts';

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

test('caps: each problem is cut, the count is capped with "and N more"', () => {
  const message = Array.from({ length: 1000 }, (_, i) => `spec.rules[${i}]: bad`).join('; ');
  const capped = capMessage(message);
  assert.equal(capped.split('; ').length, STATUS_CAPS.problems + 1);
  assert.match(capped, /^spec\.rules\[0\]: bad; .*spec\.rules\[9\]: bad; and 990 more$/);
  assert.equal(capMessage('one problem'), 'one problem');
});

test('caps: a 1 MB garbage value in a problem gives a short status that still says what and where', () => {
  const garbage = 'x'.repeat(1024 * 1024);
  const status = { conditions: [{ type: 'Accepted', status: 'False', reason: 'Invalid', message: `spec.headers[0].value: "${garbage}" is not a valid header value` }] };
  const capped = capStatus(status) as { conditions: { message: string; reason: string }[] };
  const message = capped.conditions[0]?.message ?? '';
  assert.ok(size(capped) < 2048, `${size(capped)} bytes`);
  assert.match(message, /^spec\.headers\[0\]\.value: "x+… \(\d+ more characters\)$/);
  assert.equal(capped.conditions[0]?.reason, 'Invalid', 'short strings are untouched');
});

test('caps: a status over the size cap even with capped messages is cut tighter, then to a stub that says so', () => {
  const many = (n: number, len: number) => ({ parents: Array.from({ length: n }, (_, i) => ({ name: `p${i}`, conditions: [{ type: 'Accepted', status: 'False', message: 'm'.repeat(len) }] })) });
  const tight = capStatus(many(200, 5000)) as { parents: { conditions: { message: string }[] }[] };
  assert.ok(size(tight) <= MAX_STATUS_BYTES);
  assert.equal(tight.parents.length, 200, 'tighter caps keep every entry');
  const stub = capStatus(many(5000, 5000));
  assert.ok(size(stub) <= MAX_STATUS_BYTES);
  assert.match(String(stub.truncated), /over Portico's cap of 64 KB/);
});
