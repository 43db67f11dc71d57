// Item detail: media (covered by default), signals, matches with provenance, link and
// platform, account, review state. ItemView is shared with the review page.
import { useEffect, useReducer, useState } from 'preact/hooks';
import type { Item, Media, QueueEntry } from '../api';
import { ErrorBox, Link, Loading, StateBadge, useLoad, usePlatformDomains } from '../components';
import { formatTime } from '../clock';
import { COVERED, isRevealed, mediaClass, revealReducer, recordGraphicSeen, isGraphic, type RevealState, type RevealAction } from '../safety';
import { useSession } from '../session';
import { platformOf } from '../stats';

// Only media the console's own origin can load (data:, blob:, same-origin paths): the
// server's Content-Security-Policy blocks anything else anyway, and a reviewer's browser
// must not fetch from a hostile host.
export function displayableUri(uri: string | undefined): boolean {
  if (!uri) return false;
  return /^data:(image|video)\//i.test(uri) || uri.startsWith('blob:') || (uri.startsWith('/') && !uri.startsWith('//'));
}

// Ticks `now` while something is revealed, so the cover comes back on time.
export function useRevealClock(state: RevealState, dispatch: (a: RevealAction) => void): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state.itemId === null) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      dispatch({ type: 'tick', now: n });
    }, 250);
    return () => clearInterval(t);
  }, [state.itemId]);
  return now;
}

function MediaView(props: { media: Media; revealed: boolean }) {
  const { media, revealed } = props;
  const cls = mediaClass(revealed);
  if (!displayableUri(media.uri)) {
    return (
      <div class="media-placeholder">
        {media.kind} {media.uri ? <span>not loaded (external: <code class="wrap">{media.uri}</code>)</span> : 'without a stored copy'}
      </div>
    );
  }
  if (media.kind === 'video') {
    return (
      // Muted, no autoplay, no preload; controls only once revealed.
      <video class={cls} src={media.uri} muted preload="none" controls={revealed} playsInline aria-label={`video ${media.id}`} />
    );
  }
  return <img class={cls} src={media.uri} alt={`${media.kind} ${media.id} (${revealed ? 'revealed' : 'covered'})`} />;
}

export function MediaPanel(props: {
  item: Item;
  reveal: RevealState;
  dispatch: (a: RevealAction) => void;
  now: number;
}) {
  const { item, reveal, dispatch, now } = props;
  const { me } = useSession();
  const revealed = isRevealed(reveal, item.id, now);
  const media = item.media ?? [];
  const toggle = () => {
    if (revealed) dispatch({ type: 'hide' });
    else {
      dispatch({ type: 'reveal', itemId: item.id, now: Date.now() });
      recordGraphicSeen(localStorage, me.user.name, item.id, new Date());
      window.dispatchEvent(new Event('vigil-graphic-seen'));
    }
  };
  if (!media.length) return <p class="muted">No media.</p>;
  return (
    <div class="media-panel" data-testid="media-panel" data-revealed={revealed ? 'true' : 'false'}>
      <div class="media-grid">
        {media.map((m) => (
          <MediaView key={m.id} media={m} revealed={revealed} />
        ))}
      </div>
      <button type="button" onClick={toggle} aria-pressed={revealed} data-testid="reveal">
        {revealed ? `Cover media (v) · covers itself in ${Math.max(0, Math.ceil((reveal.until - now) / 1000))} s` : 'Reveal media (v)'}
      </button>
    </div>
  );
}

