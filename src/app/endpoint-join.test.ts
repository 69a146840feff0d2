import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocuments } from '../api/parse.ts';
import { silentLogger } from '../lib/logger.ts';
import { TYPE_URLS } from '../xds/resources.ts';
import { EndpointJoin } from './endpoint-join.ts';
import { runPipeline } from './pipeline.ts';

const input = readFileSync(join(import.meta.dirname, '../gatewayapi/testdata/discovery.in.yaml'), 'utf8');

test('the controller pipeline builds no EDS; the join, with discovery off, builds what the translator would', () => {
  const { resources } = parseDocuments(input, { file: 'discovery.in.yaml' });
  const full = runPipeline(resources, []);
  const controller = runPipeline(resources, [], { endpoints: false });
  const join = new EndpointJoin({ logger: silentLogger, notify: () => assert.fail('no discovery, no change') });
  join.join(controller.ir.gateways);
  assert.ok(controller.xds.size > 0);
  for (const [gateway, xds] of controller.xds) {
    assert.equal(xds[TYPE_URLS.endpoint], undefined, 'nothing built to be thrown away');
    const byName = (list: { name: string }[]) => [...list].sort((a, b) => (a.name < b.name ? -1 : 1));
    assert.deepEqual(byName(join.endpoints(gateway)), byName(full.xds.get(gateway)?.[TYPE_URLS.endpoint] ?? []));
    const { [TYPE_URLS.endpoint]: _, ...others } = full.xds.get(gateway) ?? {};
    assert.deepEqual(xds, others, 'everything else as before');
  }
});
