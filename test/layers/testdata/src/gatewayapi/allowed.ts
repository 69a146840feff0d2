// Allowed: gatewayapi/ may import contracts/.
import { LIMIT } from '../contracts/limits.ts';

export const twice = LIMIT * 2;
