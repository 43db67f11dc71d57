// A platform liaison's view: referrals addressed to its platform (pulled from
// /platform/referrals, which marks them delivered, so this browser keeps what it received),
// the one-hour clock of removal orders from receipt, and the feedback buttons.
import { useState } from 'preact/hooks';
import { errorText, isNotAvailable, type FeedbackStatus, type Notice } from '../api';
import { ErrorBox, NotAvailable } from '../components';
import { formatTime, ONE_HOUR_MS, orderClock } from '../clock';
import { useSession } from '../session';
import { useNow } from './referrals';

interface Received {
  notice: Notice;
  received_ms: number;
  state?: string; // after our feedback
}

const storeKey = (user: string) => `vigil.liaison.${user}`;

export function mergeReceived(old: Received[], notices: Notice[], now: number): Received[] {
  const byId = new Map(old.map((r) => [r.notice.referral_id, r]));
  for (const n of notices) {
    const prev = byId.get(n.referral_id);
    byId.set(n.referral_id, prev ? { ...prev, notice: n } : { notice: n, received_ms: now });
  }
  return [...byId.values()].sort((a, b) => b.received_ms - a.received_ms);
}

const FEEDBACK: { status: FeedbackStatus; label: string }[] = [
  { status: 'acknowledged', label: 'Acknowledge' },
  { status: 'removed', label: 'Removed' },
  { status: 'geo_blocked', label: 'Geo-blocked' },
  { status: 'rejected', label: 'Reject' },
  { status: 'cannot_comply', label: 'Cannot comply' },
  { status: 'clarification_request', label: 'Ask for clarification' },
];

interface NoticeItem {
  url?: string;
  account?: string;
  labels?: string[];
  reason?: string;
}

export function LiaisonPage() {
  const { api, me } = useSession();
  const [received, setReceived] = useState<Received[]>(() => {
    try {
      return JSON.parse(localStorage.getItem(storeKey(me.user.name)) ?? '[]') as Received[];
    } catch {
      return [];
    }
  });
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const [reason, setReason] = useState('');
  const now = useNow();
  const save = (r: Received[]) => {
    setReceived(r);
    localStorage.setItem(storeKey(me.user.name), JSON.stringify(r.slice(0, 500)));
  };
  const pull = async () => {
    setError(undefined);
    try {
      const notices = await api.platformReferrals(100);
      save(mergeReceived(received, notices, Date.now()));
      setMessage(`${notices.length} new referral(s).`);
    } catch (e) {
      setError(e);
    }
  };
  const feedback = async (r: Received, status: FeedbackStatus) => {
    try {
      const out = await api.platformFeedback({
        referral_id: r.notice.referral_id,
        status,
        reason: reason || undefined,
        ...(status === 'cannot_comply' ? { cannot_comply_reason: 'insufficient_information' } : {}),
      } as Parameters<typeof api.platformFeedback>[0]);
      save(received.map((x) => (x.notice.referral_id === r.notice.referral_id ? { ...x, state: out.state } : x)));
      setMessage(`Referral #${r.notice.referral_id}: ${out.state.replace(/_/g, ' ')}.`);
      setReason('');
    } catch (e) {
      setMessage(`Feedback not recorded: ${errorText(e)}`);
    }
  };
  if (error !== undefined && isNotAvailable(error))
    return (
      <section>
        <h1>Referrals to {me.organisation.name}</h1>
        <NotAvailable what="The platform liaison view" />
      </section>
    );
  return (
    <section>
      <div class="title-row">
        <h1>Referrals to {me.organisation.name}</h1>
        <button type="button" class="primary" onClick={pull} data-testid="pull">
          Fetch new referrals
        </button>
      </div>
      <p class="muted">
        Referrals are fetched from vigil once (fetching records them as delivered); this browser
        keeps what it fetched. A removal order must be acted on within one hour of receipt.
      </p>
      <p role="status" aria-live="polite" data-testid="liaison-message">
        {message}
      </p>
      {error !== undefined && <ErrorBox error={error} />}
      <label class="search">
        Reason or reference sent with the next answer (optional)
        <input type="text" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </label>
      {!received.length && <p class="muted">Nothing received yet.</p>}
      <ul class="notices">
        {received.map((r) => {
          const n = r.notice;
          const order = n.removal_order !== undefined;
          const clock = order
            ? orderClock({ deadline_ms: r.received_ms + ONE_HOUR_MS, complied: r.state === 'removed' || r.state === 'geo_blocked' }, now)
            : null;
          const items = (n.items as NoticeItem[] | undefined) ?? [];
          return (
            <li key={n.referral_id} class="card" data-testid={`notice-${n.referral_id}`}>
              <h2>
                {order ? 'Removal order' : 'Referral'} #{n.referral_id}{' '}
                {r.state && <span class={`badge badge-${r.state}`}>{r.state.replace(/_/g, ' ')}</span>}
                {clock && (
                  <span class={`clock clock-${clock.state}`} role="timer" aria-label={clock.label}>
                    {clock.text}
                  </span>
                )}
              </h2>
              <p class="muted">
                from {String(n.sender ?? '–')} · received {formatTime(r.received_ms)} · route {String(n.route ?? '–')}
              </p>
              <ul>
                {items.map((i, k) => (
                  <li key={k}>
                    <code class="wrap">{i.url}</code> {i.account ? `(account ${i.account})` : ''}{' '}
                    <span class="muted">{(i.labels ?? []).join(', ')}</span>
                  </li>
                ))}
              </ul>
              <div class="feedback" role="group" aria-label={`Answer referral ${n.referral_id}`}>
                {FEEDBACK.map((f) => (
                  <button type="button" key={f.status} onClick={() => feedback(r, f.status)}>
                    {f.label}
                  </button>
                ))}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
