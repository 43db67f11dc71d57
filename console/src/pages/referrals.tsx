// Referrals per platform with their status and, for EU TCO removal orders, the running
// one-hour clock; creating referrals from confirmed items and sending them.
import { useEffect, useState } from 'preact/hooks';
import { errorText, isNotAvailable, type Referral } from '../api';
import { ErrorBox, Link, Loading, NotAvailable, StateBadge, useLoad } from '../components';
import { formatTime, orderClock } from '../clock';
import { useSession } from '../session';

export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}

export function Clock(props: { referral: Referral; now: number; fetchedAt: number }) {
  const { referral: r } = props;
  if (r.route !== 'tco_removal_order') return <span class="muted">–</span>;
  const c = orderClock(r.order?.clock ?? r.order, props.now, props.fetchedAt);
  return (
    <span class={`clock clock-${c.state}`} role="timer" aria-label={c.label} data-testid="clock">
      {c.text}
    </span>
  );
}

const ROUTES = [
  { value: 'voluntary', label: 'Voluntary referral' },
  { value: 'tco_removal_order', label: 'EU TCO removal order (one hour)' },
  { value: 'dsa_art9_order', label: 'DSA Art. 9 order' },
];

const GROUNDS = [
  { value: 'art2_7_a', label: '(a) incites' },
  { value: 'art2_7_b', label: '(b) solicits' },
  { value: 'art2_7_c', label: '(c) solicits participation' },
  { value: 'art2_7_d', label: '(d) instructs' },
  { value: 'art2_7_e', label: '(e) threatens' },
];

