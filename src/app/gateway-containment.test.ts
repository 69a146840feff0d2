import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resourceKey, type Resource } from '../api/resource.ts';
import { silentLogger } from '../lib/logger.ts';
import type { Snapshot } from '../xds/cache/snapshot-cache.ts';
import { TYPE_URLS } from '../xds/resources.ts';
import { waitFor } from '../../test/support/components.ts';
import { GatewayContainment, type Inputs } from './gateway-containment.ts';

function route(name: string, path: string): Resource {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: 'a' }, spec: { path } };
}

/** A snapshot whose route version is the served routes' paths (all the fake Envoys look at). */
function snapshotOf(inputs: Inputs): Snapshot {
  const paths = [...inputs.values()].map((r) => (r.spec as { path: string }).path).sort();
  const version = paths.join(',');
  return {
    versions: { [TYPE_URLS.route]: version, [TYPE_URLS.listener]: 'l', [TYPE_URLS.cluster]: 'c' },
    resources: { [TYPE_URLS.route]: [{ name: 'r', resource: {} }], [TYPE_URLS.listener]: [], [TYPE_URLS.cluster]: [], [TYPE_URLS.endpoint]: [] },
  } as unknown as Snapshot;
}

/** Two gateways, each with one Envoy; g1's Envoy refuses any path containing `bad`, g2's accepts all. */
function world(opts: { answerTimeoutMs?: number } = {}) {
  const served = new Map<string, Snapshot>();
  let withheldChanges = 0;
  const contain = new GatewayContainment({
    push: (gateway, inputs) => {
      const snapshot = snapshotOf(inputs);
      served.set(gateway, snapshot);
      return snapshot;
    },
    nodes: (gateway) => [`${gateway}/envoy`],
    resend: () => undefined,
    onWithheldChange: () => withheldChanges++,
    logger: silentLogger,
    ...opts,
  });
  const answer = (gateway: string) => {
    const version = served.get(gateway)?.versions[TYPE_URLS.route] ?? '';
    const event = { nodeId: `${gateway}/envoy`, nodeKey: gateway, typeUrl: TYPE_URLS.route, version };
    if (gateway === 'ns/g1' && version.includes('bad')) contain.nack({ ...event, message: 'refused' });
    else contain.ack(event);
  };
  const settle = () => {
    for (let i = 0; i < 50; i++) for (const g of ['ns/g1', 'ns/g2']) answer(g);
  };
  const apply = (resources: Resource[]) => {
    contain.update(resources, ['ns/g1', 'ns/g2']);
    for (const g of ['ns/g1', 'ns/g2']) contain.serve(g);
  };
  const routesOf = (gateway: string) => served.get(gateway)?.versions[TYPE_URLS.route];
  return { contain, apply, answer, settle, routesOf, withheldChanges: () => withheldChanges };
}

