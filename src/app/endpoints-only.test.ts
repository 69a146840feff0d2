// The property discovery relies on, end to end through the pure stages: the gatewayapi discovery golden's
// resources → pipeline → join with two different endpoint sets → snapshot cache. Only the EDS version moves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocuments } from '../api/parse.ts';
import { joinCluster, type EndpointSets } from '../ir/endpoints.ts';
import { SnapshotCache } from '../xds/cache/snapshot-cache.ts';
import { TYPE_URLS } from '../xds/resources.ts';
import { translateLoadAssignments } from '../xds/translator/translate.ts';
import { runPipeline } from './pipeline.ts';

const input = readFileSync(join(import.meta.dirname, '../gatewayapi/testdata/discovery.in.yaml'), 'utf8');

test('an endpoint change re-sends EDS only: listener, route and cluster versions stay', () => {
  const output = runPipeline(parseDocuments(input, { file: 'discovery.in.yaml' }).resources, []);
  const [gw] = output.ir.gateways;
  assert.ok(gw);
  const serve = (cache: SnapshotCache, sets: EndpointSets) =>
    cache.set(gw.key, { ...output.xds.get(gw.key), [TYPE_URLS.endpoint]: translateLoadAssignments(gw.clusters.map((c) => joinCluster(c, sets))) });
  const cache = new SnapshotCache();
  const before = serve(cache, new Map([['consul//web', [{ address: '10.0.0.1', port: 8080 }, { address: '10.0.0.2', port: 8080 }]]]));
  const after = serve(cache, new Map([['consul//web', [{ address: '10.0.0.2', port: 8080 }]]]));
  assert.notEqual(after.versions[TYPE_URLS.endpoint], before.versions[TYPE_URLS.endpoint]);
  for (const type of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster]) assert.equal(after.versions[type], before.versions[type], type);
  const web = after.resources[TYPE_URLS.endpoint].find((r) => r.name === 'service/default/web/8080');
  assert.deepEqual(web?.resource, {
    cluster_name: 'service/default/web/8080',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 8080 } } } }] }],
  });
});
