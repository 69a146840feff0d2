// Private keys and credentials travel in the IR (to become SDS Secrets, or the ext-auth service's configuration)
// but must never be shown: debug endpoints, golden files and `portico translate` print them through this. A
// fingerprint (SHA-256 of the value, cut short) takes the value's place, so two outputs can tell whether it
// changed without showing it.
import { createHash } from 'node:crypto';
import type { AuthConfigIr, AuthStepIr } from '../contracts/extauth.ts';
import type { Ir } from './types.ts';

/** `<redacted sha256:0123456789abcdef>` */
export function redacted(secret: string): string {
  return `<redacted sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}>`;
}

export function redactSecrets(ir: Ir): Ir {
  return {
    ...ir,
    gateways: ir.gateways.map((gw) => (gw.secrets ? { ...gw, secrets: gw.secrets.map((s) => ({ ...s, privateKey: redacted(s.privateKey) })) } : gw)),
    ...(ir.authConfigs && { authConfigs: ir.authConfigs.map(redactAuthConfig) }),
  };
}

/** API keys may be short enough to guess from a fingerprint: they, and the Secret entries sent with them, show none. */
const HIDDEN = '<redacted>';

/** Password hashes (fingerprinted: they are salted one-way already), API keys and the entries sent with them. */
export function redactAuthConfig(config: AuthConfigIr): AuthConfigIr {
  return { ...config, steps: config.steps.map(redactStep) };
}

function redactStep(step: AuthStepIr): AuthStepIr {
  if ('basic' in step) return { ...step, basic: { ...step.basic, users: step.basic.users.map((u) => ({ ...u, hash: redacted(u.hash) })) } };
  if ('apiKey' in step) {
    const keys = step.apiKey.keys.map((k) => ({ ...k, key: HIDDEN, metadata: Object.fromEntries(Object.keys(k.metadata).map((m) => [m, HIDDEN])) }));
    return { ...step, apiKey: { ...step.apiKey, keys } };
  }
  return step;
}
