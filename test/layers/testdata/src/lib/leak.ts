// Forbidden on purpose (lib-is-a-leaf, only-cli-imports-app), and type-only: the check must see those too.
import type { Root } from '../app/root.ts';

export type Leak = Root;
