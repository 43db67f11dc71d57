// Shared pieces: links, load states, the "not available on this server" state, charts.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText, isNotAvailable } from './api';
import { linkClick } from './router';
import { domainMap, niceMax } from './stats';

export function Link(props: { href: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  return (
    <a href={props.href} class={props.class} aria-current={props['aria-current']} onClick={linkClick}>
      {props.children}
    </a>
  );
}

export interface Load<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

// Runs `fn` on mount and whenever `deps` change; `reload` runs it again.
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function NotAvailable(props: { what: string }) {
  return (
    <div class="notice notice-na" role="status" data-testid="not-available">
      <strong>Not available on this server.</strong> {props.what} needs API endpoints this vigil
      server does not offer (it answered <code>route_not_found</code>). Nothing is shown rather
      than made-up data.
    </div>
  );
}

export function ErrorBox(props: { error: unknown; what?: string }) {
  if (isNotAvailable(props.error)) return <NotAvailable what={props.what ?? 'This page'} />;
  return (
    <div class="notice notice-error" role="alert">
      {errorText(props.error)}
    </div>
  );
}

export function Loading() {
  return (
    <p class="muted" role="status" aria-live="polite">
      Loading…
    </p>
  );
}

export function StateBadge(props: { state: string }) {
  return <span class={`badge badge-${props.state}`}>{props.state.replace(/_/g, ' ')}</span>;
}

// --- plain SVG charts -------------------------------------------------------------------

export interface Series {
  key: string;
  label: string;
  class: string;
}

// Grouped vertical bars over categories (days or platforms). Accessible: the SVG has a
// title and a description, and a data table follows for screen readers.
export function BarChart(props: {
  title: string;
  categories: string[];
  series: Series[];
  values: (category: number, series: string) => number;
  format?: (v: number) => string;
  max?: number;
  minMax?: number; // the axis reaches at least this
  height?: number;
}) {
  const { categories, series, values } = props;
  const fmt = props.format ?? ((v: number) => String(v));
  const W = 600;
  const H = props.height ?? 200;
  const left = 40;
  const bottom = 28;
  const top = 10;
  let dataMax = 0;
  categories.forEach((_, c) => series.forEach((s) => (dataMax = Math.max(dataMax, values(c, s.key)))));
  const max = props.max ?? niceMax(Math.max(dataMax, props.minMax ?? 0));
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.max(2, (groupW * 0.8) / series.length);
  const y = (v: number) => top + plotH - (Math.min(v, max) / max) * plotH;
  const labelEvery = Math.ceil(categories.length / 8);
  const id = props.title.replace(/\W+/g, '-').toLowerCase();
  return (
    <figure class="chart">
      <figcaption id={`${id}-t`}>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t`} preserveAspectRatio="none">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={left} x2={W - 8} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={left - 4} y={y(max * f) + 4} text-anchor="end">
              {fmt(max * f)}
            </text>
          </g>
        ))}
        {categories.map((cat, c) => (
          <g key={cat}>
            {series.map((s, i) => {
              const v = values(c, s.key);
              const x = left + c * groupW + groupW * 0.1 + i * barW;
              return (
                <rect class={`bar ${s.class}`} x={x} y={y(v)} width={barW - 1} height={Math.max(0, top + plotH - y(v))}>
                  <title>{`${cat} ${s.label}: ${fmt(v)}`}</title>
                </rect>
              );
            })}
            {c % labelEvery === 0 && (
              <text class="axis" x={left + c * groupW + groupW / 2} y={H - 10} text-anchor="middle">
                {cat.length > 12 ? cat.slice(0, 11) + '…' : cat}
              </text>
            )}
          </g>
        ))}
      </svg>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.key}>
            <span class={`swatch ${s.class}`} aria-hidden="true" /> {s.label}
          </li>
        ))}
      </ul>
      <table class="sr-only">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">category</th>
            {series.map((s) => (
              <th scope="col" key={s.key}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {categories.map((cat, c) => (
            <tr key={cat}>
              <th scope="row">{cat}</th>
              {series.map((s) => (
                <td key={s.key}>{fmt(values(c, s.key))}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

// The registry's domain -> platform map, fetched once per session (empty without registry).
const domainCache = new WeakMap<object, Promise<Map<string, string>>>();
export function usePlatformDomains(api: import('./api').Api): Map<string, string> {
  const [m, setM] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    let p = domainCache.get(api);
    if (!p) {
      p = api.platforms().then(domainMap, () => new Map<string, string>());
      domainCache.set(api, p);
    }
    let live = true;
    p.then((x) => live && setM(x));
    return () => {
      live = false;
    };
  }, [api]);
  return m;
}
