// Durations and the EU TCO removal order's one-hour clock (Regulation (EU) 2021/784 Art. 3(3):
// remove or disable within one hour of receipt). The server owns the clock (deadline_ms,
// remaining_ms, paused, overdue, complied); the console only counts it down between polls.

export const ONE_HOUR_MS = 60 * 60 * 1000;

const pad = (n: number) => String(n).padStart(2, '0');

// "45s", "3m 05s", "2h 04m", "3d 4h": short, for tables and charts.
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out: string;
  if (d > 0) out = `${d}d ${h}h`;
  else if (h > 0) out = `${h}h ${pad(m)}m`;
  else if (m > 0) out = `${m}m ${pad(s)}s`;
  else out = `${s}s`;
  return neg ? `-${out}` : out;
}

// "mm:ss" (or "h:mm:ss" past an hour) of a non-negative number of milliseconds, rounded
// up so the clock shows 00:00 only when the time is really up.
export function formatClockText(ms: number): string {
  let s = Math.ceil(Math.max(0, ms) / 1000);
  // Up to the full hour the face reads mm:ss (60:00 at receipt), past it h:mm:ss.
  if (s <= 3600) return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

export type ClockState = 'running' | 'warning' | 'overdue' | 'paused' | 'complied' | 'waiting' | 'none';

export interface ClockView {
  state: ClockState;
  text: string; // what the clock face shows
  label: string; // the same for a screen reader
  remainingMs: number;
}

// Under this much time left the clock turns amber.
export const CLOCK_WARNING_MS = 10 * 60 * 1000;

export interface OrderClock {
  started?: boolean; // false until the platform received the order
  deadline_ms?: number;
  remaining_ms?: number;
  paused?: boolean;
  overdue?: boolean;
  complied?: boolean;
}

// The clock of a removal order at `nowMs`. `fetchedAtMs` is when the server's remaining_ms
// was read: without a deadline, the console counts down from it.
export function orderClock(order: OrderClock | undefined, nowMs: number, fetchedAtMs = nowMs): ClockView {
  if (!order || (order.deadline_ms === undefined && order.remaining_ms === undefined && order.started === undefined)) {
    return { state: 'none', text: '–', label: 'no clock', remainingMs: NaN };
  }
  if (order.complied) return { state: 'complied', text: 'complied', label: 'order complied with', remainingMs: 0 };
  if (order.started === false) {
    return { state: 'waiting', text: 'starts on receipt', label: 'the hour starts when the platform receives the order', remainingMs: ONE_HOUR_MS };
  }
  let remaining: number;
  if (order.paused) {
    remaining = order.remaining_ms ?? 0;
    const t = formatClockText(remaining);
    return { state: 'paused', text: `${t} paused`, label: `clock paused with ${t} left`, remainingMs: remaining };
  }
  if (order.deadline_ms !== undefined && order.deadline_ms > 0) remaining = order.deadline_ms - nowMs;
  else remaining = (order.remaining_ms ?? 0) - (nowMs - fetchedAtMs);
  if (remaining <= 0 || (order.overdue && remaining <= 0)) {
    const t = formatClockText(-remaining);
    return { state: 'overdue', text: `+${t} overdue`, label: `overdue by ${t}`, remainingMs: remaining };
  }
  const t = formatClockText(remaining);
  return {
    state: remaining <= CLOCK_WARNING_MS ? 'warning' : 'running',
    text: t,
    label: `${t} left of one hour`,
    remainingMs: remaining,
  };
}

export function formatTime(ms: number | undefined): string {
  if (!ms) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
