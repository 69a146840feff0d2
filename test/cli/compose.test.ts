// docker-compose.yml and the Dockerfile are not run in CI: there is no Docker engine where the tests run (the
// Nomad jobs are the tested deployment, test/e2e/nomad.test.ts). This checks what can be checked without one:
// the file parses; every image is pinned (to scripts/versions.env where that names a version) or built from
// ./Dockerfile; every `portico` command line parses with the real CLI (its commander definitions; nothing is
// run); every port a service refers to is one that service listens on; the README's walkthrough matches the
// file; and the image's `npm ci --omit=dev` leaves out nothing src/ loads at run time.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { bootstrapCommand } from '../../src/cli/bootstrap.ts';
import { controllerCommand } from '../../src/cli/controller.ts';
import { echoCommand } from '../../src/cli/echo.ts';
import { extauthCommand } from '../../src/cli/extauth.ts';
import { isLoopback } from '../../src/cli/options.ts';
import { rateLimitCommand } from '../../src/cli/ratelimit.ts';
import { parseHostPort } from '../../src/lib/address.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; target?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

// merge: the file shares settings through YAML merge keys (`<<: *portico`), which Compose supports.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = Object.entries(compose.services);
const service = (name: string): Service => compose.services[name] ?? assert.fail(`no service ${name}`);
const versions = Object.fromEntries([...read('scripts/versions.env').matchAll(/^(\w+)=("?)(.*)\2$/gm)].map((m) => [m[1], m[3]]));
const dockerfile = read('Dockerfile');
const PORTICO_TARGET = 'portico';
const isPortico = (s: Service) => s.build?.target === PORTICO_TARGET;

// --- `portico` command lines -------------------------------------------------------------------------

/** Compose turns `$$` into `$` before the shell sees it. */
const unescape = (s: string) => s.replaceAll('$$', '$');
const isOperator = (w: string | undefined) => w !== undefined && ['\n', ';', '|', '&', '<', '>'].includes(w);

/** Words and operators of a shell script: enough for the simple scripts of docker-compose.yml (quotes, no nesting). */
function shellWords(script: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] as string;
    if (ch === "'" || ch === '"') {
      const end = script.indexOf(ch, i + 1);
      assert.ok(end > i, `unterminated ${ch} in: ${script}`);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (ch === '\\' && script[i + 1] === '\n') i++;
    else if (ch === ' ' || ch === '\t') flush();
    else if (isOperator(ch)) {
      flush();
      words.push(ch);
    } else word = (word ?? '') + ch;
  }
  flush();
  return words;
}

interface Run {
  args: string[];
  /** Where a shell script sends the run's output (`> file`). */
  stdout?: string;
}

/** The `portico` runs of a service: its command (the image's entrypoint is bin/portico), or each in its bash script. */
function porticoRuns(name: string, s: Service): Run[] {
  if (!s.entrypoint) return [{ args: s.command ?? [] }];
  assert.equal(s.entrypoint[0], 'bash', `${name}: an entrypoint other than the image's is a bash script`);
  const words = shellWords(unescape(s.command?.[0] ?? ''));
  const runs: Run[] = [];
  words.forEach((w, i) => {
    const prev = words[i - 1];
    if (w !== 'portico' || !(i === 0 || isOperator(prev) || prev === 'exec')) return;
    let end = i + 1;
    while (end < words.length && !isOperator(words[end])) end++;
    runs.push({ args: words.slice(i + 1, end), ...(words[end] === '>' && { stdout: words[end + 1] }) });
  });
  return runs;
}

const COMMANDS: Record<string, () => Command> = {
  controller: controllerCommand,
  bootstrap: bootstrapCommand,
  extauth: extauthCommand,
  ratelimit: rateLimitCommand,
  echo: echoCommand,
};

/** Runs fn with exactly these PORTICO_* variables set (commander reads them while parsing). */
async function withPorticoEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('PORTICO_')) delete process.env[k];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

interface Parsed extends Run {
  sub: string;
  opts: Record<string, string>;
  envVars: Set<string>;
}

/** Parses a run with the real subcommand definition, its action replaced: unknown flags and bad choices throw. */
async function parseRun(name: string, run: Run, env: Record<string, string>): Promise<Parsed> {
  const [sub = '', ...rest] = run.args;
  const make = COMMANDS[sub] ?? assert.fail(`${name}: 'portico ${sub}' is not one of ${Object.keys(COMMANDS).join(', ')}`);
  const cmd = make().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  let opts: Record<string, string> | undefined;
  cmd.action((o: Record<string, string>) => {
    opts = o;
  });
  await withPorticoEnv(env, () => cmd.parseAsync(rest, { from: 'user' })).catch((err: Error) => assert.fail(`${name}: portico ${run.args.join(' ')}: ${err.message}`));
  return { ...run, sub, opts: opts ?? assert.fail(`${name}: not parsed`), envVars: new Set(cmd.options.flatMap((o) => o.envVar ?? [])) };
}

async function parseAll(): Promise<Map<string, Parsed>> {
  const all = new Map<string, Parsed>();
  for (const [name, s] of services.filter(([, s]) => isPortico(s))) {
    const runs = porticoRuns(name, s);
    assert.equal(runs.length, 1, `${name}: one portico run, found ${runs.length}`);
    all.set(name, await parseRun(name, runs[0] as Run, s.environment ?? {}));
  }
  return all;
}
// Every Portico service's run, parsed. A line the CLI refuses fails every test that uses them, with its message.
const parsing = await parseAll().then((all) => ({ all }), (error: Error) => ({ error }));
const parsedRuns = (): Map<string, Parsed> => {
  if ('error' in parsing) throw parsing.error;
  return parsing.all;
};
const run = (name: string): Parsed => parsedRuns().get(name) ?? assert.fail(`${name} runs no portico command`);

// --- ports -------------------------------------------------------------------------------------------

/** The options naming where each subcommand listens, and where it connects to. */
const LISTENS: Record<string, string[]> = { controller: ['xdsAddress', 'adminAddress'], extauth: ['listen'], ratelimit: ['listen', 'adminAddress'], echo: ['listen'], bootstrap: [] };
const CONNECTS: Record<string, string[]> = {
  controller: ['consulAddress', 'vaultAddress', 'extAuthAddress', 'ratelimitAddress'],
  extauth: ['xdsAddress'],
  ratelimit: ['xdsAddress', 'redis'],
  echo: [],
  bootstrap: ['xdsAddress'],
};

/** host and port of `host:port` or `scheme://host:port/…`. */
function endpoint(value: string, what: string): { host: string; port: number } {
  if (!/^[a-z]+:\/\//.test(value)) return parseHostPort(value, what);
  const url = new URL(value);
  assert.ok(url.port, `${what}: ${value} names no port`);
  return { host: url.hostname, port: Number(url.port) };
}

const exposed = (name: string) => new Set((service(name).expose ?? []).map(Number));
const listening = (p: Parsed) => (LISTENS[p.sub] ?? []).filter((o) => p.opts[o] && p.opts[o] !== 'off').map((o) => endpoint(p.opts[o] as string, `--${o}`));

/** Services that mount a volume the bootstrap one-shot writes (Envoy), with the admin port that bootstrap gives them. */
function bootstrapReaders(): { name: string; adminPort: number }[] {
  const boot = [...parsedRuns().entries()].find(([, p]) => p.sub === 'bootstrap') ?? assert.fail('no service runs portico bootstrap');
  const volumes = new Set((service(boot[0]).volumes ?? []).map((v) => v.split(':')[0]));
  return services
    .filter(([name, s]) => name !== boot[0] && (s.volumes ?? []).some((v) => volumes.has(v.split(':')[0])))
    .map(([name]) => ({ name, adminPort: Number(boot[1].opts.adminPort) }));
}

/** Every port a service listens on: on the compose network (expose) and on its own loopback. */
function ownPorts(name: string): Set<number> {
  const ports = exposed(name);
  const p = parsedRuns().get(name);
  if (p) for (const l of listening(p)) ports.add(l.port);
  for (const r of bootstrapReaders()) if (r.name === name) ports.add(r.adminPort);
  return ports;
}

/** Every string a service hands to a process: command, entrypoint, environment values, health check. */
const strings = (s: Service) => [...(s.entrypoint ?? []), ...(s.command ?? []), ...Object.values(s.environment ?? {}), ...(s.healthcheck?.test ?? [])].map((v) => unescape(String(v)));

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

describe('docker-compose.yml (not run in CI: no Docker engine here; checked statically)', () => {
  it('runs a pinned image in every service, or the image built from ./Dockerfile', () => {
    const stages = new Set([...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]));
    for (const [name, s] of services) {
      assert.ok(s.image, `${name}: no image`);
      if (s.build) {
        assert.equal(s.build.context, '.', `${name}: built from this checkout`);
        assert.ok(s.build.target && stages.has(s.build.target), `${name}: build target ${s.build.target} is a stage of the Dockerfile (${[...stages].join(', ')})`);
        continue;
      }
      assert.match(s.image, /^[\w./-]+:v?\d+\.\d+\.\d+(-[\w.]+)?$/, `${name}: ${s.image} is pinned to a release`);
    }
  });

  it('pins the images scripts/versions.env names to its versions (Envoy: ENVOY_VERSION)', () => {
    const tag = (repo: string) => services.map(([, s]) => s.image ?? '').find((i) => i.startsWith(`${repo}:`))?.slice(repo.length + 1);
    assert.equal(tag('envoyproxy/envoy'), `v${versions.ENVOY_VERSION}`);
    assert.equal(tag('hashicorp/consul'), versions.CONSUL_VERSION);
    assert.equal(tag('openbao/openbao'), versions.OPENBAO_VERSION);
    assert.equal(tag('redis')?.split('.')[0], versions.REDIS_MIN_MAJOR);
    assert.match(dockerfile, new RegExp(`^FROM node:${versions.NODE_VERSION}-\\S+ AS runtime$`, 'm'), 'the Dockerfile runs NODE_VERSION');
    assert.match(dockerfile, new RegExp(`^COPY --from=openbao/openbao:${versions.OPENBAO_VERSION} `, 'm'), 'vault-setup uses the pinned OpenBao CLI');
  });

  it('has no $ that Compose would interpolate ($$ is a literal $)', () => {
    for (const v of allStrings(compose)) assert.doesNotMatch(v.replaceAll('$$', ''), /\$/, `Compose would interpolate: ${v}`);
  });

  it('parses every portico command line with the real CLI, and sets only PORTICO_* variables it reads', () => {
    assert.deepEqual([...parsedRuns().values()].map((p) => p.sub).sort(), ['bootstrap', 'controller', 'echo', 'extauth', 'ratelimit']);
    for (const [name, p] of parsedRuns()) {
      for (const key of Object.keys(service(name).environment ?? {}).filter((k) => k.startsWith('PORTICO_'))) {
        assert.ok(p.envVars.has(key), `${name}: portico ${p.sub} reads no ${key}`);
      }
    }
  });

  it('exposes exactly the ports each Portico service listens on beyond loopback', () => {
    for (const [name, p] of parsedRuns()) {
      const network = listening(p).filter((l) => !isLoopback(l.host));
      assert.deepEqual(new Set(network.map((l) => l.port)), exposed(name), `${name}: expose = what it listens on beyond loopback`);
    }
  });

  it('connects each Portico service to a service and a port that service exposes', () => {
    for (const [name, p] of parsedRuns()) {
      for (const option of CONNECTS[p.sub] ?? []) {
        const value = p.opts[option] ?? assert.fail(`${name}: no --${option}`);
        for (const address of value.split(',')) {
          const { host, port } = endpoint(address, `${name} --${option}`);
          assert.ok(compose.services[host], `${name} --${option} ${address}: no service ${host}`);
          assert.ok(exposed(host).has(port), `${name} --${option} ${address}: ${host} exposes ${[...exposed(host)].join(', ')}`);
        }
      }
    }
  });

  it('refers only to ports that exist: host:port in commands, environment and health checks, published ports', () => {
    const names = services.map(([name]) => name);
    const other = new RegExp(`\\b(${names.join('|')}):(\\d+)\\b`, 'g');
    for (const [name, s] of services) {
      for (const text of strings(s)) {
        for (const [, host, port] of text.matchAll(other)) assert.ok(exposed(host as string).has(Number(port)), `${name}: ${host}:${port} is not exposed by ${host}`);
        for (const [, port] of text.matchAll(/(?:127\.0\.0\.1[:/]|localhost:)(\d+)/g)) assert.ok(ownPorts(name).has(Number(port)), `${name}: nothing in ${name} listens on ${port}`);
      }
      for (const published of s.ports ?? []) {
        const port = Number(published.split(':').at(-1));
        assert.ok(exposed(name).has(port), `${name}: publishes ${port}, which it does not expose`);
        assert.match(published, /^127\.0\.0\.1:/, `${name}: ${published} is published on loopback only (dev-only services)`);
      }
    }
  });

  it('orders the start with conditions that can be met, on declared volumes', () => {
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = service(dep);
        if (condition === 'service_healthy') assert.ok(target.healthcheck, `${name} waits for ${dep} to be healthy: it has no health check`);
        else if (condition === 'service_completed_successfully') assert.equal(target.restart, 'no', `${name} waits for ${dep} to complete: it must be a one-shot`);
        else assert.fail(`${name}: depends_on ${dep} without a condition that orders the start (${condition})`);
      }
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0] as string;
        if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} is declared`);
      }
    }
  });

  it('starts Envoy from the bootstrap the one-shot writes, through a shared volume', () => {
    const boot = [...parsedRuns().values()].find((p) => p.sub === 'bootstrap') ?? assert.fail('no bootstrap');
    const [reader] = bootstrapReaders();
    assert.ok(boot.stdout, 'the bootstrap is written to a file');
    assert.equal(reader?.name, 'envoy');
    const command = service('envoy').command ?? [];
    assert.equal(command[command.indexOf('-c') + 1], boot.stdout, 'Envoy reads the file bootstrap writes');
  });

  it("matches the README's Docker walkthrough: the Gateway, its published listener port, the route's backend", () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('\n## Docker\n'), readme.indexOf('\n## ', readme.indexOf('\n## Docker\n') + 1));
    const docs = [...section.matchAll(/\$kv\/(\S+) <<'EOF'\n([\s\S]*?)\nEOF/g)].map((m) => ({ key: m[1] as string, doc: parse(m[2] as string) }));
    assert.deepEqual(docs.map((d) => d.key.split('/')[0]), ['GatewayClass', 'Gateway', 'HTTPRoute']);
    for (const { key, doc } of docs) assert.equal(key, [doc.kind, doc.metadata.namespace, doc.metadata.name].filter(Boolean).join('/'), 'the key names the resource');
    assert.match(section, new RegExp(`kv=http://127\\.0\\.0\\.1:8500/v1/kv/${run('controller').opts.consulKvRoot}/`), "PUT below the controller's KV root");

    const gateway = docs[1]?.doc;
    assert.equal(`${gateway.metadata.namespace}/${gateway.metadata.name}`, run('bootstrap').opts.gateway, 'Envoy is bootstrapped for that Gateway');
    const published = new Set((service('envoy').ports ?? []).map((p) => Number(p.split(':').at(-1))));
    for (const l of gateway.spec.listeners) assert.ok(published.has(l.port), `listener port ${l.port} is published by Envoy`);

    for (const ref of docs[2]?.doc.spec.rules.flatMap((r: { backendRefs: unknown[] }) => r.backendRefs)) {
      assert.equal(ref.port, endpoint(run(ref.name).opts.listen as string, 'listen').port, `backendRef ${ref.name} uses the port it registers`);
    }
    const publishedAnywhere = new Set(services.flatMap(([, s]) => (s.ports ?? []).map((p) => Number(p.split(':').at(-1)))));
    for (const [, port] of section.matchAll(/127\.0\.0\.1:(\d+)/g)) assert.ok(publishedAnywhere.has(Number(port)), `the README uses 127.0.0.1:${port}, which is published`);
  });
});

