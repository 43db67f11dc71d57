import { describe, expect, it } from 'vitest';
import type { QueueEntry, Referral } from '../src/api';
import { buildDashboard, emptyDays, hostOf, niceMax, platformOf, quantile } from '../src/stats';

const now = new Date(2026, 10, 29, 12).getTime();
const day = 86_400_000;
const entry = (id: number, state: QueueEntry['state'], url: string, at = now): QueueEntry => ({
  item_id: id, state, priority: 1, severity_tier: 1, confidence: 1, reach: 0, signal_ids: [], submitted_ms: at, item: { id, url },
});

describe('dashboard figures', () => {
  it('groups items by platform and day, referrals by platform, with removal rate and time', () => {
    const entries = [
      entry(1, 'pending', 'https://www.example.org/a'),
      entry(2, 'confirmed', 'https://example.org/b', now - day),
      entry(3, 'confirmed', 'https://video.example.net/c'),
    ];
    const referrals: Referral[] = [
      { id: 1, platform: 'example.org', route: 'voluntary', state: 'removed', created_ms: now - 3600_000,
        receipts: [{ channel: 'pull', delivered_ms: now - 3600_000 }],
        items: [{ item_id: 2, url: 'https://example.org/b', removed_ms: now - 1800_000 }] },
      { id: 2, platform: 'example.net', route: 'tco_removal_order', state: 'delivered', created_ms: now, items: [{ item_id: 3 }] },
      { id: 3, platform: 'example.net', route: 'voluntary', state: 'withdrawn', created_ms: now, items: [{ item_id: 3 }] },
    ];
    const d = buildDashboard(entries, referrals, null, now, 7, new Map([['example.net', 'example.net']]));
    expect(d.found).toBe(3);
    expect(d.pending).toBe(1);
    expect(d.confirmed).toBe(2);
    expect(d.referred).toBe(2);
    expect(d.removed).toBe(1);
    expect(d.removalRate).toBe(0.5);
    const org = d.platforms.find((p) => p.platform === 'example.org')!;
    expect(org).toMatchObject({ found: 2, referred: 1, removed: 1, removalRate: 1, medianMs: 1800_000 });
    expect(d.platforms.find((p) => p.platform === 'example.net')!.found).toBe(1);
    expect(d.days).toHaveLength(7);
    expect(d.days[6].values).toEqual({ found: 2, referred: 2, removed: 1 });
    expect(d.days[5].values.found).toBe(1);
    expect(d.referralsAvailable).toBe(true);
    expect(buildDashboard(entries, null, null, now).referralsAvailable).toBe(false);
  });
  it('prefers the server statistics for time to removal', () => {
    const d = buildDashboard([], [{ id: 1, platform: 'p', route: 'voluntary', state: 'removed', created_ms: now, items: [{}] }],
      [{ key: 'p', median_time_to_removal_ms: 42, p90_time_to_removal_ms: 99 } as never], now);
    expect(d.platforms[0].medianMs).toBe(42);
    expect(d.platforms[0].p90Ms).toBe(99);
  });
});

describe('helpers', () => {
  it('hosts, platforms, axes, quantiles', () => {
    expect(hostOf('https://WWW.Example.com/x')).toBe('example.com');
    expect(hostOf('not a url')).toBe('');
    expect(platformOf('https://m.vk.com/x', new Map([['vk.com', 'vk']]))).toBe('vk');
    expect(platformOf(undefined)).toBe('unknown');
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(130)).toBe(200);
    expect(niceMax(5)).toBe(5);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([], 0.5)).toBeNaN();
    expect(emptyDays(3, now, ['a']).map((d) => d.label)).toEqual(['11-27', '11-28', '11-29']);
  });
});

describe('mapConcurrent', () => {
  it('keeps order and bounds concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await (await import('../src/stats')).mapConcurrent([5, 1, 4, 2, 3], 2, async (x) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});

describe('domainMap', () => {
  it('maps registry domains to platform ids', async () => {
    const { domainMap, platformOf } = await import('../src/stats');
    const m = domainMap([{ id: 'telegram', domains: ['t.me', 'Telegram.org'] }, { id: 'x' }]);
    expect(platformOf('https://t.me/c/1', m)).toBe('telegram');
    expect(platformOf('https://web.telegram.org/', m)).toBe('telegram');
    expect(platformOf('https://example.com/', m)).toBe('example.com');
  });
});
