// Operations (action days): what the Operations page derives from GET /api/v1/operations
// ?counters=true. Pure functions, tested in test/operations.test.ts.
import type { Operation } from './api';

export type WindowPhase = 'upcoming' | 'running' | 'ended';

// Where `nowMs` falls in the operation's window (end_ms 0: open-ended).
export function windowPhase(op: Pick<Operation, 'start_ms' | 'end_ms'>, nowMs: number): WindowPhase {
  if (nowMs < op.start_ms) return 'upcoming';
  if (op.end_ms && nowMs > op.end_ms) return 'ended';
  return 'running';
}

// Share of the operation's referrals that were removed (0 without referrals).
export function removalShare(op: Operation): number {
  const c = op.counters;
  if (!c || c.referrals === 0) return 0;
  return c.removed / c.referrals;
}

// Active operations first, then planned, then closed; by start, newest first.
export function sortOperations(list: Operation[]): Operation[] {
  const rank: Record<string, number> = { active: 0, planned: 1, closed: 2 };
  return [...list].sort((a, b) => (rank[a.state] ?? 3) - (rank[b.state] ?? 3) || b.start_ms - a.start_ms);
}
