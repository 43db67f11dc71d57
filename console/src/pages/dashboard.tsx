// The operation dashboard: items found (review queue), referred and removed (referrals), by
// platform and by day; removal rate and time to removal per platform. Plain SVG charts.
import { useEffect } from 'preact/hooks';
import { isNotAvailable, type QueueEntry, type ReviewState } from '../api';
import { BarChart, ErrorBox, Loading, NotAvailable, useLoad } from '../components';
import { formatDuration } from '../clock';
import { useSession } from '../session';
import { buildDashboard, DASHBOARD_ITEM_LOOKUPS, domainMap, mapConcurrent, percent } from '../stats';

const REFRESH_MS = 15_000;

export function DashboardPage() {
  const { api, can } = useSession();
  const load = useLoad(async () => {
    const t0 = performance.now();
    const states: ReviewState[] = ['pending', 'confirmed', 'rejected'];
    if (can('review.escalated')) states.push('escalated');
    let entries: QueueEntry[] | null = can('review')
      ? (await Promise.all(states.map((s) => api.reviewQueue(s, 10000)))).flat()
      : null;
    if (entries) {
      // The queue list has no URLs: look up the newest items for their platform.
      const newest = [...entries].sort((a, b) => b.submitted_ms - a.submitted_ms).slice(0, DASHBOARD_ITEM_LOOKUPS);
      const items = new Map(
        (await mapConcurrent(newest, 6, (e) => api.item(e.item_id).catch(() => undefined)))
          .filter((i) => i !== undefined)
          .map((i) => [i!.id, i!]),
      );
      entries = entries.map((e) => ({ ...e, item: e.item ?? items.get(e.item_id) }));
    }
    const [referrals, stats, platforms] = await Promise.all([
      api.referrals({ limit: 10000 }).catch((e) => {
        if (isNotAvailable(e) || (e as { status?: number }).status === 403) return null;
        throw e;
      }),
      api.referralStats('platform').catch((e) => {
        if (isNotAvailable(e) || (e as { status?: number }).status === 403) return null;
        throw e;
      }),
      // Links are attributed to registry platforms when the server has the registry.
      api.platforms().catch(() => []),
    ]);
    const d = buildDashboard(entries ?? [], referrals, stats?.rows ?? null, Date.now(), 14, domainMap(platforms));
    return { d, entriesAvailable: entries !== null, total: stats?.total, ms: performance.now() - t0 };
  }, []);
  useEffect(() => {
    const t = setInterval(load.reload, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    // The e2e test reads this to measure the dashboard's first load.
    if (load.data) {
      document.body.dataset.dashboardReady = '1';
      document.body.dataset.dashboardApiMs = String(Math.round(load.data.ms));
    }
  }, [load.data]);

  if (load.error !== undefined) return <ErrorBox error={load.error} />;
  if (!load.data) return <Loading />;
  const { d, total, entriesAvailable } = load.data;
  const p = d.platforms;
  return (
    <section class="dashboard" data-testid="dashboard">
      <div class="title-row">
        <h1>Operation dashboard</h1>
        <button type="button" onClick={load.reload} disabled={load.loading}>
          {load.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <ul class="kpis">
        <li>
          <span class="kpi" data-testid="kpi-found">{entriesAvailable ? d.found : '–'}</span> items found
        </li>
        <li>
          <span class="kpi" data-testid="kpi-pending">{entriesAvailable ? d.pending : '–'}</span> waiting for review
        </li>
        <li>
          <span class="kpi" data-testid="kpi-confirmed">{entriesAvailable ? d.confirmed : '–'}</span> confirmed
        </li>
        <li>
          <span class="kpi" data-testid="kpi-referred">{d.referralsAvailable ? d.referred : '–'}</span> referred
        </li>
        <li>
          <span class="kpi" data-testid="kpi-removed">{d.referralsAvailable ? d.removed : '–'}</span> removed
        </li>
        <li>
          <span class="kpi" data-testid="kpi-rate">{d.referralsAvailable ? percent(d.removalRate) : '–'}</span> removal rate
        </li>
        {total && (
          <li>
            <span class={`kpi ${total.overdue_orders ? 'kpi-alert' : ''}`}>{total.overdue_orders}</span> overdue removal orders
          </li>
        )}
      </ul>
      {!entriesAvailable && <p class="muted">Items found need the review permission; your role does not have it.</p>}
      {!d.referralsAvailable && <NotAvailable what="Referral figures (referred, removed, time to removal)" />}
      <div class="charts">
        <BarChart
          title="Over time (last 14 days)"
          categories={d.days.map((x) => x.label)}
          series={[
            { key: 'found', label: 'found', class: 's-found' },
            { key: 'referred', label: 'referred', class: 's-referred' },
            { key: 'removed', label: 'removed', class: 's-removed' },
          ]}
          values={(c, s) => d.days[c].values[s] ?? 0}
        />
        <BarChart
          title="By platform"
          categories={p.map((x) => x.platform)}
          series={[
            { key: 'found', label: 'found', class: 's-found' },
            { key: 'referred', label: 'referred', class: 's-referred' },
            { key: 'removed', label: 'removed', class: 's-removed' },
          ]}
          values={(c, s) => (p[c] as unknown as Record<string, number>)[s] ?? 0}
        />
        {d.referralsAvailable && (
          <BarChart
            title="Removal rate by platform"
            categories={p.filter((x) => x.referred).map((x) => x.platform)}
            series={[{ key: 'rate', label: 'removed / referred', class: 's-removed' }]}
            values={(c) => p.filter((x) => x.referred)[c].removalRate}
            format={percent}
            max={1}
          />
        )}
        {d.referralsAvailable && (
          <BarChart
            title="Time to removal by platform (median, p90)"
            categories={p.filter((x) => x.removed).map((x) => x.platform)}
            series={[
              { key: 'medianMs', label: 'median', class: 's-referred' },
              { key: 'p90Ms', label: 'p90', class: 's-p90' },
            ]}
            values={(c, s) => {
              const v = (p.filter((x) => x.removed)[c] as unknown as Record<string, number>)[s];
              return Number.isFinite(v) ? v : 0;
            }}
            format={(v) => formatDuration(v)}
            minMax={60_000}
          />
        )}
      </div>
      <h2>By platform</h2>
      <div class="table-wrap">
        <table data-testid="platform-table">
          <thead>
            <tr>
              <th scope="col">platform</th>
              <th scope="col">found</th>
              <th scope="col">referred</th>
              <th scope="col">removed</th>
              <th scope="col">removal rate</th>
              <th scope="col">median time to removal</th>
            </tr>
          </thead>
          <tbody>
            {p.map((r) => (
              <tr key={r.platform}>
                <th scope="row">{r.platform}</th>
                <td>{r.found}</td>
                <td>{r.referred}</td>
                <td>{r.removed}</td>
                <td>{r.referred ? percent(r.removalRate) : '–'}</td>
                <td>{Number.isFinite(r.medianMs) ? formatDuration(r.medianMs) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
