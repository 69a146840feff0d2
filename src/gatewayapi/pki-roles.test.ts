// Who may use which Vault PKI role: the controller's list (secrets.vault.pki.roles) decides, per namespace, for
// listeners and Upstreams alike. A refused role asks Vault for nothing, is named in the referrer's status
// (ResolvedRefs=False, RefNotPermitted), and that status says nothing of who may use the role.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocuments } from '../api/parse.ts';
import { gatewayWith } from '../../test/support/fixtures.ts';
import { DEFAULT_PKI_ROLES, pkiRolePermission, UNCHECKED_PKI_ROLES, type PkiRoleGrant } from './pki-roles.ts';
import type { StatusEntry } from './status.ts';
import { translate } from './translate.ts';

type Condition = { type: string; status: string; reason: string; message: string };

const [CLASS] = gatewayWith('').split('---\n');

/** The Gateway `<namespace>/gw` whose one listener asks `role` for shop.<namespace>.example.com. */
function gateway(namespace: string, role: string): string {
  const listener = `    - { name: shop, port: 443, protocol: HTTPS, hostname: shop.${namespace}.example.com, tls: { options: { portico.dev/vault-pki-role: ${role} } } }`;
  return gatewayWith(listener).split('---\n')[1]?.replace('namespace: default', `namespace: ${namespace}`) ?? '';
}

/** An Upstream in `namespace` asking `role` for its client certificate. */
function upstream(namespace: string, role: string): string {
  return `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: billing, namespace: ${namespace}, annotations: { portico.dev/vault-pki-role: ${role}, portico.dev/vault-pki-common-name: billing.internal } }
spec: { static: { hosts: [{ addr: 10.0.0.1, port: 8443 }] } }
`;
}

const TEAMS: PkiRoleGrant[] = [
  { mount: 'pki', role: 'team-a', namespaces: ['team-a'] },
  { mount: 'pki/shared', role: '*', namespaces: ['*'] },
];

function run(yaml: string, pkiRoles?: readonly PkiRoleGrant[]) {
  return translate(parseDocuments(yaml, { file: 'in.yaml' }).resources, pkiRoles ? { pkiRoles } : {});
}

function conditionOf(statuses: StatusEntry[], id: string, type: string): Condition | undefined {
  const status = statuses.find((s) => s.id === id)?.status;
  const listener = (status?.listeners as { conditions: Condition[] }[] | undefined)?.[0];
  return (listener?.conditions ?? (status?.conditions as Condition[] | undefined))?.find((c) => c.type === type);
}

test('the list: exact mount and role, * for any mount, role or namespace; the default lets only namespace default', () => {
  const permitted = pkiRolePermission(TEAMS);
  assert.equal(permitted('team-a', 'pki', 'team-a'), true);
  assert.equal(permitted('team-b', 'pki', 'team-a'), false, 'another namespace');
  assert.equal(permitted('team-a', 'pki', 'team-b'), false, 'another role');
  assert.equal(permitted('team-a', 'pki/other', 'team-a'), false, 'the same role name on another mount');
  assert.equal(permitted('team-b', 'pki/shared', 'anything'), true);
  assert.equal(permitted('team-b', 'pki/shared/deeper', 'anything'), false, 'a mount is one path, not a prefix');
  assert.equal(pkiRolePermission([])('default', 'pki', 'portico-gateway'), false, 'an empty list permits nothing');
  const byDefault = pkiRolePermission();
  assert.deepEqual([byDefault('default', 'pki', 'portico-gateway'), byDefault('team-a', 'pki', 'portico-gateway')], [true, false]);
  assert.equal(pkiRolePermission(DEFAULT_PKI_ROLES)('default', 'x', 'y'), true);
  assert.equal(pkiRolePermission(UNCHECKED_PKI_ROLES)('team-z', 'x', 'y'), true);
});

test("a listener: its namespace's role is requested; another team's role is refused, named in the status, never requested", () => {
  const out = run([CLASS, gateway('team-a', 'pki/team-a'), gateway('team-b', 'pki/team-a')].join('---\n'), TEAMS);
  assert.deepEqual(out.certificateRequests.map((r) => `${r.namespace} ${r.mount}/${r.role} ${r.commonName}`), ['team-a pki/team-a shop.team-a.example.com'], "team-b's listener asks Vault for nothing");
  assert.equal(conditionOf(out.statuses, 'Gateway team-a/gw', 'ResolvedRefs')?.reason, 'InvalidCertificateRef', "team-a's waits for its certificate");
  const refs = conditionOf(out.statuses, 'Gateway team-b/gw', 'ResolvedRefs');
  assert.deepEqual([refs?.status, refs?.reason], ['False', 'RefNotPermitted']);
  assert.equal(refs?.message, `portico.dev/vault-pki-role "pki/team-a" is not permitted in namespace team-b: the controller's secrets.vault.pki.roles does not list it for team-b, so no certificate is requested`);
  assert.equal(conditionOf(out.statuses, 'Gateway team-b/gw', 'Programmed')?.status, 'False');
  assert.deepEqual(
    out.problems.filter((p) => p.resource === 'Gateway team-b/gw').map((p) => p.field),
    ['spec.listeners[0].tls.options'],
    'the problem points at the option',
  );
});

test('an Upstream: the same list, the same refusal; a shared mount open to every namespace is requested', () => {
  const out = run([gatewayWith('    - { name: http, port: 80, protocol: HTTP }'), upstream('team-b', 'pki/team-a'), upstream('team-c', 'pki/shared/any-role')].join('---\n'), TEAMS);
  assert.deepEqual(out.certificateRequests.map((r) => r.requestedBy.join()), ['Upstream team-c/billing']);
  const refs = conditionOf(out.statuses, 'Upstream team-b/billing', 'ResolvedRefs');
  assert.deepEqual([refs?.status, refs?.reason], ['False', 'RefNotPermitted']);
  assert.equal(refs?.message, `portico.dev/vault-pki-role "pki/team-a" is not permitted in namespace team-b: the controller's secrets.vault.pki.roles does not list it for team-b, so no certificate is requested; the Upstream is not served`);
});

test('without a list: namespace default keeps using any role (single tenant), every other namespace is refused', () => {
  const out = run([CLASS, gateway('default', 'pki/portico-gateway'), upstream('team-b', 'pki/portico-gateway')].join('---\n'));
  assert.deepEqual(out.certificateRequests.map((r) => r.requestedBy.join()), ['Gateway default/gw listener shop']);
  assert.equal(conditionOf(out.statuses, 'Upstream team-b/billing', 'ResolvedRefs')?.reason, 'RefNotPermitted');
});

test("the refusal says nothing of the role's owner: the same text whoever the list grants it to", () => {
  const refusal = (roles: PkiRoleGrant[]) => conditionOf(run(upstream('team-b', 'pki/team-a'), roles).statuses, 'Upstream team-b/billing', 'ResolvedRefs')?.message;
  const texts = new Set([refusal(TEAMS), refusal([]), refusal([{ mount: 'pki', role: 'team-a', namespaces: ['team-a', 'team-c'] }])]);
  assert.equal(texts.size, 1, [...texts].join('\n'));
  assert.doesNotMatch([...texts][0] ?? '', /team-a[^"]|team-c/, 'only the role as written names team-a');
});
