import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Containment, type Rejection } from './containment.ts';

const ROUTES = 'RouteConfiguration';
type Config = ReadonlyMap<string, string>;

/**
 * One gateway as the controller drives it, with fake Envoys: resources are key → content, a content starting
 * with `bad` makes an Envoy refuse the whole route type (as a shared RouteConfiguration is refused), and each
 * Envoy serves the last config it accepted. Pushes wait for answer() like real ones wait for the network.
 */
class World {
  readonly current = new Map<string, string>();
  readonly c: Containment<Config>;
  readonly envoys = new Map<string, Config>();
  /** What the gateway serves now (the last push) and its version. */
  pushedConfig: Config = new Map();
  pushedVersion = '';
  pushes = 0;
  /** The size of each config an Envoy accepted, in order. */
  readonly acceptedSizes: number[] = [];

  constructor(envoys: string[] = ['e1'], rank?: (key: string) => number) {
    this.c = new Containment<Config>(rank ? { rank } : {});
    for (const e of envoys) this.envoys.set(e, new Map());
  }

  edit(entries: Record<string, string | undefined>): void {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) this.current.delete(key);
      else this.current.set(key, value);
    }
    this.c.changed(Object.keys(entries));
    this.serve();
  }

  serve(): void {
    this.c.serve((withheld) => {
      const fallback = this.c.accepted() ?? new Map<string, string>();
      const served = new Map<string, string>();
      for (const [k, v] of this.current) if (!withheld.has(k)) served.set(k, v);
      for (const k of withheld) {
        const old = fallback.get(k);
        if (old !== undefined) served.set(k, old);
      }
      this.pushedConfig = served;
      this.pushedVersion = versionOf(served);
      this.pushes++;
      return { versions: { [ROUTES]: this.pushedVersion }, nodes: [...this.envoys.keys()], payload: served };
    });
  }

  /** One Envoy answers the current push (what a real one does once it has applied or refused it). */
  answer(envoy = 'e1'): void {
    const bad = [...this.pushedConfig].find(([, v]) => v.startsWith('bad'));
    const result = bad
      ? this.c.nack({ nodeId: envoy, typeUrl: ROUTES, version: this.pushedVersion, message: `refused ${bad[0]}` })
      : this.c.ack(envoy, ROUTES, this.pushedVersion);
    if (!bad) {
      this.envoys.set(envoy, this.pushedConfig);
      this.acceptedSizes.push(this.pushedConfig.size);
    }
    if (result === 'rejected' || (result === 'accepted' && this.c.containing())) this.serve();
  }

  /** Every Envoy answers until nothing more is pushed. */
  settle(): void {
    for (let i = 0; i < 1000; i++) {
      const before = this.pushes;
      const version = this.pushedVersion;
      for (const e of this.envoys.keys()) this.answer(e);
      if (this.pushes === before && this.pushedVersion === version && !this.c.busy()) return;
    }
    assert.fail('containment did not settle');
  }

  served(envoy = 'e1'): Record<string, string> {
    return Object.fromEntries([...(this.envoys.get(envoy) ?? [])].sort());
  }

  bad(): string[] {
    return [...this.c.bad().keys()].sort();
  }
}

function versionOf(config: Config): string {
  return JSON.stringify([...config].sort());
}

function routes(n: number, prefix = 'r'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `good-${i}`]));
}

