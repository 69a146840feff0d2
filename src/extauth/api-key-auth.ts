// API keys: the key in a header is looked up by its SHA-256 digest, so the lookup's timing depends on the digest
// only and says nothing about how close a guess came to a real key. The matched Secret's other entries may be
// passed upstream as headers (headersFromMetadataEntry). The principal is the Secret (`<namespace>/<name>`): a
// key's own value must never leave the service.
import { hash } from 'node:crypto';
import type { ApiKeyAuthIr } from '../contracts/extauth.ts';
import { allow, deny, type Step } from './decision.ts';

export function apiKeyStep(ir: ApiKeyAuthIr): Step {
  const byDigest = new Map(ir.keys.map((k) => [digest(k.key), k]));
  const header = ir.header.toLowerCase();
  const outputs = ir.headersFromMetadata.map((h) => ({ ...h, header: h.header.toLowerCase() }));
  return (input) => {
    const presented = input.headers[header];
    if (!presented) return deny(401, `api key: no ${header} header`);
    const found = byDigest.get(digest(presented.trim()));
    if (!found) return deny(401, 'api key: unknown key');
    const { metadata } = found;
    const headers: Record<string, string> = {};
    const remove: string[] = [];
    for (const out of outputs) {
      const value = metadata[out.entry];
      if (value !== undefined) headers[out.header] = value;
      else if (out.required) return deny(401, `api key: its Secret has no ${out.entry} entry, which is required`);
      else remove.push(out.header);
    }
    return allow(headers, remove, found.secret);
  };
}

function digest(key: string): string {
  return hash('sha256', key, 'base64');
}