describe('Dockerfile', () => {
  it('installs production dependencies only and runs Portico as a non-root user', () => {
    assert.match(dockerfile, /^RUN npm ci --omit=dev\b/m);
    const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'), dockerfile.indexOf('ENTRYPOINT'));
    assert.match(runtime, /^USER (?!root\b|0\b)\S+$/m, 'USER before the ENTRYPOINT');
    const ignored = read('.dockerignore').split('\n');
    for (const path of ['node_modules', '.git']) assert.ok(ignored.includes(path), `.dockerignore keeps ${path} out of the build context`);
  });

  it('needs no dev dependency at run time: src/ loads only production dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const files = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    // Value imports, side-effect imports, dynamic imports and require(.resolve); `import type` is erased.
    const specifier = /(?:\bimport\s+(?!type\b)(?:[^'";]*?\bfrom\s*)?|\bexport\s+(?!type\b)[^'";]*?\bfrom\s*|\bimport\(\s*|\brequire(?:\.resolve)?\(\s*)['"]([^'"]+)['"]/g;
    const used = new Set<string>();
    for (const file of files) {
      const text = readFileSync(join(ROOT, 'src', file), 'utf8');
      for (const [, spec] of text.matchAll(specifier)) {
        if (spec?.startsWith('.') || spec?.startsWith('node:')) continue;
        const name = spec?.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec?.split('/')[0];
        assert.ok(name && name in pkg.dependencies, `${relative(ROOT, join('src', file))} loads ${spec}, not a production dependency`);
        used.add(name);
      }
      // Loaded by name at run time (pino's transport target, say) counts too.
      for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!text.includes(`'${dev}'`) && !text.includes(`'${dev}/`), `src/${file} names the dev dependency ${dev}`);
    }
    assert.ok(used.has('commander') && used.has('@grpc/grpc-js'), `the import scan finds imports (${[...used].join(', ')})`);
  });
});
