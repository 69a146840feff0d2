// Private keys and credentials travel in the IR (to become SDS Secrets, or the ext-auth service's config) but must
// never be shown: debug endpoints, golden files and `portico translate` print the IR through this.
import type { AuthConfigIr, AuthStepIr } from './auth.ts';
import type { Ir } from './types.ts';

export const REDACTED = '<redacted>';

export function redactSecrets(ir: Ir): Ir {
  return {
    ...ir,
    gateways: ir.gateways.map((gw) => (gw.secrets ? { ...gw, secrets: gw.secrets.map((s) => ({ ...s, privateKey: REDACTED })) } : gw)),
    ...(ir.authConfigs && { authConfigs: ir.authConfigs.map(redactAuthConfig) }),
  };
}

/** Password hashes, API keys and the Secret entries that travel with them (they may be credentials too). */
export function redactAuthConfig(config: AuthConfigIr): AuthConfigIr {
  return { ...config, steps: config.steps.map(redactStep) };
}

function redactStep(step: AuthStepIr): AuthStepIr {
  if ('basic' in step) return { ...step, basic: { ...step.basic, users: step.basic.users.map((u) => ({ ...u, hash: REDACTED })) } };
  if ('apiKey' in step) {
    const keys = step.apiKey.keys.map((k) => ({ ...k, key: REDACTED, metadata: Object.fromEntries(Object.keys(k.metadata).map((m) => [m, REDACTED])) }));
    return { ...step, apiKey: { ...step.apiKey, keys } };
  }
  return step;
}
