import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtoError, XdsError } from '../../lib/errors.ts';
import { decodeMessage } from '../encode.ts';
import { TYPE_URLS, type XdsResources } from '../resources.ts';
import { type Snapshot, SnapshotCache } from './snapshot-cache.ts';

function resources(endpointAddress = '10.0.0.1'): XdsResources {
  return {
    [TYPE_URLS.cluster]: [{ name: 'c1', resource: { name: 'c1', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } } }],
    [TYPE_URLS.endpoint]: [
      {
        name: 'c1',
        resource: { cluster_name: 'c1', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: endpointAddress, port_value: 80 } } } }] }] },
      },
    ],
    [TYPE_URLS.listener]: [{ name: 'l1', resource: { name: 'l1' } }],
    [TYPE_URLS.route]: [{ name: 'r1', resource: { name: 'r1' } }],
  };
}

describe('SnapshotCache', () => {
  it('versions every type, including the empty ones, by content', () => {
    const cache = new SnapshotCache();
    const a = cache.set('ns/a', resources());
    const b = cache.set('ns/b', resources());
    assert.deepEqual(a.versions, b.versions);
    assert.equal(Object.keys(a.versions).length, Object.keys(TYPE_URLS).length);
    assert.deepEqual(a.resources[TYPE_URLS.secret], []);
    assert.deepEqual(cache.keys(), ['ns/a', 'ns/b']);
  });

  it('resends one type under a new version, kept while its content stays, dropped once it changes', () => {
    const cache = new SnapshotCache();
    const first = cache.set('ns/a', resources());
    const seen: (Snapshot | undefined)[] = [];
    cache.watch('ns/a', (s) => seen.push(s));
    const resent = cache.resend('ns/a', TYPE_URLS.listener);
    assert.equal(resent?.versions[TYPE_URLS.listener], `${first.versions[TYPE_URLS.listener]}~1`);
    assert.equal(resent?.versions[TYPE_URLS.route], first.versions[TYPE_URLS.route]);
    assert.equal(resent?.encoded(TYPE_URLS.listener), first.encoded(TYPE_URLS.listener));
    assert.equal(seen.at(-1), resent, 'the watchers are told');
    assert.equal(cache.resend('ns/a', TYPE_URLS.listener)?.versions[TYPE_URLS.listener], `${first.versions[TYPE_URLS.listener]}~2`);
    const same = cache.set('ns/a', resources());
    assert.equal(same.versions[TYPE_URLS.listener], `${first.versions[TYPE_URLS.listener]}~2`, 'the same content keeps the resent version');
    const changed = cache.set('ns/a', { ...resources(), [TYPE_URLS.listener]: [{ name: 'l2', resource: { name: 'l2' } }] });
    assert.doesNotMatch(changed.versions[TYPE_URLS.listener], /~/);
    assert.equal(cache.resend('nobody/gw', TYPE_URLS.listener), undefined);
  });

  it('moves only the EDS version when only endpoints change', () => {
    const cache = new SnapshotCache();
    const before = cache.set('ns/gw', resources('10.0.0.1'));
    const after = cache.set('ns/gw', resources('10.0.0.2'));
    for (const typeUrl of Object.values(TYPE_URLS)) {
      if (typeUrl === TYPE_URLS.endpoint) assert.notEqual(after.versions[typeUrl], before.versions[typeUrl]);
      else assert.equal(after.versions[typeUrl], before.versions[typeUrl], typeUrl);
    }
  });

  it('encodes each resource once, as an Any of its type', () => {
    const snapshot = new SnapshotCache().set('ns/gw', resources());
    const [cla] = snapshot.encoded(TYPE_URLS.endpoint);
    assert.equal(cla?.any.type_url, TYPE_URLS.endpoint);
    assert.equal(decodeMessage('envoy.config.endpoint.v3.ClusterLoadAssignment', cla!.any.value).cluster_name, 'c1');
  });

  it('sorts resources by name so the version does not depend on input order', () => {
    const cache = new SnapshotCache();
    const two = (names: string[]) => ({ [TYPE_URLS.listener]: names.map((name) => ({ name, resource: { name } })) });
    const a = cache.set('x/a', two(['l1', 'l2']));
    const b = cache.set('x/b', two(['l2', 'l1']));
    assert.equal(a.versions[TYPE_URLS.listener], b.versions[TYPE_URLS.listener]);
    assert.deepEqual(b.resources[TYPE_URLS.listener].map((r) => r.name), ['l1', 'l2']);
  });

  it('replays the current snapshot to a new watcher, then notifies changes only', () => {
    const cache = new SnapshotCache();
    cache.set('ns/gw', resources());
    const seen: (Snapshot | undefined)[] = [];
    const unwatch = cache.watch('ns/gw', (s) => seen.push(s));
    assert.equal(seen.length, 1);
    cache.set('ns/gw', resources()); // same content: no notification
    assert.equal(seen.length, 1);
    cache.set('ns/gw', resources('10.9.9.9'));
    assert.equal(seen.length, 2);
    cache.set('ns/other', resources('10.1.1.1'));
    assert.equal(seen.length, 2);
    unwatch();
    cache.set('ns/gw', resources('10.0.0.7'));
    assert.equal(seen.length, 2);
  });

  it('tells watchers when a key is deleted, and again when it comes back', () => {
    const cache = new SnapshotCache();
    const seen: (Snapshot | undefined)[] = [];
    cache.watch('ns/gw', (s) => seen.push(s));
    assert.equal(seen.length, 0);
    cache.set('ns/gw', resources());
    assert.equal(cache.delete('ns/gw'), true);
    assert.equal(cache.delete('ns/gw'), false);
    assert.equal(cache.get('ns/gw'), undefined);
    cache.set('ns/gw', resources());
    assert.deepEqual(seen.map((s) => s !== undefined), [true, false, true]);
  });

  it('keeps notifying the other watchers when one throws', () => {
    const cache = new SnapshotCache();
    let called = 0;
    cache.watch('ns/gw', () => {
      throw new Error('boom');
    });
    cache.watch('ns/gw', () => called++);
    cache.set('ns/gw', resources());
    assert.equal(called, 1);
  });

  it('rejects a resource that cannot be encoded, naming it, and keeps the previous snapshot', () => {
    const cache = new SnapshotCache();
    const good = cache.set('ns/gw', resources());
    const bad = { ...resources(), [TYPE_URLS.cluster]: [{ name: 'c1', resource: { name: 'c1', lb_policy: 'ROUND_ROBN' } }] };
    assert.throws(() => cache.set('ns/gw', bad), (err: unknown) => err instanceof ProtoError && /^ns\/gw: Cluster 'c1': lb_policy: 'ROUND_ROBN'/.test(err.message));
    assert.equal(cache.get('ns/gw'), good);
  });

  it('rejects duplicate names and names that differ from the resource inside', () => {
    const cache = new SnapshotCache();
    const dup = { [TYPE_URLS.listener]: [{ name: 'l1', resource: { name: 'l1' } }, { name: 'l1', resource: { name: 'l1' } }] };
    assert.throws(() => cache.set('ns/gw', dup), (err: unknown) => err instanceof XdsError && /Listener 'l1' appears twice/.test(err.message));
    const mismatch = { [TYPE_URLS.endpoint]: [{ name: 'c1', resource: { cluster_name: 'c2' } }] };
    assert.throws(() => cache.set('ns/gw', mismatch), /ClusterLoadAssignment 'c1' carries the name 'c2'/);
  });

  it('in a changed type, re-encodes only the resource objects not passed before', () => {
    const cache = new SnapshotCache();
    const cla = (name: string, address: string) => ({ name, resource: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] } });
    const kept = cla('a', '10.0.0.1');
    const before = cache.set('ns/gw', { [TYPE_URLS.endpoint]: [kept, cla('b', '10.0.0.2')] });
    const after = cache.set('ns/gw', { [TYPE_URLS.endpoint]: [kept, cla('b', '10.0.0.3')] });
    const [keptBefore, changedBefore] = before.encoded(TYPE_URLS.endpoint);
    const [keptAfter, changedAfter] = after.encoded(TYPE_URLS.endpoint);
    assert.equal(keptAfter, keptBefore, 'the same object keeps its encoding');
    assert.notEqual(changedAfter, changedBefore);
    const decoded = decodeMessage('envoy.config.endpoint.v3.ClusterLoadAssignment', changedAfter?.any.value as Uint8Array) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[] };
    assert.equal(decoded.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.address, '10.0.0.3');
  });

  it('serialises to JSON as versions and plain resources', () => {
    const snapshot = new SnapshotCache().set('ns/gw', resources());
    const json = JSON.parse(JSON.stringify(snapshot));
    assert.deepEqual(Object.keys(json).sort(), ['resources', 'versions']);
    assert.equal(json.resources[TYPE_URLS.listener][0].name, 'l1');
  });
});
