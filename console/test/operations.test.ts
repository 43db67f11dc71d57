import { describe, expect, it } from 'vitest';
import type { Operation } from '../src/api';
import { removalShare, sortOperations, windowPhase } from '../src/operations';

const op = (name: string, state: Operation['state'], start_ms: number, end_ms = 0, removed = 0, referrals = 0): Operation => ({
  name,
  title: '',
  start_ms,
  end_ms,
  organisations: ['org-a'],
  sources: [],
  state,
  created_by: 'user:test',
  counters: {
    items_collected: null,
    items_referred: referrals,
    referrals,
    delivered: referrals,
    acknowledged: 0,
    removed,
    geo_blocked: 0,
    rejected: 0,
    held: 0,
    pending: 0,
    withdrawn: 0,
    removal_orders: 0,
    overdue_orders: 0,
    median_time_to_removal_ms: 0,
    p90_time_to_removal_ms: 0,
  },
});

describe('operations', () => {
  it('places now in the window; 0 is an open end', () => {
    expect(windowPhase(op('a', 'active', 100, 200), 50)).toBe('upcoming');
    expect(windowPhase(op('a', 'active', 100, 200), 150)).toBe('running');
    expect(windowPhase(op('a', 'active', 100, 200), 201)).toBe('ended');
    expect(windowPhase(op('a', 'active', 100, 0), 1e15)).toBe('running');
  });
  it('removal share of referrals, 0 without any', () => {
    expect(removalShare(op('a', 'active', 0, 0, 3, 4))).toBe(0.75);
    expect(removalShare(op('a', 'active', 0, 0, 0, 0))).toBe(0);
  });
  it('lists active, then planned, then closed, newest first', () => {
    const sorted = sortOperations([op('c', 'closed', 5), op('p', 'planned', 9), op('a1', 'active', 1), op('a2', 'active', 3)]);
    expect(sorted.map((o) => o.name)).toEqual(['a2', 'a1', 'p', 'c']);
  });
});
