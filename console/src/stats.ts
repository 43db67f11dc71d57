// Dashboard figures from what the API returns: review-queue entries (items found) and
// referrals (referred, removed), grouped by platform and by day; plus the small maths the
// plain-SVG charts need.
import type { QueueEntry, Referral, ReferralStats } from './api';

const DAY_MS = 86_400_000;

// Host of a URL without "www."; "" if it is not a URL.
export function hostOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).hostname.replace(/^www\./, '').toLowerCase();
  } catch {
    return '';
  }
}

// Platform id for a host, from registry domains (suffix match), else the host itself.
export function platformOf(url: string | undefined, domains: Map<string, string> = new Map()): string {
  const host = hostOf(url);
  if (!host) return 'unknown';
  const parts = host.split('.');
  for (let i = 0; i < parts.length - 1; i++) {
    const p = domains.get(parts.slice(i).join('.'));
    if (p) return p;
  }
  return host;
}

export interface DayBucket {
  day: number; // start of the day (local), ms
  label: string; // "11-29"
  values: Record<string, number>;
}

export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

// `days` consecutive days ending today, each with zero counts for `series`.
export function emptyDays(days: number, nowMs: number, series: string[]): DayBucket[] {
  const today = startOfDay(nowMs);
  const out: DayBucket[] = [];
  for (let i = days - 1; i >= 0; i--) {
    // Step by noon to stay clear of DST shifts, then snap to the day's start.
    const day = startOfDay(today - i * DAY_MS + DAY_MS / 2);
    const d = new Date(day);
    out.push({
      day,
      label: `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`,
      values: Object.fromEntries(series.map((s) => [s, 0])),
    });
  }
  return out;
}

export function addToDay(buckets: DayBucket[], atMs: number | undefined, series: string, n = 1): void {
  if (!atMs) return;
  const day = startOfDay(atMs);
  const b = buckets.find((x) => x.day === day);
  if (b) b.values[series] = (b.values[series] ?? 0) + n;
}

export interface PlatformRow {
  platform: string;
  found: number;
  referred: number;
  removed: number;
  removalRate: number; // removed / referred, 0..1
  medianMs: number; // time to removal; NaN without removals
  p90Ms: number;
}

export interface Dashboard {
  found: number;
  pending: number;
  confirmed: number;
  referred: number;
  removed: number;
  removalRate: number;
  platforms: PlatformRow[];
  days: DayBucket[];
  referralsAvailable: boolean;
}

// When a referral's URLs were delivered (first receipt), else when it was created.
function deliveredAt(r: Referral): number {
  const d = r.receipts?.map((x) => x.delivered_ms ?? 0).filter((x) => x > 0) ?? [];
  return d.length ? Math.min(...d) : r.created_ms;
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function buildDashboard(
  entries: QueueEntry[],
  referrals: Referral[] | null, // null: the server has no referral endpoints
  stats: ReferralStats[] | null,
  nowMs: number,
  days = 14,
  domains: Map<string, string> = new Map(),
): Dashboard {
  const series = ['found', 'referred', 'removed'];
  const buckets = emptyDays(days, nowMs, series);
  const rows = new Map<string, PlatformRow & { times: number[] }>();
  const row = (p: string) => {
    let r = rows.get(p);
    if (!r) {
      r = { platform: p, found: 0, referred: 0, removed: 0, removalRate: 0, medianMs: NaN, p90Ms: NaN, times: [] };
      rows.set(p, r);
    }
    return r;
  };
  let pending = 0;
  let confirmed = 0;
  for (const e of entries) {
    if (e.state === 'pending' || e.state === 'escalated') pending++;
    if (e.state === 'confirmed') confirmed++;
    row(platformOf(e.item?.url, domains)).found++;
    addToDay(buckets, e.submitted_ms, 'found');
  }
  let referred = 0;
  let removed = 0;
  for (const r of referrals ?? []) {
    if (r.state === 'withdrawn') continue;
    const n = Math.max(1, r.items?.length ?? 1);
    const pr = row(r.platform || 'unknown');
    pr.referred += n;
    referred += n;
    addToDay(buckets, r.created_ms, 'referred', n);
    const removedItems = (r.items ?? []).filter((i) => i.removed_ms);
    let k = removedItems.length;
    if (k === 0 && r.state === 'removed') k = n;
    if (k > 0) {
      pr.removed += k;
      removed += k;
      const at = removedItems[0]?.removed_ms ?? r.updated_ms ?? r.created_ms;
      addToDay(buckets, at, 'removed', k);
      for (const it of removedItems.length ? removedItems : [{ removed_ms: at }]) {
        pr.times.push(Math.max(0, (it.removed_ms ?? at) - deliveredAt(r)));
      }
    }
  }
  const statsBy = new Map((stats ?? []).map((s) => [s.key, s]));
  const platforms = [...rows.values()]
    .map(({ times, ...r }) => {
      const sorted = times.sort((a, b) => a - b);
      const s = statsBy.get(r.platform);
      return {
        ...r,
        removalRate: r.referred ? r.removed / r.referred : 0,
        medianMs: s?.median_time_to_removal_ms || quantile(sorted, 0.5),
        p90Ms: s?.p90_time_to_removal_ms || quantile(sorted, 0.9),
      };
    })
    .sort((a, b) => b.found + b.referred - (a.found + a.referred) || a.platform.localeCompare(b.platform));
  return {
    found: entries.length,
    pending,
    confirmed,
    referred,
    removed,
    removalRate: referred ? removed / referred : 0,
    platforms,
    days: buckets,
    referralsAvailable: referrals !== null,
  };
}

// A round upper bound for a chart axis: 1, 2, 5 x 10^k at or above `max` (at least 1).
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(max)));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

// Runs `fn` over `list` with at most `n` calls in flight; results in input order.
export async function mapConcurrent<T, R>(list: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      out[i] = await fn(list[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, list.length) }, worker));
  return out;
}

// Items the dashboard looks up for their URL (the queue list carries no URL); beyond this
// the rest count as "unknown" platform.
export const DASHBOARD_ITEM_LOOKUPS = 300;

// domain -> platform id from the registry's entries.
export function domainMap(platforms: { id: string; domains?: string[] }[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of platforms) for (const d of p.domains ?? []) m.set(d.toLowerCase(), p.id);
  return m;
}
