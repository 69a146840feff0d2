// The controller serves each of Portico's services its configuration from the first snapshot on (empty when
// no resource asks for the service), so a service never waits on a controller that has nothing for it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import { ServiceConfigClient } from '../xds/client/service-config-client.ts';
import { SERVICE_NODE_KEYS } from '../contracts/service-config.ts';
import { Controller } from './controller.ts';

test('every service node key is served, even with no resources asking for it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-services-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const controller = new Controller({ configDir: dir, xdsAddress: '127.0.0.1:0', adminAddress: 'off', logger: silentLogger });
  await controller.start();
  t.after(() => controller.stop());
  for (const nodeKey of Object.values(SERVICE_NODE_KEYS)) {
    const seen: number[] = [];
    const client = new ServiceConfigClient({ address: `127.0.0.1:${controller.xdsPort}`, nodeKey, logger: silentLogger, onConfig: (items) => void seen.push(items.size) });
    t.after(() => client.stop());
    client.start();
    await client.ready();
    assert.deepEqual(seen, [0], nodeKey);
  }
});
