// The layers of src/ and what each may import (docs/architecture.md, "Dependency rules"). `make lint-deps`
// runs it; a forbidden import fails the build with the rule's name. Tests (*.test.ts, test/) may import what
// they test, so they are never the `from` side of a rule.
//
// Each rule reads "a module of <layer> imports something under src/ outside what <layer> may import".
// The leaves, bottom up: lib ← contracts ← api ← ir.

/** A rule: modules under `layer` may import (inside src/) only the given paths, besides themselves. */
function only(name, comment, layer, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${layer}`, pathNot: TESTS },
    to: { path: '^src/', pathNot: [`^src/${layer}`, ...allowed.map((a) => `^src/${a}`)] },
  };
}

const TESTS = ['\\.test\\.ts$', '/testdata/'];
// The xDS wire pieces a data-path service needs to speak Envoy's gRPC and read its config stream.
const XDS_WIRE = ['xds/protos\\.ts$', 'xds/service-config\\.ts$', 'xds/resources\\.ts$', 'xds/client/'];

module.exports = {
  forbidden: [
    only('lib-is-a-leaf', 'lib/ holds plumbing with no knowledge of Portico: it imports nothing internal', 'lib/', []),
    only('contracts-only-lib', 'contracts/ is what the services and translators share: it imports lib only', 'contracts/', ['lib/']),
    only('api-only-lib-contracts', 'api/ (kinds, parsing, validation) imports lib and contracts only', 'api/', ['lib/', 'contracts/']),
    only('ir-only-api-lib-contracts', 'ir/ is plain data between the two translators', 'ir/', ['api/', 'lib/', 'contracts/']),
    only('consul-only-lib', 'consul/ is the Consul client', 'consul/', ['lib/']),
    only('vault-only-lib', 'vault/ is the Vault client; what publishes from Vault lives in providers/secrets', 'vault/', ['lib/']),
    only('echo-only-lib', 'echo/ is the test upstream', 'echo/', ['lib/']),
    only(
      'providers-only-sources-and-clients',
      'a provider watches one source and publishes; endpoint sets are in IR terms and discovery problems are status records',
      'providers/',
      ['api/', 'lib/', 'contracts/', 'consul/', 'vault/', 'ir/', 'status/'],
    ),
    only('store-only-api-lib', 'store/ merges what the providers publish', 'store/', ['api/', 'lib/', 'contracts/']),
    only('gatewayapi-only-api-ir-lib-contracts', 'gatewayapi/ is the pure resources → IR translator', 'gatewayapi/', ['api/', 'ir/', 'lib/', 'contracts/']),
    only(
      'xds-translator-only-ir-lib-contracts',
      'xds/translator/ is the pure IR → Envoy translator; xds/resources.ts holds the shape of its output',
      'xds/translator/',
      ['ir/', 'lib/', 'contracts/', 'xds/resources\\.ts$'],
    ),
    {
      name: 'xds-core-only-lib-contracts',
      comment: 'xds/*.ts (resource types, encoding, proto loading, the service config codec) sit under the xDS stages',
      severity: 'error',
      from: { path: '^src/xds/[^/]+$', pathNot: TESTS },
      to: { path: '^src/', pathNot: ['^src/xds/[^/]+$', '^src/lib/', '^src/contracts/'] },
    },
    only('xds-cache-only-core', 'xds/cache/ versions snapshots per node', 'xds/cache/', ['xds/[^/]+$', 'lib/', 'contracts/']),
    only('xds-server-only-cache-core', 'xds/server/ serves the cache over ADS', 'xds/server/', ['xds/cache/', 'xds/[^/]+$', 'lib/', 'contracts/']),
    only('xds-client-only-core-server-protocol', 'xds/client/ shares the ADS protocol definitions of xds/server/discovery.ts', 'xds/client/', ['xds/server/discovery\\.ts$', 'xds/[^/]+$', 'lib/', 'contracts/']),
    only('extauth-only-contracts-lib-xds-wire', 'the ext-auth service knows its config only through contracts/', 'extauth/', ['contracts/', 'lib/', ...XDS_WIRE]),
    only('ratelimit-only-contracts-lib-xds-wire', 'the rate-limit service knows its config only through contracts/', 'ratelimit/', ['contracts/', 'lib/', ...XDS_WIRE]),
    only('status-only-consul-api-ir-lib', 'status/ writes conditions to the folder or Consul KV', 'status/', ['consul/', 'api/', 'ir/', 'lib/', 'contracts/']),
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ calls into the modules; never the other way round',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', ...TESTS] },
      to: { path: '^src/cli/' },
    },
    {
      name: 'only-cli-imports-app',
      comment: 'app/ is the composition root: it imports everything and only cli/ imports it',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(app|cli)/', ...TESTS] },
      to: { path: '^src/app/' },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript compiler API yet; swc parses the .ts sources (type-only imports included).
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '\\.d\\.ts$'] },
    moduleSystems: ['es6'],
  },
};
