// A secret (a token, an AppRole id) kept in a file: read, surrounding whitespace (the final newline) dropped.
// Errors name the file and what it is for, never its content.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

export function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${what} '${file}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text) throw new ConfigError(`${what} '${file}' is empty`);
  return text;
}
