// Operations (action days) the user's organisation takes part in, with their live counters
// (GET /api/v1/operations?counters=true; docs/referrals.md "Operations").
import { isNotAvailable } from '../api';
import { formatDuration } from '../clock';
import { ErrorBox, Loading, NotAvailable, StateBadge, useLoad } from '../components';
import { removalShare, sortOperations, windowPhase } from '../operations';
import { useSession } from '../session';
import { percent } from '../stats';

const day = (ms: number) => (ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : 'open');

export function OperationsPage() {
  const { api } = useSession();
  const load = useLoad(() => api.operations(true), []);
  if (load.error !== undefined && isNotAvailable(load.error)) return <NotAvailable what="Operations" />;
  const now = Date.now();
  return (
    <section>
      <h1>Operations</h1>
      {load.error !== undefined && <ErrorBox error={load.error} what="Operations" />}
      {!load.data && load.error === undefined && <Loading />}
      {load.data && load.data.length === 0 && <p class="muted">Your organisation takes part in no operation.</p>}
      {load.data && load.data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="operations">
            <thead>
              <tr>
                <th scope="col">operation</th>
                <th scope="col">state</th>
                <th scope="col">window (UTC)</th>
                <th scope="col">organisations</th>
                <th scope="col">collected</th>
                <th scope="col">referred</th>
                <th scope="col">acknowledged</th>
                <th scope="col">removed</th>
                <th scope="col">rejected</th>
                <th scope="col">held</th>
                <th scope="col">overdue orders</th>
                <th scope="col">time to removal (median / p90)</th>
              </tr>
            </thead>
            <tbody>
              {sortOperations(load.data).map((op) => {
                const c = op.counters;
                return (
                  <tr key={op.name}>
                    <th scope="row">
                      {op.name}
                      {op.title && <div class="muted">{op.title}</div>}
                    </th>
                    <td>
                      <StateBadge state={op.state} /> <span class="muted">{windowPhase(op, now)}</span>
                    </td>
                    <td>
                      {day(op.start_ms)} – {day(op.end_ms)}
                    </td>
                    <td>{op.organisations.join(', ')}</td>
                    <td>{c?.items_collected ?? '–'}</td>
                    <td>
                      {c?.referrals ?? 0} <span class="muted">({c?.items_referred ?? 0} URLs)</span>
                    </td>
                    <td>{c?.acknowledged ?? 0}</td>
                    <td>
                      {c?.removed ?? 0} <span class="muted">{percent(removalShare(op))}</span>
                    </td>
                    <td>{c?.rejected ?? 0}</td>
                    <td>{c?.held ?? 0}</td>
                    <td>{c?.overdue_orders ?? 0}</td>
                    <td>
                      {c && c.removed > 0
                        ? `${formatDuration(c.median_time_to_removal_ms)} / ${formatDuration(c.p90_time_to_removal_ms)}`
                        : '–'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
