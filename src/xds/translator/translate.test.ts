import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { Ir } from '../../ir/types.ts';
import { goldenSuite } from '../../../test/support/golden.ts';
import { encodeMessage } from '../encode.ts';
import { TYPE_URLS, type TypeUrl } from '../resources.ts';
import { EXT_AUTHZ_FAIL_OPEN_FILTER, EXT_AUTHZ_FILTER } from './ext-authz.ts';
import { translateGateway, translateIr } from './translate.ts';

// Input: an IR document; output: the Envoy resources per gateway, as served.
goldenSuite(join(import.meta.dirname, 'testdata'), (input) =>
  Object.fromEntries(
    [...translateIr(parse(input) as Ir)].map(([gateway, byType]) => [
      gateway,
      Object.fromEntries(Object.entries(byType).map(([type, list]) => [type, list.map((r) => r.resource)])),
    ]),
  ),
);

// protobufjs drops what it does not know; our encoder refuses it. Every golden input must encode cleanly,
// so a misspelt Envoy field fails here rather than as a NACK.
test('every translated resource encodes as its Envoy proto type', () => {
  const dir = join(import.meta.dirname, 'testdata');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.in.yaml'))) {
    for (const byType of translateIr(parse(readFileSync(join(dir, file), 'utf8')) as Ir).values()) {
      for (const [typeUrl, list] of Object.entries(byType)) {
        for (const r of list) assert.doesNotThrow(() => encodeMessage(typeUrl.split('/')[1] as string, r.resource), `${file}: ${r.name}`);
      }
    }
  }
});

// What makes a rotation cheap: the certificate lives only in the Secret, so every other type is unchanged
// (same cache version) and Envoy neither gets nor drains a listener.
test('a rotated certificate changes the Secret and nothing else', () => {
  const ir = parse(readFileSync(join(import.meta.dirname, 'testdata', 'https.in.yaml'), 'utf8')) as Ir;
  const rotated = structuredClone(ir);
  const [secret] = rotated.gateways[0]?.secrets ?? [];
  assert.ok(secret);
  secret.certificateChain = 'ANOTHER CERTIFICATE';
  const [before, after] = [ir, rotated].map((x) => translateIr(x).get('default/gw') ?? {});
  const changed = Object.keys({ ...before, ...after }).filter((type) => !isDeepStrictEqual(before[type as TypeUrl], after[type as TypeUrl]));
  assert.deepEqual(changed, [TYPE_URLS.secret]);
});

// failureModeAllow lets requests through when the configured ext-auth service is down; with no service configured
// both filters fail closed (golden extauth), so an AuthConfig never means "served unchecked".
test('the fail-open ext_authz filter fails open only when an ext-auth service is configured', () => {
  const ir = parse(readFileSync(join(import.meta.dirname, 'testdata', 'extauth.in.yaml'), 'utf8')) as Ir;
  const failureModes = (extAuth?: { address: string }) => {
    const [listener] = translateGateway(ir.gateways[0] as Ir['gateways'][number], extAuth && { extAuth })[TYPE_URLS.listener] ?? [];
    const hcm = (listener?.resource as { filter_chains: { filters: { typed_config: { http_filters: { name: string; typed_config: { failure_mode_allow?: boolean } }[] } }[] }[] })
      .filter_chains[0]?.filters[0]?.typed_config.http_filters;
    return [EXT_AUTHZ_FILTER, EXT_AUTHZ_FAIL_OPEN_FILTER].map((name) => hcm?.find((f) => f.name === name)?.typed_config.failure_mode_allow);
  };
  assert.deepEqual(failureModes(), [false, false]);
  assert.deepEqual(failureModes({ address: 'unix:/run/portico/extauth.sock' }), [false, true]);
});