function CreateReferral(props: { onCreated: () => void }) {
  const { api } = useSession();
  const confirmed = useLoad(() => api.reviewQueue('confirmed', 500), []);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [route, setRoute] = useState('voluntary');
  const [operation, setOperation] = useState('');
  const [authority, setAuthority] = useState('');
  const [memberState, setMemberState] = useState('');
  const [reference, setReference] = useState('');
  const [grounds, setGrounds] = useState<Set<string>>(new Set(['art2_7_a']));
  const [reasons, setReasons] = useState('');
  const [emergency, setEmergency] = useState(false);
  const [message, setMessage] = useState('');
  const toggle = (id: number) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!selected.size) {
      setMessage('Choose at least one confirmed item.');
      return;
    }
    try {
      const out = await api.createReferrals({
        route,
        operation: operation || undefined,
        items: [...selected].map((item_id) => ({ item_id })),
        order:
          route === 'tco_removal_order'
            ? { issuing_authority: authority, issuing_member_state: memberState, reference, grounds: [...grounds], reasons, emergency }
            : undefined,
      });
      setMessage(
        `Created ${out.created.length} referral(s)${out.merged.length ? `, merged into ${out.merged.length}` : ''}${out.items_held ? `, ${out.items_held} item(s) held` : ''}.`,
      );
      setSelected(new Set());
      props.onCreated();
    } catch (err) {
      setMessage(`Not created: ${errorText(err)}`);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-h" data-testid="create-referral">
      <h2 id="create-h">Refer confirmed items</h2>
      {confirmed.error !== undefined && <ErrorBox error={confirmed.error} />}
      {confirmed.data && !confirmed.data.length && <p class="muted">No confirmed items yet: review first.</p>}
      {confirmed.data && confirmed.data.length > 0 && (
        <fieldset>
          <legend>Items</legend>
          <ul class="checks">
            {confirmed.data.map((e) => (
              <li key={e.item_id}>
                <label>
                  <input type="checkbox" checked={selected.has(e.item_id)} onChange={() => toggle(e.item_id)} /> item #{e.item_id}{' '}
                  <span class="muted">tier {e.tier || e.severity_tier}</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      <div class="form-row">
        <label>
          Route
          <select value={route} onChange={(e) => setRoute((e.target as HTMLSelectElement).value)}>
            {ROUTES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Operation
          <input type="text" value={operation} onInput={(e) => setOperation((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {route === 'tco_removal_order' && (
        <div class="form-row">
          <label>
            Issuing authority
            <input type="text" required value={authority} onInput={(e) => setAuthority((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Member state
            <input type="text" required maxLength={2} value={memberState} onInput={(e) => setMemberState((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Reference
            <input type="text" required value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
          </label>
          <fieldset>
            <legend>Grounds (Regulation (EU) 2021/784 Art. 2(7))</legend>
            <ul class="checks inline">
              {GROUNDS.map((g) => (
                <li key={g.value}>
                  <label>
                    <input
                      type="checkbox"
                      checked={grounds.has(g.value)}
                      onChange={() => {
                        const n = new Set(grounds);
                        if (n.has(g.value)) n.delete(g.value);
                        else n.add(g.value);
                        setGrounds(n);
                      }}
                    />{' '}
                    {g.label}
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
          <label class="inline-check">
            <input type="checkbox" checked={emergency} onChange={() => setEmergency(!emergency)} /> Emergency (TCO Art. 3(2): no
            12-hour prior notice needed)
          </label>
          <label class="block">
            Reasons
            <textarea rows={2} required value={reasons} onInput={(e) => setReasons((e.target as HTMLTextAreaElement).value)} />
          </label>
        </div>
      )}
      <button type="submit" class="primary">
        Create referral
      </button>
      <p role="status" aria-live="polite" data-testid="create-message">
        {message}
      </p>
    </form>
  );
}

// Art. 3(2) prior notices and the transparency report (CSV download with the token).
function Tools() {
  const { api } = useSession();
  const [platform, setPlatform] = useState('');
  const [message, setMessage] = useState('');
  return (
    <details class="card">
      <summary>Prior notices and transparency report</summary>
      <form
        class="form-row"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api.request('POST', '/platform-notices', { json: { platform } });
            setMessage(`Recorded the Art. 3(2) notice to ${platform}; its first removal order may follow in 12 hours.`);
          } catch (err) {
            setMessage(errorText(err));
          }
        }}
      >
        <label>
          Platform id
          <input type="text" required value={platform} onInput={(e) => setPlatform((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Record prior notice</button>
        <button
          type="button"
          onClick={async () => {
            try {
              const csv = await api.request<string>('GET', '/reports/transparency', { query: { format: 'csv' } });
              const url = URL.createObjectURL(new Blob([typeof csv === 'string' ? csv : JSON.stringify(csv)], { type: 'text/csv' }));
              const a = document.createElement('a');
              a.href = url;
              a.download = 'vigil-transparency-report.csv';
              a.click();
              setTimeout(() => URL.revokeObjectURL(url), 1000);
              setMessage('Transparency report downloaded.');
            } catch (err) {
              setMessage(errorText(err));
            }
          }}
        >
          Download transparency report (CSV)
        </button>
      </form>
      <p role="status" aria-live="polite">
        {message}
      </p>
    </details>
  );
}

export function ReferralsPage() {
  const { api, can } = useSession();
  const [fetchedAt, setFetchedAt] = useState(Date.now());
  const load = useLoad(async () => {
    const r = await api.referrals({ limit: 1000 });
    setFetchedAt(Date.now());
    return r;
  }, []);
  const now = useNow();
  const [message, setMessage] = useState('');
  if (load.error !== undefined && isNotAvailable(load.error))
    return (
      <section>
        <h1>Referrals</h1>
        <NotAvailable what="Referrals" />
      </section>
    );
  const send = async (id?: number) => {
    try {
      if (id) {
        const out = await api.sendReferral(id);
        setMessage(`Referral #${id}: ${out.referral.state.replace(/_/g, ' ')}.`);
      } else {
        const d = await api.request<{ delivered?: number; failed?: number; waiting_pull?: number; waiting_manual?: number }>(
          'POST', '/referrals/send', { json: {} },
        );
        setMessage(
          `Sent: ${d.delivered ?? 0} delivered, ${d.failed ?? 0} failed, ${d.waiting_pull ?? 0} waiting for the platform to fetch, ${d.waiting_manual ?? 0} for manual delivery.`,
        );
      }
      load.reload();
    } catch (err) {
      setMessage(`Not sent: ${errorText(err)}`);
    }
  };
  const byPlatform = new Map<string, Referral[]>();
  for (const r of load.data ?? []) byPlatform.set(r.platform, [...(byPlatform.get(r.platform) ?? []), r]);
  const writer = can('referral.write');
  return (
    <section>
      <div class="title-row">
        <h1>Referrals</h1>
        {writer && (
          <button type="button" onClick={() => send()}>
            Send all pending
          </button>
        )}
      </div>
      <p role="status" aria-live="polite" data-testid="referrals-message">
        {message}
      </p>
      {writer && can('review') && <CreateReferral onCreated={load.reload} />}
      {writer && <Tools />}
      {load.error !== undefined && <ErrorBox error={load.error} what="Referrals" />}
      {!load.data && load.error === undefined && <Loading />}
      {load.data && !load.data.length && <p class="muted">No referrals yet.</p>}
      {[...byPlatform.entries()].map(([platform, list]) => (
        <section key={platform} aria-labelledby={`p-${platform}`} class="platform-group">
          <h2 id={`p-${platform}`}>
            {platform} <span class="muted">({list.length})</span>
          </h2>
          <div class="table-wrap">
            <table data-testid={`referrals-${platform}`}>
              <thead>
                <tr>
                  <th scope="col">referral</th>
                  <th scope="col">route</th>
                  <th scope="col">state</th>
                  <th scope="col">clock</th>
                  <th scope="col">items</th>
                  <th scope="col">created</th>
                  <th scope="col">
                    <span class="sr-only">actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link href={`/referrals/${r.id}`}>#{r.id}</Link>
                    </td>
                    <td>{r.route.replace(/_/g, ' ')}</td>
                    <td>
                      <StateBadge state={r.state} />
                    </td>
                    <td>
                      <Clock referral={r} now={now} fetchedAt={fetchedAt} />
                    </td>
                    <td>{r.items?.length ?? 0}</td>
                    <td>{formatTime(r.created_ms)}</td>
                    <td>
                      {writer && (r.state === 'pending' || r.state === 'delivery_failed') && (
                        <button type="button" onClick={() => send(r.id)} aria-label={`Send referral ${r.id}`}>
                          Send
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </section>
  );
}

export function ReferralPage(props: { id: number }) {
  const { api, can } = useSession();
  const [fetchedAt, setFetchedAt] = useState(Date.now());
  const load = useLoad(async () => {
    const r = await api.referral(props.id);
    setFetchedAt(Date.now());
    return r;
  }, [props.id]);
  const now = useNow();
  const [message, setMessage] = useState('');
  const [clarification, setClarification] = useState('');
  const r = load.data;
  return (
    <section>
      <h1>Referral #{props.id}</h1>
      {load.error !== undefined && <ErrorBox error={load.error} what="Referrals" />}
      {!r && load.error === undefined && <Loading />}
      {r && (
        <>
          <dl class="facts">
            <dt>Platform</dt>
            <dd>{r.platform}</dd>
            <dt>Route</dt>
            <dd>{r.route.replace(/_/g, ' ')}</dd>
            <dt>State</dt>
            <dd>
              <StateBadge state={r.state} /> {r.last_reason}
            </dd>
            <dt>Clock</dt>
            <dd>
              <Clock referral={r} now={now} fetchedAt={fetchedAt} />
            </dd>
            <dt>Operation</dt>
            <dd>{r.operation || '–'}</dd>
            <dt>Platform reference</dt>
            <dd>{r.platform_reference || '–'}</dd>
          </dl>
          {can('referral.write') && !['withdrawn', 'removed', 'rejected'].includes(r.state) && (
            <button
              type="button"
              onClick={async () => {
                try {
                  await api.withdrawReferral(r.id, 'withdrawn from the console');
                  setMessage('Withdrawn.');
                  load.reload();
                } catch (e) {
                  setMessage(errorText(e));
                }
              }}
            >
              Withdraw
            </button>
          )}
          {can('referral.write') && r.state === 'clarification_requested' && (
            <form
              class="card"
              onSubmit={async (e) => {
                e.preventDefault();
                try {
                  await api.request('POST', `/referrals/${r.id}/clarification`, { json: { note: clarification } });
                  setMessage('Clarification sent; a removal order\'s clock runs again.');
                  setClarification('');
                  load.reload();
                } catch (err) {
                  setMessage(errorText(err));
                }
              }}
            >
              <label class="block">
                Answer the platform's clarification request
                <textarea rows={2} required value={clarification} onInput={(e) => setClarification((e.target as HTMLTextAreaElement).value)} />
              </label>
              <button type="submit">Send clarification</button>
            </form>
          )}
          <p role="status">{message}</p>
          <h2>Items</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">item</th>
                  <th scope="col">URL</th>
                  <th scope="col">account</th>
                  <th scope="col">URL status</th>
                  <th scope="col">removed</th>
                </tr>
              </thead>
              <tbody>
                {(r.items ?? []).map((i, k) => (
                  <tr key={k}>
                    <td>{i.item_id ? <Link href={`/items/${i.item_id}`}>#{i.item_id}</Link> : '–'}</td>
                    <td>
                      <code class="wrap">{i.url}</code>
                    </td>
                    <td>{i.account || '–'}</td>
                    <td>{i.url_status || '–'}</td>
                    <td>{formatTime(i.removed_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>History</h2>
          <ol class="history">
            {(r.history ?? []).map((h, k) => (
              <li key={k}>
                {formatTime(h.at_ms)} {h.actor}: {h.from} → {h.to} {h.note ? `(${h.note})` : ''}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
