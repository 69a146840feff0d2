// Private keys travel in the IR (to become SDS Secrets) but must never be shown: debug endpoints, golden
// files and `portico translate` print them through this. A fingerprint (SHA-256 of the key, cut short) takes
// the key's place, so two outputs can tell whether the key changed without showing it.
import { createHash } from 'node:crypto';
import type { Ir } from './types.ts';

/** `<redacted sha256:0123456789abcdef>` */
export function redacted(secret: string): string {
  return `<redacted sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}>`;
}

export function redactSecrets(ir: Ir): Ir {
  return {
    ...ir,
    gateways: ir.gateways.map((gw) => (gw.secrets ? { ...gw, secrets: gw.secrets.map((s) => ({ ...s, privateKey: redacted(s.privateKey) })) } : gw)),
  };
}
