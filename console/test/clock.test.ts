import { describe, expect, it } from 'vitest';
import { formatClockText, formatDuration, ONE_HOUR_MS, orderClock } from '../src/clock';

describe('formatDuration', () => {
  it('is short and exact', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(2 * 3600_000 + 4 * 60_000)).toBe('2h 04m');
    expect(formatDuration(3 * 86400_000 + 4 * 3600_000)).toBe('3d 4h');
    expect(formatDuration(-61_000)).toBe('-1m 01s');
    expect(formatDuration(NaN)).toBe('–');
  });
});

describe('the one-hour clock', () => {
  const t0 = 1_767_225_600_000;
  it('counts down from the deadline, rounding up', () => {
    expect(formatClockText(ONE_HOUR_MS)).toBe('60:00');
    expect(formatClockText(ONE_HOUR_MS - 1)).toBe('60:00');
    expect(formatClockText(ONE_HOUR_MS + 1000)).toBe('1:00:01');
    expect(formatClockText(ONE_HOUR_MS - 1000)).toBe('59:59');
    expect(formatClockText(59 * 60_000 + 1)).toBe('59:01');
    expect(formatClockText(0)).toBe('00:00');
    const c = orderClock({ deadline_ms: t0 + ONE_HOUR_MS }, t0 + 15 * 60_000);
    expect(c.state).toBe('running');
    expect(c.text).toBe('45:00');
    expect(c.label).toBe('45:00 left of one hour');
  });
  it('warns in the last ten minutes and shows overdue time', () => {
    expect(orderClock({ deadline_ms: t0 + ONE_HOUR_MS }, t0 + 51 * 60_000).state).toBe('warning');
    const o = orderClock({ deadline_ms: t0 + ONE_HOUR_MS }, t0 + ONE_HOUR_MS + 65_000);
    expect(o.state).toBe('overdue');
    expect(o.text).toBe('+01:05 overdue');
    expect(orderClock({ deadline_ms: t0 }, t0).state).toBe('overdue');
  });
  it('stops while paused (clarification) and when complied', () => {
    const p = orderClock({ deadline_ms: t0, remaining_ms: 20 * 60_000, paused: true }, t0 + 999_999);
    expect(p.state).toBe('paused');
    expect(p.text).toBe('20:00 paused');
    expect(orderClock({ deadline_ms: t0, complied: true }, t0 + 5 * ONE_HOUR_MS).state).toBe('complied');
  });
  it('counts down from remaining_ms when there is no deadline', () => {
    const c = orderClock({ remaining_ms: 10 * 60_000 + 30_000 }, t0 + 30_000, t0);
    expect(c.text).toBe('10:00');
    expect(orderClock(undefined, t0).state).toBe('none');
  });
  it('waits for receipt before the hour starts', () => {
    const w = orderClock({ started: false, remaining_ms: ONE_HOUR_MS }, t0);
    expect(w.state).toBe('waiting');
    expect(w.text).toBe('starts on receipt');
  });
});