describe('Containment', () => {
  it('serves as usual while Envoy accepts: one push per edit, nothing withheld', () => {
    const w = new World();
    w.edit(routes(4));
    w.settle();
    assert.deepEqual(w.served(), routes(4));
    w.edit({ r1: 'good-1b' });
    assert.equal(w.pushes, 2);
    w.settle();
    assert.equal(w.served().r1, 'good-1b');
    assert.equal(w.c.containing(), false);
    assert.deepEqual(w.bad(), []);
  });

  it('finds the one bad resource among many changed ones and serves all the others', () => {
    const w = new World();
    w.edit(routes(100));
    w.settle();
    w.edit({ ...routes(30, 'n'), n17: 'bad-17' });
    w.settle();
    assert.deepEqual(w.bad(), ['n17']);
    const expected = { ...routes(100), ...routes(30, 'n') };
    delete (expected as Record<string, string>).n17;
    assert.deepEqual(w.served(), expected);
    assert.equal(w.c.bad().get('n17')?.message, 'refused n17');
    assert.ok(w.pushes < 20, `${w.pushes} pushes for 30 suspects`);
  });

  it('withholds a bad edit by serving the resource at its last accepted version', () => {
    const w = new World();
    w.edit(routes(8));
    w.settle();
    w.edit({ r3: 'bad-3', r4: 'good-4b' });
    w.settle();
    assert.deepEqual(w.bad(), ['r3']);
    assert.equal(w.served().r3, 'good-3', 'the previous version keeps serving');
    assert.equal(w.served().r4, 'good-4b');
  });

  it('finds several bad resources', () => {
    const w = new World();
    w.edit(routes(10));
    w.settle();
    w.edit({ ...routes(64, 'n'), n0: 'bad', n31: 'bad', n32: 'bad', n63: 'bad', r5: 'bad' });
    w.settle();
    assert.deepEqual(w.bad(), ['n0', 'n31', 'n32', 'n63', 'r5']);
    assert.equal(Object.keys(w.served()).length, 10 + 64 - 4);
    assert.equal(w.served().r5, 'good-5');
    assert.equal(Object.values(w.served()).some((v) => v.startsWith('bad')), false);
  });

  it('a bad edit arriving during bisection is found too, a good one is served', () => {
    const w = new World();
    w.edit(routes(16));
    w.settle();
    w.edit({ ...routes(16, 'n'), n5: 'bad' });
    w.answer(); // the first push is refused: bisection starts, a group is in flight
    assert.equal(w.c.busy(), true);
    w.edit({ r2: 'bad-2', r9: 'good-9b' });
    w.settle();
    assert.deepEqual(w.bad(), ['n5', 'r2']);
    assert.equal(w.served().r9, 'good-9b');
    assert.equal(w.served().r2, 'good-2');
  });

  it("another tenant's edit during containment waits for one answer at most, then goes out alone", () => {
    const w = new World();
    w.edit(routes(1000));
    w.settle();
    w.edit({ a: 'bad' });
    w.answer(); // refused: a alone was the suspect, it is convicted at once
    assert.deepEqual(w.bad(), ['a']);
    w.answer(); // the push without it is accepted
    assert.equal(w.c.containing(), false);
    w.edit({ b: 'good-b' });
    assert.equal(w.pushedConfig.get('b'), 'good-b', 'pushed straight away: the bad resource is no suspect any more');
    assert.equal(w.pushedConfig.has('a'), false);
    w.settle();
    assert.equal(w.served().b, 'good-b');
  });

  it('an edit made while a group is in flight is pushed right after that answer', () => {
    const w = new World();
    w.edit(routes(8));
    w.settle();
    w.edit({ x: 'bad', y: 'good-y' });
    w.answer(); // refused: groups [x], [y]; [x] in flight
    assert.equal(w.c.busy(), true);
    w.edit({ b: 'good-b' });
    assert.equal(w.pushedConfig.has('b'), false, 'nothing is pushed over a group awaiting its answer');
    w.answer(); // [x] refused and convicted; the fresh edit goes next, alone
    assert.equal(w.pushedConfig.get('b'), 'good-b');
    w.settle();
    assert.deepEqual(w.bad(), ['x']);
    assert.equal(w.served().y, 'good-y');
  });

  it('a fixed resource is tried again and served', () => {
    const w = new World();
    w.edit(routes(4));
    w.settle();
    w.edit({ r1: 'bad' });
    w.settle();
    assert.deepEqual(w.bad(), ['r1']);
    w.edit({ r1: 'good-1-fixed' });
    w.settle();
    assert.deepEqual(w.bad(), []);
    assert.equal(w.served().r1, 'good-1-fixed');
    assert.equal(w.c.containing(), false);
  });

  it('a new bad resource without an accepted version is left out; deleting it ends its containment', () => {
    const w = new World();
    w.edit(routes(4));
    w.settle();
    w.edit({ fresh: 'bad' });
    w.settle();
    assert.equal(w.served().fresh, undefined);
    w.edit({ fresh: undefined });
    w.settle();
    assert.deepEqual(w.bad(), []);
    assert.deepEqual(w.served(), routes(4));
  });

  it('a late ACK of an older version does not accept the current push', () => {
    const w = new World();
    w.edit(routes(2));
    w.settle();
    const old = w.pushedVersion;
    w.edit({ x: 'bad', y: 'good-y' });
    w.answer(); // refused; a group is in flight
    assert.equal(w.c.ack('e1', ROUTES, old), undefined);
    assert.equal(w.c.ack('e1', 'Cluster', w.pushedVersion), undefined, 'another type says nothing');
    assert.equal(w.c.busy(), true);
    w.settle();
    assert.deepEqual(w.bad(), ['x']);
  });

  it('a refusal of a version accepted already names no suspect', () => {
    const w = new World();
    w.edit(routes(2));
    w.settle();
    assert.equal(w.c.nack({ nodeId: 'late', typeUrl: ROUTES, version: w.pushedVersion, message: 'x' }), undefined);
    assert.deepEqual(w.bad(), []);
  });

  it('with several Envoys, a push is accepted once each one has accepted it; one refusal rejects it', () => {
    const w = new World(['e1', 'e2']);
    w.edit(routes(2));
    w.answer('e1');
    assert.equal(w.c.accepted(), undefined, 'e2 has not answered');
    w.answer('e2');
    assert.deepEqual([...(w.c.accepted() ?? [])], [...w.pushedConfig]);
    w.edit({ z: 'bad' });
    w.answer('e2'); // e2 refuses first
    assert.deepEqual(w.bad(), ['z']);
    w.settle();
    assert.deepEqual(w.served('e1'), routes(2));
    assert.deepEqual(w.served('e2'), routes(2));
  });

  it('an Envoy that goes away is not waited for', () => {
    const w = new World(['e1', 'e2']);
    w.edit(routes(2));
    w.answer('e1');
    assert.equal(w.c.disconnected('e2'), 'accepted');
    assert.equal(w.c.accepted()?.size, 2);
    w.edit({ x: 'good-x' });
    assert.equal(w.c.disconnected('e1'), 'pending');
    assert.equal(w.c.disconnected('e2'), 'pending', 'nobody left: the next Envoy to answer decides');
    w.envoys.clear();
    w.envoys.set('e3', new Map());
    w.answer('e3');
    assert.equal(w.c.accepted()?.get('x'), 'good-x');
  });

  it('a group that gets no answer goes back to the queue and containment moves on', () => {
    const w = new World();
    w.edit(routes(2));
    w.settle();
    w.edit({ x: 'bad', y: 'good-y' });
    w.answer(); // refused: [x] in flight
    assert.equal(w.c.busy(), true);
    w.c.expire();
    w.serve(); // [y] is tried
    w.settle();
    assert.deepEqual(w.bad(), ['x']);
    assert.equal(w.served().y, 'good-y');
  });

  it('a group that changes nothing this gateway serves is settled without Envoy', () => {
    const c = new Containment<string>();
    c.changed(['a', 'b']);
    let version = 'v1';
    const push = () => ({ versions: { [ROUTES]: version }, nodes: ['e1'], payload: version });
    c.serve(push);
    c.ack('e1', ROUTES, 'v1');
    c.changed(['a', 'b']);
    version = 'v2';
    c.serve(push);
    const rejection: Rejection = { nodeId: 'e1', typeUrl: ROUTES, version: 'v2', message: 'no' };
    c.nack(rejection);
    // a and b are tried: a push that yields the accepted version again needs no answer.
    version = 'v1';
    c.serve(push);
    assert.equal(c.busy(), false);
    assert.deepEqual([...c.bad().keys()], []);
    assert.equal(c.containing(), false);
  });

  it('a type Envoy accepted in a push refused for another type is not waited for again', () => {
    // A controller that just started: listeners and routes are both new to it; Envoy accepts the listeners
    // (which the ADS server then never sends again) and refuses the routes.
    const c = new Containment<string>();
    c.changed(['a', 'b']);
    c.serve(() => ({ versions: { Listener: 'l1', [ROUTES]: 'r1' }, nodes: ['e1'], payload: 'p1' }));
    assert.equal(c.ack('e1', 'Listener', 'l1'), 'pending');
    assert.equal(c.nack({ nodeId: 'e1', typeUrl: ROUTES, version: 'r1', message: 'no' }), 'rejected');
    c.serve(() => ({ versions: { Listener: 'l1', [ROUTES]: 'r2' }, nodes: ['e1'], payload: 'p2' }));
    assert.equal(c.ack('e1', ROUTES, 'r2'), 'accepted');
  });

  it('a plan that reproduces a refused version is rejected without asking Envoy again', () => {
    const c = new Containment<string>();
    c.changed(['a']);
    c.serve(() => ({ versions: { [ROUTES]: 'v1' }, nodes: ['e1'], payload: 'v1' }));
    c.ack('e1', ROUTES, 'v1');
    c.changed(['a', 'b']);
    c.serve(() => ({ versions: { [ROUTES]: 'v2' }, nodes: ['e1'], payload: 'v2' }));
    c.nack({ nodeId: 'e1', typeUrl: ROUTES, version: 'v2', message: 'no' });
    // Whatever is withheld, this fake translation yields v2 again while b is served.
    c.serve((withheld) => {
      const v = withheld.has('b') ? 'v1' : 'v2';
      return { versions: { [ROUTES]: v }, nodes: ['e1'], payload: v };
    });
    assert.deepEqual([...c.bad().keys()], ['b']);
    assert.equal(c.busy(), false);
  });
});

