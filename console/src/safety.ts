// Reviewer safety: media stays blurred and greyscale until the reviewer asks to see it, and
// is covered again when they leave the item or after a timeout; a per-reviewer count of
// graphic items seen today against a budget (kept in this browser's localStorage).

// How long revealed media stays revealed.
export const DEFAULT_REVEAL_MS = 10_000;
// Graphic items a reviewer should see in one day before a break (configurable per browser).
export const DEFAULT_GRAPHIC_BUDGET = 40;

export interface RevealState {
  itemId: number | null; // the item whose media is revealed, if any
  until: number; // when it is covered again
}
export type RevealAction =
  | { type: 'reveal'; itemId: number; now: number; durationMs?: number }
  | { type: 'hide' }
  | { type: 'leave' } // the reviewer moved to another item or page
  | { type: 'tick'; now: number };

export const COVERED: RevealState = { itemId: null, until: 0 };

export function revealReducer(s: RevealState, a: RevealAction): RevealState {
  switch (a.type) {
    case 'reveal':
      return { itemId: a.itemId, until: a.now + (a.durationMs ?? DEFAULT_REVEAL_MS) };
    case 'hide':
    case 'leave':
      return COVERED;
    case 'tick':
      return s.itemId !== null && a.now >= s.until ? COVERED : s;
  }
}

export function isRevealed(s: RevealState, itemId: number, now: number): boolean {
  return s.itemId === itemId && now < s.until;
}

// The CSS class media gets: blurred and greyscale unless revealed.
export function mediaClass(revealed: boolean): string {
  return revealed ? 'media media-revealed' : 'media media-covered';
}

// Labels that make an item graphic for the budget: anything matched or decided with a
// severity above "promotional", or an explicit graphic/violence label.
export function isGraphic(labels: string[]): boolean {
  return labels.some(
    (l) =>
      l === 'severity:threat-to-life' ||
      l === 'severity:crisis' ||
      l.startsWith('graphic') ||
      l.includes(':graphic') ||
      l.includes('violence'),
  );
}

type KV = Pick<Storage, 'getItem' | 'setItem'>;

export function dayKey(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

const seenKey = (user: string, day: string) => `vigil.graphic.${user}.${day}`;
export const BUDGET_KEY = 'vigil.graphic.budget';

function seenIds(s: KV, user: string, day: string): number[] {
  try {
    const v = JSON.parse(s.getItem(seenKey(user, day)) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'number') : [];
  } catch {
    return [];
  }
}

// Items (counted once each) this reviewer revealed today that were graphic.
export function graphicSeenToday(s: KV, user: string, now: Date): number {
  return seenIds(s, user, dayKey(now)).length;
}

// Records that `user` saw graphic item `itemId`; returns the count for today.
export function recordGraphicSeen(s: KV, user: string, itemId: number, now: Date): number {
  const day = dayKey(now);
  const ids = seenIds(s, user, day);
  if (!ids.includes(itemId)) ids.push(itemId);
  s.setItem(seenKey(user, day), JSON.stringify(ids));
  return ids.length;
}

export function graphicBudget(s: KV): number {
  const n = Number(s.getItem(BUDGET_KEY));
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_GRAPHIC_BUDGET;
}
export function setGraphicBudget(s: KV, n: number): void {
  if (Number.isInteger(n) && n > 0 && n <= 10_000) s.setItem(BUDGET_KEY, String(n));
}

export type BudgetLevel = 'ok' | 'near' | 'over';
export function budgetLevel(seen: number, budget: number): BudgetLevel {
  if (seen >= budget) return 'over';
  if (seen >= Math.ceil(budget * 0.8)) return 'near';
  return 'ok';
}
