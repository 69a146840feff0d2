// The one way the controller's parts tell it that something changed. Each kind names the least work it needs:
//   resources  a new store snapshot: translate, serve every gateway, write the statuses
//   endpoints  discovered endpoints moved: join them and re-send EDS alone
//   statuses   what the statuses show moved (Envoy's answer, a withheld resource, a denied discovery query,
//              a new leader): write them again
import type { StoreSnapshot } from '../store/store.ts';

export type Change = { kind: 'resources'; snapshot: StoreSnapshot } | { kind: 'endpoints' } | { kind: 'statuses' };

export type Notify = (change: Change) => void;
