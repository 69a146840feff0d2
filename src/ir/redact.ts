// Private keys travel in the IR (to become SDS Secrets) but must never be shown: debug endpoints and golden
// files print the IR through this.
import type { Ir } from './types.ts';

export const REDACTED = '<redacted>';

export function redactSecrets(ir: Ir): Ir {
  return {
    ...ir,
    gateways: ir.gateways.map((gw) => (gw.secrets ? { ...gw, secrets: gw.secrets.map((s) => ({ ...s, privateKey: REDACTED })) } : gw)),
  };
}
