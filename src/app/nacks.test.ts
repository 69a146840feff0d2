import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NackTracker } from './nacks.ts';

const gatewayRecord = {
  key: 'gateway.networking.k8s.io/Gateway/default/gw',
  id: 'Gateway default/gw',
  generation: 3,
  status: { conditions: [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'True' }] },
};
const routeType = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

test('a NACK makes the Gateway Programmed=False with Envoy message until a newer version is ACKed', () => {
  const nacks = new NackTracker();
  assert.equal(nacks.nack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v2', message: 'invalid regex' }), true);
  const [record] = nacks.apply([gatewayRecord]);
  const programmed = (record?.status.conditions as { type: string; status: string; message: string; observedGeneration: number }[]).find((c) => c.type === 'Programmed');
  assert.equal(programmed?.status, 'False');
  assert.match(programmed?.message ?? '', /envoy-1 rejected RouteConfiguration version v2: invalid regex/);
  assert.equal(programmed?.observedGeneration, 3);

  assert.equal(nacks.ack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v2' }), false, 'an ACK of the rejected version changes nothing');
  assert.equal(nacks.ack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v3' }), true);
  assert.deepEqual(nacks.apply([gatewayRecord]), [gatewayRecord]);
});

test('other resources and other gateways are untouched', () => {
  const nacks = new NackTracker();
  nacks.nack({ nodeId: 'e', nodeKey: 'other/gw', typeUrl: routeType, version: 'v1', message: 'x' });
  const route = { key: 'gateway.networking.k8s.io/HTTPRoute/default/gw', id: 'HTTPRoute default/gw', status: {} };
  assert.deepEqual(nacks.apply([gatewayRecord, route]), [gatewayRecord, route]);
});