describe('Containment with nothing accepted yet (a controller that just started)', () => {
  const rank = (key: string) => (key.startsWith('r') ? 1 : 0);

  it('leaves windows out one at a time, so Envoy keeps almost all of its config while the bad route is found', () => {
    const w = new World(['e1'], rank);
    w.edit({ gw: 'gateway', ...routes(1000), r617: 'bad' });
    w.settle();
    assert.deepEqual(w.bad(), ['r617']);
    assert.equal(Object.keys(w.served()).length, 1000, 'the gateway and every other route');
    assert.ok(Math.min(...w.acceptedSizes) >= 1000 - 1000 / 16, `accepted configs of ${Math.min(...w.acceptedSizes)} resources at least`);
    assert.ok(w.pushes < 40, `${w.pushes} pushes`);
  });

  it('with bad routes in several windows every window is refused, then halving finds them all', () => {
    const w = new World(['e1'], rank);
    w.edit({ gw: 'gateway', ...routes(100), r3: 'bad', r97: 'bad' });
    w.settle();
    assert.deepEqual(w.bad(), ['r3', 'r97']);
    assert.equal(Object.keys(w.served()).length, 99);
  });

  it('a window that gets no answer is tried again later', () => {
    const w = new World(['e1'], rank);
    w.edit({ gw: 'gateway', ...routes(64), r40: 'bad' });
    w.answer(); // refused: the first window is left out and nobody answers
    assert.equal(w.c.busy(), true);
    w.c.expire();
    w.serve();
    w.settle();
    assert.deepEqual(w.bad(), ['r40']);
  });

  it('a route edited during the search is tried on its own afterwards', () => {
    const w = new World(['e1'], rank);
    w.edit({ gw: 'gateway', ...routes(64), r40: 'bad' });
    w.answer();
    w.edit({ r5: 'bad-5' });
    w.settle();
    assert.deepEqual(w.bad(), ['r40', 'r5']);
    assert.equal(Object.keys(w.served()).length, 63);
  });
});

