// Verifying a password against an htpasswd hash ($apr1$, bcrypt, {SHA}), with a cache of successes so that
// bcrypt's deliberate slowness is paid once per (hash, password) and not on every request.
// - Only successes are cached: a wrong password is never remembered, so random wrong passwords cannot evict the
//   good entries, and each costs exactly one check, as an uncached right one does (no more).
// - The cache key is an HMAC of the hash and the password with a random key made at start-up: neither the
//   password nor an unsalted hash of it is kept, and the key says nothing without the process's memory. The hash
//   is in the key so that a changed or removed entry of the htpasswd file never matches an old success.
// - Bounded: the CACHE_MAX entries used last (LRU), so memory stays flat whatever the traffic.
// - bcrypt runs on worker threads (bcrypt-pool.ts): the event loop keeps serving every other check meanwhile.
// - Comparisons of computed and stored hashes are constant-time (secretEquals; bcryptjs compares in constant time).
import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import apacheMd5 from 'apache-md5';
import { secretEquals } from '../lib/bearer.ts';
import { bcryptPool } from './bcrypt-pool.ts';
import { hashKind } from '../lib/htpasswd.ts';

// A KeyObject: createHmac imports a raw key on every call, which costs ten times the HMAC itself.
const CACHE_KEY = createSecretKey(randomBytes(32));
/** Successful checks remembered: ~100 bytes each, so about 1 MB at the bound. */
export const CACHE_MAX = 10_000;

/** Keys of recent successes, least recently used first out. */
export class SuccessCache {
  readonly #max: number;
  /** A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first. */
  readonly #keys = new Map<string, true>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Whether `key` is remembered (and now the most recently used). */
  hit(key: string): boolean {
    if (!this.#keys.delete(key)) return false;
    this.#keys.set(key, true);
    return true;
  }

  add(key: string): void {
    if (this.#keys.size >= this.#max) this.#keys.delete(this.#keys.keys().next().value as string);
    this.#keys.set(key, true);
  }

  get size(): number {
    return this.#keys.size;
  }
}

export const successes = new SuccessCache(CACHE_MAX);

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const key = createHmac('sha256', CACHE_KEY).update(hash).update('\0').update(password).digest('base64');
  if (successes.hit(key)) return true;
  const ok = await verifyUncached(password, hash);
  if (ok) successes.add(key);
  return ok;
}

async function verifyUncached(password: string, hash: string): Promise<boolean> {
  switch (hashKind(hash)) {
    case 'apr1':
      return secretEquals(apacheMd5(password, hash), hash);
    case 'sha1':
      return secretEquals(`{SHA}${createHash('sha1').update(password).digest('base64')}`, hash);
    case 'bcrypt':
      return bcryptPool.compare(password, hash);
    default:
      return false;
  }
}
