/**
 * What the fault group needs from a fault proxy: inject a fault into the next requests, hold an
 * outage, heal, and count what really fired. `startFaultProxy` of @cloudmux/emulators implements
 * it; a driver author with another proxy implements these five methods.
 */

/** The faults the group injects: a 503 "slow down", a reset connection, a lost reply, a hang. */
export type FaultKind = 'throttle' | 'reset' | 'dropResponse' | 'blackhole';

export interface FaultCounts {
  /** Requests (http) or connections (tcp) that reached the service. */
  forwarded: number;
  injected: Record<FaultKind, number>;
}

export interface FaultInjector {
  /** The next `count` requests (or connections) meet this fault. */
  failNext(kind: FaultKind, count?: number): void;
  /** Every request (or connection) meets this fault until `heal()`. */
  outage(kind: FaultKind): void;
  /** Ends every fault. */
  heal(): void;
  /** Faults injected and requests forwarded since start (or the last `resetCounts`). */
  counts(): FaultCounts;
  resetCounts(): void;
}
