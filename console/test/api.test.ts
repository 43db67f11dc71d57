import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, buildUrl, clearToken, isNotAvailable, loadToken, saveToken, TOKEN_KEY, validToken } from '../src/api';

const TOKEN = 'vgl_' + 'A'.repeat(43);

function fakeFetch(status: number, body: unknown, type = 'application/json') {
  return vi.fn(async (_url: string, _init?: RequestInit) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': type } }),
  );
}

describe('Api', () => {
  it('sends the bearer token and JSON bodies, parses JSON answers', async () => {
    const f = fakeFetch(200, { entry: { item_id: 3 } });
    const api = new Api({ token: TOKEN, fetchFn: f as unknown as typeof fetch });
    await api.decide(3, 'confirm', { note: 'ok' });
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('/api/v1/review/items/3/decision');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>).Authorization).toBe(`Bearer ${TOKEN}`);
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(init?.body as string)).toEqual({ decision: 'confirm', note: 'ok' });
  });

  it('unwraps list answers and encodes queries', async () => {
    const f = fakeFetch(200, { entries: [{ item_id: 1 }] });
    const api = new Api({ token: TOKEN, fetchFn: f as unknown as typeof fetch });
    expect(await api.reviewQueue('pending', 5)).toEqual([{ item_id: 1 }]);
    expect(f.mock.calls[0][0]).toBe('/api/v1/review/queue?state=pending&limit=5');
    expect(buildUrl('/api/v1/', '/banks/a b/signals', { label: 'x:y', type: undefined })).toBe('/api/v1/banks/a b/signals?label=x%3Ay');
  });

  it('turns the error shape into ApiError and tells "not available" from "not found"', async () => {
    const missing = new Api({ token: TOKEN, fetchFn: fakeFetch(404, { error: { code: 'route_not_found', message: 'no route' } }) as unknown as typeof fetch });
    const e1 = await missing.referrals().catch((e) => e);
    expect(e1).toBeInstanceOf(ApiError);
    expect(e1.code).toBe('route_not_found');
    expect(isNotAvailable(e1)).toBe(true);

    const absent = new Api({ token: TOKEN, fetchFn: fakeFetch(404, { error: { code: 'not_found', message: 'item 9 not found' } }) as unknown as typeof fetch });
    const e2 = await absent.item(9).catch((e) => e);
    expect(e2.message).toBe('item 9 not found');
    expect(isNotAvailable(e2)).toBe(false);

    const html = new Api({ token: TOKEN, fetchFn: fakeFetch(502, '<html>bad gateway</html>', 'text/html') as unknown as typeof fetch });
    const e3 = await html.banks().catch((e) => e);
    expect(e3.status).toBe(502);
    expect(e3.code).toBe('http_502');
  });

  it('calls onUnauthenticated on 401', async () => {
    const on = vi.fn();
    const api = new Api({ token: TOKEN, onUnauthenticated: on, fetchFn: fakeFetch(401, { error: { code: 'unauthenticated', message: 'bad token' } }) as unknown as typeof fetch });
    await expect(api.whoami()).rejects.toThrow('bad token');
    expect(on).toHaveBeenCalledOnce();
  });

  it('reports a network failure as ApiError status 0', async () => {
    const api = new Api({ token: TOKEN, fetchFn: (async () => { throw new TypeError('fetch failed'); }) as unknown as typeof fetch });
    const e = await api.whoami().catch((x) => x);
    expect(e.status).toBe(0);
    expect(e.code).toBe('network');
  });
});

describe('token storage', () => {
  it('keeps only well-formed tokens', () => {
    const m = new Map<string, string>();
    const s = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
    expect(validToken(TOKEN)).toBe(true);
    expect(validToken('hello')).toBe(false);
    expect(loadToken(s)).toBeNull();
    saveToken(s, ` ${TOKEN} `);
    expect(m.get(TOKEN_KEY)).toBe(TOKEN);
    expect(loadToken(s)).toBe(TOKEN);
    m.set(TOKEN_KEY, 'garbage');
    expect(loadToken(s)).toBeNull();
    clearToken(s);
    expect(m.has(TOKEN_KEY)).toBe(false);
  });
});