describe('GatewayContainment', () => {
  it("withholds a resource only from the gateway whose Envoy refuses it, and reports it once", () => {
    const w = world();
    const good = [route('one', '/one'), route('two', '/two')];
    w.apply(good);
    w.settle();
    w.apply([...good, route('three', '/three-bad')]);
    w.settle();
    assert.equal(w.routesOf('ns/g1'), '/one,/two');
    assert.equal(w.routesOf('ns/g2'), '/one,/three-bad,/two', 'the other gateway is unaffected');
    const withheld = w.contain.withheld();
    assert.deepEqual([...withheld.keys()], [resourceKey(route('three', ''))]);
    assert.deepEqual(withheld.get(resourceKey(route('three', '')))?.map((x) => [x.gateway, x.previousServes, x.rejection.message]), [['ns/g1', false, 'refused']]);
    assert.equal(w.withheldChanges(), 1);

    // An edit of an older route that Envoy refuses keeps that route at its accepted version.
    w.apply([route('one', '/one-bad'), route('two', '/two-b'), route('three', '/three')]);
    w.settle();
    assert.equal(w.routesOf('ns/g1'), '/one,/three,/two-b');
    assert.equal(w.contain.withheld().get(resourceKey(route('one', '')))?.[0]?.previousServes, true);
    w.contain.close();
  });

  it('a gateway that goes away is forgotten', () => {
    const w = world();
    w.apply([route('one', '/one-bad')]);
    w.settle();
    assert.equal(w.contain.withheld().size, 1);
    w.contain.update([route('one', '/one-bad')], ['ns/g2']);
    assert.equal(w.contain.withheld().size, 0);
  });

  it('gives up waiting on an Envoy that never answers and tries the next suspects', async () => {
    const w = world({ answerTimeoutMs: 200 });
    w.apply([route('one', '/one')]);
    w.settle();
    w.apply([route('one', '/one'), route('x', '/x-bad'), route('y', '/y')]);
    w.answer('ns/g1'); // refused: the group [x] goes out and its Envoy says nothing
    assert.match(w.routesOf('ns/g1') ?? '', /x-bad/);
    // After the timeout the next group goes out (and the silent one is tried again later).
    await waitFor(() => !/x-bad/.test(w.routesOf('ns/g1') ?? ''), { timeoutMs: 5000, intervalMs: 5, what: 'the next group to go out' });
    w.settle();
    assert.deepEqual([...w.contain.withheld().keys()], [resourceKey(route('x', ''))]);
    assert.equal(w.routesOf('ns/g1'), '/one,/y');
    w.contain.close();
  });

  it('a listener refused with nothing of a tenant to blame is sent again, backing off, withholding nothing, until Envoy accepts it', async () => {
    const gatewayClass: Resource = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'portico', namespace: '' }, spec: {} };
    const gateway: Resource = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g1', namespace: 'ns' }, spec: {} };
    let resent = 0;
    let taken = true;
    const resentAt: number[] = [];
    let withheld: ReadonlySet<string> = new Set();
    const listenerVersion = () => `l~${resent}`;
    const contain = new GatewayContainment({
      push: (_g, _inputs, w) => {
        withheld = w;
        return { versions: { [TYPE_URLS.listener]: listenerVersion() }, resources: { [TYPE_URLS.listener]: [{ name: 'l', resource: {} }], [TYPE_URLS.route]: [], [TYPE_URLS.cluster]: [] } } as unknown as Snapshot;
      },
      resend: () => {
        resent++;
        resentAt.push(performance.now());
      },
      nodes: () => ['e'],
      onWithheldChange: () => undefined,
      logger: silentLogger,
      retryFirstMs: 20,
    });
    const answer = () => {
      const event = { nodeId: 'e', nodeKey: 'ns/g1', typeUrl: TYPE_URLS.listener, version: listenerVersion() };
      if (taken) contain.nack({ ...event, message: "cannot bind '0.0.0.0:80': Address already in use" });
      else contain.ack(event);
    };
    contain.update([gatewayClass, gateway, route('one', '/one')], ['ns/g1']);
    contain.serve('ns/g1');
    answer();
    assert.deepEqual([...withheld], [], 'nothing is withheld: not the GatewayClass, the Gateway or the route');
    assert.equal(contain.withheld().size, 0);
    // Each resend is refused again: the next waits twice as long.
    for (let n = 1; n <= 3; n++) {
      await waitFor(() => resent === n, { timeoutMs: 5000, intervalMs: 2, what: `resend ${n}` });
      answer();
    }
    const gaps = resentAt.slice(1).map((t, i) => t - (resentAt[i] as number));
    assert.ok((gaps[1] ?? 0) > (gaps[0] ?? 0), `backing off: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    taken = false;
    await waitFor(() => resent === 4, { timeoutMs: 5000, intervalMs: 2, what: 'resend 4' });
    answer();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(resent, 4, 'accepted: no more resends');
    assert.deepEqual([...withheld], []);
    contain.close();
  });
});
