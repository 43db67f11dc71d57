// The REST API client (docs/openapi.yaml). One place that adds the bearer token, turns the
// server's one error shape into ApiError, and knows which endpoints a server may not have
// yet (route_not_found), so pages can say "not available on this server" instead of
// pretending.

export interface ErrorBody {
  error?: { code?: string; message?: string };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

// True when the server does not offer the endpoint at all (an older or smaller server),
// as opposed to "the thing you asked for does not exist" (not_found).
export function isNotAvailable(e: unknown): boolean {
  return (
    e instanceof ApiError &&
    ((e.status === 404 && e.code === 'route_not_found') ||
      (e.status === 405 && e.code === 'method_not_allowed'))
  );
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code}, HTTP ${e.status})`;
  if (e instanceof Error) return e.message;
  return String(e);
}

// --- token storage (sessionStorage: gone when the tab closes) -------------------------
export const TOKEN_KEY = 'vigil.token';
const TOKEN_RE = /^vgl_[A-Za-z0-9_-]{20,200}$/;

export function validToken(t: string): boolean {
  return TOKEN_RE.test(t.trim());
}
export function loadToken(s: Pick<Storage, 'getItem'>): string | null {
  const t = s.getItem(TOKEN_KEY);
  return t && validToken(t) ? t : null;
}
export function saveToken(s: Pick<Storage, 'setItem'>, token: string): void {
  s.setItem(TOKEN_KEY, token.trim());
}
export function clearToken(s: Pick<Storage, 'removeItem'>): void {
  s.removeItem(TOKEN_KEY);
}

// --- types (the parts of the schemas the console uses) ----------------------------------
export interface Whoami {
  user: { id: number; name: string; role: string; org_id: number };
  organisation: { id: number; name: string };
  role: string;
  permissions: string[];
}
export interface Match {
  signal_id: number;
  type: string;
  value: string;
  distance: number;
  bank_id: number;
  bank: string;
  labels: string[];
  contributor_org_id: number;
  contributor_org: string;
  source_exchange?: string;
  false_positive_reports?: number;
  match_id?: number;
  media_id?: number;
  matched_ms?: number;
}
export interface QuerySignal {
  type: string;
  value: string;
  quality?: number;
}
export interface Media {
  id: number;
  kind: string;
  uri?: string;
  sha256?: string;
  signals?: QuerySignal[];
}
export interface Item {
  id: number;
  source?: string;
  url?: string;
  account?: string;
  posted_ms?: number;
  language?: string;
  collected_ms?: number;
  media?: Media[];
  review?: QueueEntry;
  matches?: Match[];
}
export type ReviewState = 'pending' | 'confirmed' | 'rejected' | 'escalated';
export interface QueueEntry {
  item_id: number;
  state: ReviewState;
  priority: number;
  severity_tier: number;
  confidence: number;
  reach: number;
  signal_ids: number[];
  submitted_ms: number;
  decided_by?: string;
  decided_ms?: number;
  labels?: string[];
  tier?: number;
  note?: string;
  item?: Item;
}
export interface Bank {
  id: number;
  name: string;
  owner_org: string;
  scope: string;
  description?: string;
  version: number;
  updated_ms?: number;
  stats?: { live: number; removed: number; live_by_type?: Record<string, number>; live_by_label?: Record<string, number> };
}
export interface Signal {
  id: number;
  type: string;
  value: string;
  quality?: number;
  labels: string[];
  source_exchange?: string;
  added_ms?: number;
}
export interface AuditEntry {
  seq: number;
  at_ms: number;
  actor: string;
  action: string;
  target: string;
  details?: string;
  hash: string;
}
export type ReferralState =
  | 'held' | 'pending' | 'delivery_failed' | 'delivered' | 'acknowledged'
  | 'clarification_requested' | 'cannot_comply' | 'geo_blocked' | 'removed' | 'rejected'
  | 'withdrawn' | 'reinstated';
export interface ReferralOrder {
  // The server's clock (deadline, remaining, paused, overdue, complied, started).
  clock?: import('./clock').OrderClock;
  deadline_ms?: number;
  remaining_ms?: number;
  paused?: boolean;
  overdue?: boolean;
  complied?: boolean;
  reference?: string;
  issuing_authority?: string;
  [k: string]: unknown;
}
export interface ReferralItem {
  item_id?: number;
  url?: string;
  account?: string;
  labels?: string[];
  removed_ms?: number;
  url_status?: string;
}
export interface Referral {
  id: number;
  platform: string;
  route: string;
  state: ReferralState;
  operation?: string;
  lead_org?: string;
  created_ms: number;
  updated_ms?: number;
  platform_reference?: string;
  last_reason?: string;
  items?: ReferralItem[];
  order?: ReferralOrder;
  receipts?: { channel: string; delivered_ms?: number; attempts?: number }[];
  history?: { at_ms: number; actor: string; from: string; to: string; note?: string }[];
}
export interface ReferralStats {
  key: string;
  referrals: number;
  urls_referred: number;
  delivered: number;
  acknowledged: number;
  removed: number;
  rejected: number;
  pending: number;
  held: number;
  removal_orders: number;
  overdue_orders: number;
  median_time_to_removal_ms: number;
  p90_time_to_removal_ms: number;
}
export interface ReferOutcome {
  created: number[];
  merged: number[];
  items_new: number;
  items_held: number;
}
export interface Notice {
  referral_id: number;
  [k: string]: unknown;
}
export type FeedbackStatus =
  | 'acknowledged' | 'removed' | 'geo_blocked' | 'rejected' | 'cannot_comply'
  | 'clarification_request' | 'resumed';
export interface Platform {
  id: string;
  name: string;
  operator?: string;
  category?: string;
  domains?: string[];
  referral?: string[];
  tco_hosting_service?: boolean;
}

export interface OperationCounters {
  items_collected: number | null;
  items_referred: number;
  referrals: number;
  delivered: number;
  acknowledged: number;
  removed: number;
  geo_blocked: number;
  rejected: number;
  held: number;
  pending: number;
  withdrawn: number;
  removal_orders: number;
  overdue_orders: number;
  median_time_to_removal_ms: number;
  p90_time_to_removal_ms: number;
}

export interface Operation {
  name: string;
  title: string;
  start_ms: number;
  end_ms: number;
  organisations: string[];
  sources: string[];
  state: 'planned' | 'active' | 'closed';
  created_by: string;
  counters?: OperationCounters;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface ApiOptions {
  token: string;
  base?: string;
  fetchFn?: typeof fetch;
  // Called on 401 so the app can return to sign-in.
  onUnauthenticated?: () => void;
}

export function buildUrl(base: string, path: string, query?: Query): string {
  let url = base.replace(/\/$/, '') + path;
  if (query) {
    const q = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
    if (q.length) url += '?' + q.join('&');
  }
  return url;
}

export class Api {
  private readonly token: string;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly onUnauthenticated?: () => void;

  constructor(o: ApiOptions) {
    this.token = o.token;
    this.base = o.base ?? '/api/v1';
    this.fetchFn = o.fetchFn ?? ((...a) => fetch(...a));
    this.onUnauthenticated = o.onUnauthenticated;
  }

  async request<T>(
    method: string,
    path: string,
    opts: { query?: Query; json?: unknown; text?: string; contentType?: string } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.text !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'text/plain';
      body = opts.text;
    }
    let res: Response;
    try {
      res = await this.fetchFn(buildUrl(this.base, path, opts.query), { method, headers, body });
    } catch (e) {
      throw new ApiError(0, 'network', `server not reachable: ${String(e)}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let code = 'http_' + res.status;
      let message = res.statusText || 'request failed';
      try {
        const b = JSON.parse(text) as ErrorBody;
        code = b.error?.code ?? code;
        message = b.error?.message ?? message;
      } catch {
        /* not the JSON error shape: keep the HTTP status */
      }
      if (res.status === 401) this.onUnauthenticated?.();
      throw new ApiError(res.status, code, message);
    }
    if (!text) return undefined as T;
    const type = res.headers.get('Content-Type') ?? '';
    return (type.includes('json') ? JSON.parse(text) : text) as T;
  }

  whoami() {
    return this.request<Whoami>('GET', '/whoami');
  }
  // Banks
  banks() {
    return this.request<{ banks: Bank[] }>('GET', '/banks').then((r) => r.banks);
  }
  bank(name: string) {
    return this.request<Bank>('GET', `/banks/${encodeURIComponent(name)}`);
  }
  createBank(name: string, description: string) {
    return this.request<Bank>('POST', '/banks', { json: { name, description } });
  }
  signals(bank: string, q: { label?: string; type?: string; limit?: number } = {}) {
    return this.request<{ signals: Signal[]; version: number }>(
      'GET', `/banks/${encodeURIComponent(bank)}/signals`, { query: { limit: 200, ...q } },
    );
  }
  importBank(bank: string, format: string, text: string, type?: string) {
    return this.request<{ added: number; merged: number; unchanged: number; invalid: number }>(
      'POST', `/banks/${encodeURIComponent(bank)}/import`,
      { query: { format, type }, text, contentType: 'application/octet-stream' },
    );
  }
  // Review and items
  reviewNext() {
    return this.request<{ entry: QueueEntry | null }>('GET', '/review/next').then((r) => r.entry);
  }
  reviewQueue(state: ReviewState, limit = 100) {
    return this.request<{ entries: QueueEntry[] }>('GET', '/review/queue', { query: { state, limit } })
      .then((r) => r.entries);
  }
  decide(id: number, decision: 'confirm' | 'reject' | 'escalate', extra: { labels?: string[]; tier?: number; note?: string } = {}) {
    return this.request<{ entry: QueueEntry }>('POST', `/review/items/${id}/decision`, {
      json: { decision, ...extra },
    });
  }
  item(id: number) {
    return this.request<Item>('GET', `/items/${id}`);
  }
  // Audit
  audit(afterSeq = 0, limit = 100) {
    return this.request<{ entries: AuditEntry[]; next_after_seq: number }>('GET', '/audit', {
      query: { after_seq: afterSeq, limit },
    });
  }
  verifyAudit() {
    return this.request<{ ok: boolean; entries: number; head_hash: string; problem?: string }>('GET', '/audit/verify');
  }
  // Referrals (issue 7; absent on older servers: callers check isNotAvailable)
  referrals(q: { platform?: string; state?: string; limit?: number } = {}) {
    return this.request<{ referrals: Referral[] }>('GET', '/referrals', { query: q }).then((r) => r.referrals);
  }
  referral(id: number) {
    return this.request<Referral>('GET', `/referrals/${id}`);
  }
  referralStats(group: 'platform' | 'operation' = 'platform') {
    return this.request<{ rows: ReferralStats[]; total: ReferralStats }>('GET', '/referrals/stats', { query: { group } });
  }
  createReferrals(req: { route?: string; operation?: string; items: { item_id?: number; url?: string }[]; order?: Record<string, unknown> }) {
    return this.request<ReferOutcome>('POST', '/referrals', { json: req });
  }
  sendReferral(id: number) {
    return this.request<{ summary: unknown; referral: Referral }>('POST', `/referrals/${id}/send`);
  }
  withdrawReferral(id: number, reason: string) {
    return this.request<Referral>('POST', `/referrals/${id}/withdraw`, { json: { reason } });
  }
  // Platform liaison
  platformReferrals(limit = 100) {
    return this.request<{ notices: Notice[] }>('GET', '/platform/referrals', { query: { limit } }).then((r) => r.notices);
  }
  platformFeedback(fb: { referral_id: number; status: FeedbackStatus; reason?: string; platform_reference?: string }) {
    return this.request<{ referral_id: number; state: ReferralState }>('POST', '/platform/feedback', { json: fb });
  }
  operations(counters = true) {
    return this.request<{ operations: Operation[] }>('GET', '/operations', { query: { counters } }).then(
      (r) => r.operations,
    );
  }
  platforms() {
    return this.request<{ platforms: Platform[] }>('GET', '/platforms').then((r) => r.platforms);
  }
}