describe('Containment with dependencies', () => {
  /** `gw` must be served for any route to be; a route `bad` then makes Envoy refuse the config. */
  function run(rank?: (key: string) => number): string[] {
    const c = new Containment<Config>(rank ? { rank } : {});
    const current = new Map([['r-bad', 'bad'], ['gw', 'gateway'], ['r-ok', 'good']]);
    let version = '';
    let bad = false;
    c.changed(current.keys()); // a new gateway: everything is a suspect, nothing accepted to fall back on
    const serve = () =>
      c.serve((withheld) => {
        const served = new Map([...current].filter(([k]) => !withheld.has(k)));
        const effective = served.has('gw') ? served : new Map<string, string>();
        version = versionOf(effective);
        bad = [...effective.values()].includes('bad');
        return { versions: { [ROUTES]: version }, nodes: ['e1'], payload: effective };
      });
    serve();
    for (let i = 0; i < 50; i++) {
      const result = bad ? c.nack({ nodeId: 'e1', typeUrl: ROUTES, version, message: 'x' }) : c.ack('e1', ROUTES, version);
      if (result === 'rejected' || (result === 'accepted' && c.containing())) serve();
      else if (result === 'accepted') break;
    }
    return [...c.bad().keys()];
  }

  it('tries what others depend on first, so the resource at fault is the one withheld', () => {
    assert.deepEqual(run((key) => (key.startsWith('r-') ? 1 : 0)), ['r-bad']);
    // Without the order, the group [r-bad] is tried while gw is withheld, passes untested, and gw is blamed.
    assert.deepEqual(run(), ['gw']);
  });
});