export function ItemView(props: { item: Item; entry?: QueueEntry; reveal: RevealState; dispatch: (a: RevealAction) => void; now: number }) {
  const { item } = props;
  const { api } = useSession();
  const domains = usePlatformDomains(api);
  const entry = props.entry ?? item.review;
  const matches = item.matches ?? [];
  const labels = [...new Set(matches.flatMap((m) => m.labels))];
  return (
    <div class="item-view">
      <div class="item-main">
        <MediaPanel item={item} reveal={props.reveal} dispatch={props.dispatch} now={props.now} />
        <dl class="facts">
          <dt>Item</dt>
          <dd>
            <Link href={`/items/${item.id}`}>#{item.id}</Link> {entry && <StateBadge state={entry.state} />}
            {isGraphic(labels) && <span class="badge badge-graphic">graphic</span>}
          </dd>
          <dt>Link</dt>
          <dd>{item.url ? <code class="wrap">{item.url}</code> : '–'}</dd>
          <dt>Platform</dt>
          <dd data-testid="item-platform">{platformOf(item.url, domains)}</dd>
          <dt>Account</dt>
          <dd>{item.account || '–'}</dd>
          <dt>Source</dt>
          <dd>{item.source || '–'}</dd>
          <dt>Posted / collected</dt>
          <dd>
            {formatTime(item.posted_ms)} / {formatTime(item.collected_ms)}
          </dd>
          {entry && (
            <>
              <dt>Priority</dt>
              <dd>
                {entry.priority.toFixed(2)} (tier {entry.severity_tier}, confidence {entry.confidence.toFixed(2)}, reach {entry.reach})
              </dd>
              {entry.decided_by && (
                <>
                  <dt>Decided</dt>
                  <dd>
                    {entry.state} by {entry.decided_by} at {formatTime(entry.decided_ms)}
                    {entry.note ? ` — ${entry.note}` : ''}
                  </dd>
                </>
              )}
            </>
          )}
        </dl>
      </div>
      <h2>Matches ({matches.length})</h2>
      <div class="table-wrap">
        <table data-testid="matches">
          <thead>
            <tr>
              <th scope="col">bank</th>
              <th scope="col">type</th>
              <th scope="col">distance</th>
              <th scope="col">labels</th>
              <th scope="col">contributed by</th>
              <th scope="col">exchange</th>
              <th scope="col">false-positive reports</th>
              <th scope="col">signal</th>
            </tr>
          </thead>
          <tbody>
            {matches.map((m) => (
              <tr key={`${m.signal_id}-${m.media_id}`}>
                <td>{m.bank}</td>
                <td>{m.type}</td>
                <td>{m.distance}</td>
                <td>{m.labels.join(', ') || '–'}</td>
                <td>{m.contributor_org}</td>
                <td>{m.source_exchange || '–'}</td>
                <td>{m.false_positive_reports ?? 0}</td>
                <td>
                  <code title={m.value}>#{m.signal_id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Signals</h2>
      <ul class="signals">
        {(item.media ?? []).flatMap((m) =>
          (m.signals ?? []).map((s, i) => (
            <li key={`${m.id}-${i}`}>
              <span class="muted">media {m.id}</span> {s.type}
              {s.quality !== undefined && s.quality >= 0 ? ` (quality ${s.quality})` : ''}: <code class="wrap">{s.value}</code>
            </li>
          )),
        )}
        {(item.media ?? []).map((m) =>
          m.sha256 ? (
            <li key={`sha-${m.id}`}>
              <span class="muted">media {m.id}</span> sha256: <code class="wrap">{m.sha256}</code>
            </li>
          ) : null,
        )}
      </ul>
    </div>
  );
}

export function ItemPage(props: { id: number }) {
  const { api } = useSession();
  const load = useLoad(() => api.item(props.id), [props.id]);
  const [reveal, dispatch] = useReducer(revealReducer, COVERED);
  const now = useRevealClock(reveal, dispatch);
  useEffect(() => () => dispatch({ type: 'leave' }), [props.id]);
  return (
    <section>
      <h1>Item #{props.id}</h1>
      {load.loading && !load.data && <Loading />}
      {load.error !== undefined && <ErrorBox error={load.error} />}
      {load.data && <ItemView item={load.data} reveal={reveal} dispatch={dispatch} now={now} />}
    </section>
  );
}
