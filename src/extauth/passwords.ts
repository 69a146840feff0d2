// Verifying a password against an htpasswd hash ($apr1$, bcrypt, {SHA}), with a cache of results so that bcrypt's
// deliberate slowness is paid once per (user, password) and not on every request. The cache key is an HMAC with a
// random key made at start-up: neither the password nor an unsalted hash of it is ever kept.
import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import apacheMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';
import { secretEquals } from '../lib/bearer.ts';
import { hashKind } from './htpasswd.ts';

// A KeyObject: createHmac imports a raw key on every call, which costs ten times the HMAC itself.
const CACHE_KEY = createSecretKey(randomBytes(32));
const CACHE_MAX = 10_000;
const results = new Map<string, boolean>();

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const key = createHmac('sha256', CACHE_KEY).update(hash).update('\0').update(password).digest('base64');
  const cached = results.get(key);
  if (cached !== undefined) return cached;
  const ok = await verifyUncached(password, hash);
  // Oldest first out: a Map iterates in insertion order.
  if (results.size >= CACHE_MAX) results.delete(results.keys().next().value as string);
  results.set(key, ok);
  return ok;
}

async function verifyUncached(password: string, hash: string): Promise<boolean> {
  switch (hashKind(hash)) {
    case 'apr1':
      return secretEquals(apacheMd5(password, hash), hash);
    case 'sha1':
      return secretEquals(`{SHA}${createHash('sha1').update(password).digest('base64')}`, hash);
    case 'bcrypt':
      return bcrypt.compare(password, hash);
    default:
      return false;
  }
}