describe('Containment: what the platform owns', () => {
  const LISTENERS = 'Listener';
  const isPlatform = (k: string) => k.startsWith('platform/');

  /**
   * A gateway whose listener version depends on the platform's keys and on any resource whose content starts with
   * `listener` (a tenant shaping the listener); Envoy refuses the listener while `taken` holds, or when a tenant
   * shaped it, and every route whose content starts with `bad`.
   */
  function platformWorld() {
    const c = new Containment<Config>({ platform: isPlatform, platformTypes: [LISTENERS] });
    const current = new Map<string, string>();
    const env = { taken: true, withheld: new Set<string>() as ReadonlySet<string>, versions: {} as Record<string, string> };
    const push = (withheld: ReadonlySet<string>) => {
      env.withheld = withheld;
      const served = [...current].filter(([k]) => !withheld.has(k));
      const listener = served.filter(([k, v]) => isPlatform(k) || v.startsWith('listener')).map(([k, v]) => `${k}=${v}`).join(',');
      const routes = served.filter(([k]) => !isPlatform(k)).map(([k, v]) => `${k}=${v}`).join(',');
      env.versions = { [LISTENERS]: listener, [ROUTES]: routes };
      return { versions: env.versions, nodes: ['e1'], payload: new Map(served) };
    };
    const answer = () => {
      for (const [typeUrl, version] of Object.entries(env.versions)) {
        const refused = typeUrl === LISTENERS ? env.taken || version.includes('=listener') : version.includes('=bad');
        const result = refused ? c.nack({ nodeId: 'e1', typeUrl, version, message: `refused ${version}` }) : c.ack('e1', typeUrl, version);
        if (result === 'rejected' || (result === 'accepted' && c.containing())) return c.serve(push);
      }
    };
    const edit = (entries: Record<string, string>) => {
      for (const [k, v] of Object.entries(entries)) current.set(k, v);
      c.changed(Object.keys(entries));
      c.serve(push);
    };
    const settle = () => {
      for (let i = 0; i < 50 && (c.containing() || Object.keys(env.versions).length); i++) {
        const before = JSON.stringify(env.versions);
        answer();
        if (JSON.stringify(env.versions) === before && !c.containing()) break;
      }
    };
    return { c, env, edit, settle, serve: () => c.serve(push) };
  }

  it('never withholds the GatewayClass or the Gateway: a listener refused with every suspect withheld is the gateway\'s own', () => {
    const w = platformWorld();
    w.edit({ 'platform/class': 'c', 'platform/gw': 'port 80', 'route/a': 'a', 'route/b': 'b' });
    w.settle();
    assert.deepEqual([...w.c.bad().keys()], [], 'nothing is withheld');
    assert.deepEqual([...w.env.withheld], [], 'everything is served');
    assert.equal(w.c.own().get(LISTENERS)?.version, 'platform/class=c,platform/gw=port 80');
    assert.equal(w.c.containing(), false);

    // Another tenant's edit is served and settles while the listener stays refused.
    w.edit({ 'route/c': 'c' });
    assert.equal(w.c.containing(), false);
    assert.deepEqual([...w.env.withheld], []);
    assert.ok(w.env.versions[ROUTES]?.includes('route/c=c'));
    // A bad route is still found and withheld alone.
    w.edit({ 'route/d': 'bad' });
    w.settle();
    assert.deepEqual([...w.c.bad().keys()], ['route/d']);
    assert.ok(w.c.own().has(LISTENERS));

    // The port is freed: the listener sent again (a new version) is accepted, and the gateway's refusal is gone.
    w.env.taken = false;
    w.edit({ 'platform/gw': 'port 80 again' });
    w.settle();
    assert.equal(w.c.own().size, 0);
    assert.deepEqual([...w.c.bad().keys()], ['route/d']);
  });

  it('a refusal after only the Gateway changed is the gateway\'s own, whatever the type', () => {
    const w = platformWorld();
    w.env.taken = false;
    w.edit({ 'platform/class': 'c', 'platform/gw': 'port 80', 'route/a': 'a' });
    w.settle();
    assert.equal(w.c.own().size, 0);
    w.env.taken = true;
    w.edit({ 'platform/gw': 'port 81' });
    w.settle();
    assert.deepEqual([...w.c.bad().keys()], []);
    assert.deepEqual([...w.env.withheld], []);
    assert.ok(w.c.own().has(LISTENERS));
  });

  it('a listener refused because of a tenant\'s resource is still traced to it', () => {
    const w = platformWorld();
    w.env.taken = false;
    w.edit({ 'platform/class': 'c', 'platform/gw': 'port 80', 'route/a': 'a' });
    w.settle();
    w.edit({ 'route/b': 'b', 'option/x': 'listener filter', 'route/c': 'c' });
    w.settle();
    assert.deepEqual([...w.c.bad().keys()], ['option/x']);
    assert.equal(w.c.own().size, 0);
    assert.deepEqual([...w.env.withheld], ['option/x']);
  });
});
