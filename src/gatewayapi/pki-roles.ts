// Which namespaces may have certificates issued by which Vault PKI roles (portico.yaml
// `secrets.vault.pki.roles`). The controller issues with its own Vault token whoever names the role, so
// without this check a tenant could obtain a certificate from another team's role, for that team's names.
// A role belongs to no namespace, so no tenant can grant it (as a ReferenceGrant would): the operator does,
// in the controller's configuration. docs/vault.md ("Who may use which role") explains the default.

/** One entry of the list: these namespaces may use this role. `*` stands for every mount, role or namespace. */
export interface PkiRoleGrant {
  /** The PKI mount as the option writes it (`pki`, `pki/gateways`). */
  mount: string;
  role: string;
  namespaces: string[];
}

export const ANY = '*';

/**
 * Without a list, namespace `default` may use every role and no other namespace any. `default` is where
 * every resource without a namespace lands, so a single-tenant configuration keeps working as it is, while a
 * tenant's own namespace is refused until the operator lists its roles. Any list given replaces this one.
 */
export const DEFAULT_PKI_ROLES: readonly PkiRoleGrant[] = [{ mount: ANY, role: ANY, namespaces: ['default'] }];

/**
 * For `portico validate` and `translate`, which do not know the controller's list: no role is refused
 * offline (refusing would fail a tenant's check for a role the controller allows it).
 */
export const UNCHECKED_PKI_ROLES: readonly PkiRoleGrant[] = [{ mount: ANY, role: ANY, namespaces: [ANY] }];

/** Whether a resource in `namespace` may have certificates issued by `<mount>/issue/<role>`. */
export type PkiRolePermission = (namespace: string, mount: string, role: string) => boolean;

export function pkiRolePermission(grants: readonly PkiRoleGrant[] = DEFAULT_PKI_ROLES): PkiRolePermission {
  const matches = (pattern: string, value: string) => pattern === ANY || pattern === value;
  return (namespace, mount, role) => grants.some((g) => matches(g.mount, mount) && matches(g.role, role) && g.namespaces.some((n) => matches(n, namespace)));
}
