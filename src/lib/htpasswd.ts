// htpasswd files (`user:hash` per line) and the hash formats the ext-auth service verifies. Parsing is the
// controller's job (it reports bad lines on the AuthConfig); messages name users and lines, never hashes.

export type HashKind = 'apr1' | 'bcrypt' | 'sha1';

/** The format of an htpasswd hash, or undefined for the ones Portico does not verify (crypt, plain text). */
export function hashKind(hash: string): HashKind | undefined {
  if (/^\$apr1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}$/.test(hash)) return 'apr1';
  if (/^\$2[aby]\$\d\d\$[./0-9A-Za-z]{53}$/.test(hash)) return 'bcrypt';
  if (/^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)) return 'sha1';
  return undefined;
}

export interface HtpasswdEntries {
  users: { user: string; hash: string }[];
  /** One per line that was skipped, saying why. */
  problems: string[];
}

export function parseHtpasswd(text: string): HtpasswdEntries {
  const out: HtpasswdEntries = { users: [], problems: [] };
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon > 0 ? line.slice(0, colon) : '';
    const hash = line.slice(colon + 1);
    if (!user) out.problems.push(`line ${i + 1}: expected user:hash`);
    else if (!hashKind(hash)) out.problems.push(`line ${i + 1} (user ${user}): unsupported hash; use $apr1$, bcrypt ($2y$/$2b$) or {SHA}`);
    else if (seen.has(user)) out.problems.push(`line ${i + 1}: user ${user} appears again; the first entry is used`);
    else {
      seen.add(user);
      out.users.push({ user, hash });
    }
  });
  return out;
}
