import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DiscoveredEndpoint } from '../ir/endpoints.ts';
import type { ClusterIr } from '../ir/types.ts';
import { LoadAssignments } from './load-assignments.ts';

const cluster = (service: string): ClusterIr => ({ name: `service/default/${service}/80`, endpoints: [], discovery: { consul: { service, port: 80 } }, connectTimeoutMs: 5000 });

test('LoadAssignments: only the cluster whose endpoint set changed gets a new resource object', () => {
  const clusters = [cluster('a'), cluster('b')];
  const a: DiscoveredEndpoint[] = [{ address: '10.0.0.1' }];
  const b1: DiscoveredEndpoint[] = [{ address: '10.0.0.2' }];
  const b2: DiscoveredEndpoint[] = [{ address: '10.0.0.3' }];
  const builder = new LoadAssignments();
  const [first = []] = builder.build([clusters], new Map([['consul//a', a], ['consul//b', b1]]));
  const [second = []] = builder.build([clusters], new Map([['consul//a', a], ['consul//b', b2]]));
  assert.equal(second[0], first[0], 'unchanged: the same object');
  assert.notEqual(second[1], first[1]);
  assert.match(JSON.stringify(second[1]?.resource), /10\.0\.0\.3/);
  // A new translation (new cluster objects) rebuilds, even with the same sets.
  const [third = []] = builder.build([[cluster('a'), cluster('b')]], new Map([['consul//a', a], ['consul//b', b2]]));
  assert.notEqual(third[0], second[0]);
  assert.deepEqual(third[0], second[0]);
});
