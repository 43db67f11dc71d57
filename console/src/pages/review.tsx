// The review queue: the next item (leased for 5 minutes), decisions by button or key,
// the graphic-items budget, and the queue below.
import { useCallback, useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { errorText, type QueueEntry, type ReviewState } from '../api';
import { ErrorBox, Link, Loading, StateBadge, useLoad } from '../components';
import { formatTime } from '../clock';
import { budgetLevel, COVERED, graphicBudget, graphicSeenToday, revealReducer, setGraphicBudget } from '../safety';
import { REVIEW_SHORTCUTS, shortcutFor } from '../shortcuts';
import { useSession } from '../session';
import { ItemView, useRevealClock } from './item';

function BudgetPanel() {
  const { me } = useSession();
  const [seen, setSeen] = useState(() => graphicSeenToday(localStorage, me.user.name, new Date()));
  const [budget, setBudget] = useState(() => graphicBudget(localStorage));
  useEffect(() => {
    const update = () => setSeen(graphicSeenToday(localStorage, me.user.name, new Date()));
    window.addEventListener('vigil-graphic-seen', update);
    return () => window.removeEventListener('vigil-graphic-seen', update);
  }, []);
  const level = budgetLevel(seen, budget);
  return (
    <aside class={`budget budget-${level}`} aria-label="Exposure budget" data-testid="budget">
      <p>
        Items whose media you revealed today: <strong data-testid="budget-seen">{seen}</strong> of {budget}
        {level === 'near' && ' — close to your budget; plan a break.'}
        {level === 'over' && ' — over your budget: take a break or hand over to a colleague.'}
      </p>
      <meter min={0} max={budget} low={Math.ceil(budget * 0.8)} high={budget} optimum={0} value={seen} aria-label="exposure today" />
      <label>
        Daily budget{' '}
        <input
          type="number"
          min={1}
          max={10000}
          value={budget}
          onChange={(e) => {
            const n = Number((e.target as HTMLInputElement).value);
            setGraphicBudget(localStorage, n);
            setBudget(graphicBudget(localStorage));
          }}
        />
      </label>
    </aside>
  );
}

function Shortcuts() {
  return (
    <details class="shortcuts" open>
      <summary>Keyboard shortcuts</summary>
      <ul>
        {REVIEW_SHORTCUTS.map((s) => (
          <li key={s.key}>
            <kbd>{s.key}</kbd> {s.description}
          </li>
        ))}
      </ul>
    </details>
  );
}

function QueueTable(props: { state: ReviewState; version: number }) {
  const { api } = useSession();
  const load = useLoad(() => api.reviewQueue(props.state, 50), [props.state, props.version]);
  if (load.error !== undefined) return <ErrorBox error={load.error} />;
  if (!load.data) return <Loading />;
  if (!load.data.length) return <p class="muted">Nothing {props.state}.</p>;
  return (
    <div class="table-wrap">
      <table data-testid={`queue-${props.state}`}>
        <thead>
          <tr>
            <th scope="col">item</th>
            <th scope="col">state</th>
            <th scope="col">priority</th>
            <th scope="col">tier</th>
            <th scope="col">submitted</th>
            <th scope="col">decided by</th>
          </tr>
        </thead>
        <tbody>
          {load.data.map((e) => (
            <tr key={e.item_id}>
              <td>
                <Link href={`/items/${e.item_id}`}>#{e.item_id}</Link>
              </td>
              <td>
                <StateBadge state={e.state} />
              </td>
              <td>{e.priority.toFixed(2)}</td>
              <td>{e.severity_tier}</td>
              <td>{formatTime(e.submitted_ms)}</td>
              <td>{e.decided_by || '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ReviewPage() {
  const { api, can } = useSession();
  const [entry, setEntry] = useState<QueueEntry | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);
  const [tab, setTab] = useState<ReviewState>('pending');
  const skipped = useRef(new Set<number>());
  const heading = useRef<HTMLHeadingElement>(null);
  const [reveal, dispatch] = useReducer(revealReducer, COVERED);
  const now = useRevealClock(reveal, dispatch);

  const next = useCallback(async () => {
    dispatch({ type: 'leave' });
    setError(undefined);
    try {
      let e = await api.reviewNext();
      // "next" hands back the item this reviewer already holds; a skipped one waits until
      // the others are done (its lease runs out after 5 minutes).
      if (e && skipped.current.has(e.item_id)) {
        const pending = await api.reviewQueue('pending', 200);
        const other = pending.find((p) => !skipped.current.has(p.item_id));
        if (other) e = { ...other, item: await api.item(other.item_id) };
        else skipped.current.clear();
      }
      if (e && !e.item) e = { ...e, item: await api.item(e.item_id) };
      setEntry(e);
      setNote('');
      setTimeout(() => heading.current?.focus(), 0);
    } catch (err) {
      setError(err);
      setEntry(null);
    }
  }, [api]);

  useEffect(() => {
    next();
    return () => dispatch({ type: 'leave' });
  }, [next]);

  const decide = useCallback(
    async (decision: 'confirm' | 'reject' | 'escalate') => {
      if (!entry || busy) return;
      setBusy(true);
      try {
        await api.decide(entry.item_id, decision, note ? { note } : {});
        setMessage(`Item #${entry.item_id}: ${decision === 'confirm' ? 'confirmed' : decision === 'reject' ? 'rejected as a false positive' : 'escalated to a supervisor'}.`);
        setVersion((v) => v + 1);
        await next();
      } catch (err) {
        setMessage(`Could not ${decision} item #${entry.item_id}: ${errorText(err)}`);
      } finally {
        setBusy(false);
      }
    },
    [entry, note, busy, api, next],
  );

  const skip = useCallback(() => {
    if (!entry) return;
    skipped.current.add(entry.item_id);
    setMessage(`Skipped item #${entry.item_id}.`);
    next();
  }, [entry, next]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = shortcutFor(e);
      if (!a || !entry) return;
      e.preventDefault();
      if (a === 'confirm' || a === 'reject' || a === 'escalate') decide(a);
      else if (a === 'skip') skip();
      else if (a === 'reveal') (document.querySelector('[data-testid=reveal]') as HTMLButtonElement | null)?.click();
      else if (a === 'help') (document.querySelector('.shortcuts summary') as HTMLElement | null)?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [entry, decide, skip]);

  return (
    <section class="review">
      <h1>Review</h1>
      <div class="review-top">
        <BudgetPanel />
        <Shortcuts />
      </div>
      <p class="status-line" role="status" aria-live="polite" data-testid="review-message">
        {message}
      </p>
      {error !== undefined && <ErrorBox error={error} />}
      {entry === undefined && <Loading />}
      {entry === null && error === undefined && (
        <p class="notice" data-testid="queue-empty">
          The queue is empty. <button type="button" onClick={next}>Check again</button>
        </p>
      )}
      {entry && entry.item && (
        <article class="review-item" aria-labelledby="review-item-h" data-testid="review-item" data-item-id={entry.item_id}>
          <h2 id="review-item-h" tabIndex={-1} ref={heading}>
            Item #{entry.item_id} <StateBadge state={entry.state} />
          </h2>
          <div class="decision-bar" role="group" aria-label="Decision">
            <label class="note">
              Note (optional)
              <input type="text" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
            </label>
            <button type="button" class="confirm" disabled={busy} onClick={() => decide('confirm')}>
              Confirm <kbd>c</kbd>
            </button>
            <button type="button" class="reject" disabled={busy} onClick={() => decide('reject')}>
              Reject <kbd>r</kbd>
            </button>
            <button type="button" class="escalate" disabled={busy} onClick={() => decide('escalate')}>
              Escalate <kbd>e</kbd>
            </button>
            <button type="button" disabled={busy} onClick={skip}>
              Skip <kbd>s</kbd>
            </button>
          </div>
          <ItemView item={entry.item} entry={entry} reveal={reveal} dispatch={dispatch} now={now} />
        </article>
      )}
      <h2>Queue</h2>
      <div class="tabs" role="group" aria-label="Queue state">
        {(['pending', 'confirmed', 'rejected', ...(can('review.escalated') ? ['escalated'] : [])] as ReviewState[]).map((s) => (
          <button type="button" key={s} aria-pressed={tab === s} onClick={() => setTab(s)}>
            {s}
          </button>
        ))}
      </div>
      <QueueTable state={tab} version={version} />
    </section>
  );
}
