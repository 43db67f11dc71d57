import { describe, expect, it } from 'vitest';
import {
  budgetLevel, COVERED, DEFAULT_GRAPHIC_BUDGET, DEFAULT_REVEAL_MS, graphicBudget, graphicSeenToday,
  isGraphic, isRevealed, mediaClass, recordGraphicSeen, revealReducer, setGraphicBudget,
} from '../src/safety';

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('blur state', () => {
  it('starts covered and reveals only the asked-for item', () => {
    expect(isRevealed(COVERED, 1, 0)).toBe(false);
    const s = revealReducer(COVERED, { type: 'reveal', itemId: 1, now: 1000 });
    expect(isRevealed(s, 1, 1001)).toBe(true);
    expect(isRevealed(s, 2, 1001)).toBe(false);
    expect(mediaClass(false)).toContain('media-covered');
    expect(mediaClass(true)).toContain('media-revealed');
  });
  it('covers again after the timeout, on hide and on leaving', () => {
    let s = revealReducer(COVERED, { type: 'reveal', itemId: 7, now: 0 });
    s = revealReducer(s, { type: 'tick', now: DEFAULT_REVEAL_MS - 1 });
    expect(isRevealed(s, 7, DEFAULT_REVEAL_MS - 1)).toBe(true);
    s = revealReducer(s, { type: 'tick', now: DEFAULT_REVEAL_MS });
    expect(s).toEqual(COVERED);
    // Even without a tick, time alone covers it.
    const t = revealReducer(COVERED, { type: 'reveal', itemId: 7, now: 0, durationMs: 500 });
    expect(isRevealed(t, 7, 500)).toBe(false);
    expect(revealReducer(t, { type: 'hide' })).toEqual(COVERED);
    expect(revealReducer(t, { type: 'leave' })).toEqual(COVERED);
  });
});

describe('graphic budget', () => {
  it('counts each item once per reviewer per day', () => {
    const s = memory();
    const day = new Date(2026, 10, 29, 9);
    expect(graphicSeenToday(s, 'alice', day)).toBe(0);
    expect(recordGraphicSeen(s, 'alice', 1, day)).toBe(1);
    expect(recordGraphicSeen(s, 'alice', 1, day)).toBe(1);
    expect(recordGraphicSeen(s, 'alice', 2, day)).toBe(2);
    expect(graphicSeenToday(s, 'bob', day)).toBe(0);
    expect(graphicSeenToday(s, 'alice', new Date(2026, 10, 30, 9))).toBe(0);
  });
  it('has a configurable budget with a safe default', () => {
    const s = memory();
    expect(graphicBudget(s)).toBe(DEFAULT_GRAPHIC_BUDGET);
    setGraphicBudget(s, 12);
    expect(graphicBudget(s)).toBe(12);
    setGraphicBudget(s, -3);
    expect(graphicBudget(s)).toBe(12);
    s.setItem('vigil.graphic.budget', 'nonsense');
    expect(graphicBudget(s)).toBe(DEFAULT_GRAPHIC_BUDGET);
    expect(budgetLevel(0, 10)).toBe('ok');
    expect(budgetLevel(8, 10)).toBe('near');
    expect(budgetLevel(10, 10)).toBe('over');
  });
  it('knows graphic labels', () => {
    expect(isGraphic(['severity:threat-to-life'])).toBe(true);
    expect(isGraphic(['content:graphic-violence'])).toBe(true);
    expect(isGraphic(['severity:promotional'])).toBe(false);
  });
});
