// End-to-end test of the console in a real browser: Debian's chromium driven by
// playwright-core (no browser download) against a real `vigil serve` on loopback with
// synthetic, benign demo data. Usage:
//   node e2e/run.mjs --vigil BUILD/vigil --console dist --out BUILD/console-screenshots
// Exit 0 pass, 1 fail, 77 skipped (no chromium or no node_modules: ctest SKIP_RETURN_CODE).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const VIGIL = resolve(args.vigil ?? '../build/release/vigil');
const CONSOLE = resolve(args.console ?? 'dist');
const OUT = resolve(args.out ?? 'e2e-screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function skip(why) {
  console.log(`console_e2e: SKIPPED: ${why}`);
  process.exit(77);
}
if (!existsSync(CHROMIUM)) skip(`${CHROMIUM} not found (scripts/install-deps.sh installs the chromium package)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  skip('playwright-core is not installed (run npm ci in console/)');
}
if (!existsSync(join(CONSOLE, 'index.html'))) skip(`${CONSOLE}/index.html not built (npm run build)`);
if (!existsSync(VIGIL)) skip(`${VIGIL} not built`);

const t0 = Date.now();
let lastPage = null;
const results = [];
let failed = 0;
async function step(name, fn) {
  const s = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - s} ms)`);
  } catch (e) {
    failed++;
    results.push(`FAIL ${name}: ${e?.stack ?? e}`);
    // What the browser showed when it failed.
    await lastPage?.screenshot({ path: join(OUT, 'FAILED.png'), fullPage: true }).catch(() => {});
    throw e;
  }
}
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

// --- a store, tokens and a server -------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'vigil-console-e2e-'));
rmSync(OUT, { recursive: true, force: true }); // no stale screenshots from an earlier run
mkdirSync(OUT, { recursive: true });
const db = join(dir, 'vigil.db');
const mint = (org, role, user) =>
  execFileSync(VIGIL, ['token', 'create', '--db', db, '--org', org, '--role', role, '--user', user], { encoding: 'utf8' }).trim();
// The liaison's organisation name is its platform id (docs/openapi.yaml, platform routes).
const PLATFORM = 'telegram';
const admin = mint('demo-iru', 'admin', 'admin');
const reviewer = mint('demo-iru', 'reviewer', 'rita');
const liaison = mint(PLATFORM, 'platform', 'liaison');

const server = spawn(VIGIL, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--console', CONSOLE, '--threads', '2'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serverOut = '';
server.stderr.on('data', (d) => (serverOut += d));
const base = await new Promise((res, rej) => {
  const timer = setTimeout(() => rej(new Error(`vigil serve did not start: ${serverOut}`)), 30_000);
  server.stdout.on('data', (d) => {
    serverOut += d;
    const m = /listening on (http:\/\/[^ ]+)/.exec(serverOut);
    if (m) {
      clearTimeout(timer);
      res(m[1]);
    }
  });
  server.on('exit', (code) => rej(new Error(`vigil serve exited ${code}: ${serverOut}`)));
});

// One GET with the path sent exactly as given.
function rawGet(baseUrl, path) {
  const u = new URL(baseUrl);
  return new Promise((res, rej) => {
    const sock = net.connect(Number(u.port), u.hostname, () =>
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`),
    );
    let data = '';
    sock.on('data', (d) => (data += d));
    sock.on('end', () => res(data));
    sock.on('error', rej);
  });
}

// Form controls on the page without an accessible name (label, aria-label, aria-labelledby,
// title or, for buttons, their text).
function unlabelled(p) {
  return p.evaluate(() =>
    [...document.querySelectorAll('button, input, select, textarea, a[href]')]
      .filter((el) => {
        if (el.type === 'hidden') return false;
        const text = (el.textContent ?? '').trim();
        const byLabel = el.labels && el.labels.length > 0;
        const aria = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
        const ownText = (el.tagName === 'BUTTON' || el.tagName === 'A') && text.length > 0;
        return !(byLabel || aria || ownText);
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}
async function checkLabels(p, where) {
  const bad = await unlabelled(p);
  check(bad.length === 0, `unlabelled controls on ${where}: ${bad.join(' | ')}`);
}

async function api(token, method, path, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw Object.assign(new Error(`${method} ${path}: HTTP ${r.status} ${text}`), { status: r.status, text });
  return text ? JSON.parse(text) : null;
}

// Synthetic, benign media: coloured geometric shapes as SVG data URIs.
const svg = (hue, shape) =>
  'data:image/svg+xml;base64,' +
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="320" height="240" fill="hsl(${hue},60%,85%)"/>` +
      (shape === 0
        ? `<circle cx="160" cy="120" r="80" fill="hsl(${(hue + 180) % 360},70%,45%)"/>`
        : `<rect x="70" y="50" width="180" height="140" fill="hsl(${(hue + 120) % 360},70%,45%)"/>`) +
      `<text x="12" y="228" font-size="14" font-family="sans-serif">synthetic test image</text></svg>`,
  ).toString('base64');
// Random PDQ-like hashes (64 hex digits); items match them exactly or a few bits away.
const hex = (seed) => {
  let x = seed * 2654435761 >>> 0;
  let s = '';
  for (let i = 0; i < 64; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += ((x >>> 16) & 15).toString(16);
  }
  return s;
};
const flip = (h, bits) => h.slice(0, -1) + (parseInt(h.slice(-1), 16) ^ bits).toString(16);

let referralsAvailable = false;
let itemIds = [];
let urls = [];
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-quic', '--disable-sync',
  ],
});
const figures = {};
try {
  await step('demo data through the API', async () => {
    await api(admin, 'POST', '/banks', { name: 'demo-bank', description: 'synthetic PDQ hashes (benign test data)' });
    const signals = [1, 2, 3, 4, 5, 6].map((i) => ({
      type: 'pdq', value: hex(i), labels: [i === 2 ? 'severity:crisis' : 'severity:promotional'], source_exchange: 'e2e',
    }));
    await api(admin, 'POST', '/banks/demo-bank/signals', { signals });
    urls = ['https://t.me/demo_channel/101', 'https://t.me/demo_channel/102', 'https://example.org/post/7', 'https://t.me/demo_channel/103'];
    for (let i = 0; i < urls.length; i++) {
      const out = await api(admin, 'POST', '/items', {
        source: 'e2e', url: urls[i], account: `demo_account_${i}`, reach: 100 * (i + 1),
        media: [{ kind: 'image', uri: svg(40 * i, i % 2), signals: [{ type: 'pdq', value: flip(hex(i + 1), i), quality: 90 }] }],
      });
      check(out.queued, `item ${i} queued`);
      itemIds.push(out.item_id);
    }
    try {
      await api(admin, 'GET', '/referrals');
      referralsAvailable = true;
      // TCO Art. 3(2): a platform's first removal order needs a notice 12 hours before.
      await api(admin, 'POST', '/platform-notices', { platform: PLATFORM, at_ms: Date.now() - 13 * 3600_000 });
    } catch (e) {
      if (!(e.status === 404 && /route_not_found/.test(e.text))) throw e;
    }
  });

  // --- the browser ------------------------------------------------------------------------
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  lastPage = page;
  const consoleErrors = [];
  // Chromium logs every non-2xx fetch; the pages probe endpoints a server may lack (404).
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const shot = (name, p = page) => p.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

  await step('static files: types, SPA fallback, no traversal', async () => {
    const index = await fetch(`${base}/review`);
    check(index.status === 200 && index.headers.get('content-type').startsWith('text/html'), 'SPA fallback');
    check(index.headers.get('content-security-policy')?.includes("default-src 'self'"), 'CSP header');
    const html = await index.text();
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
    const jsr = await fetch(base + js);
    check(jsr.headers.get('content-type').startsWith('text/javascript'), 'js type');
    check((await fetch(`${base}/assets/missing.js`)).status === 404, 'missing asset 404');
    // Raw requests: fetch() would normalise the dots away before sending.
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const answer = await rawGet(base, path);
      check(/^HTTP\/1\.1 (400|404)/.test(answer) && !answer.includes('root:'), `traversal ${path}: ${answer.slice(0, 40)}`);
    }
    check((await fetch(`${base}/api/v1/nope`)).status === 404, 'api 404 stays JSON');
  });

  await step('sign in with the keyboard', async () => {
    await page.goto(base + '/');
    await shot('01-sign-in');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-a-token');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    await page.getByLabel('API token').fill(admin);
    await page.keyboard.press('Enter');
    await page.getByTestId('dashboard').waitFor();
    check((await page.getByTestId('whoami').textContent()).includes('admin'), 'whoami shown');
    check((await page.evaluate(() => sessionStorage.getItem('vigil.token'))) === admin, 'token in sessionStorage');
  });

  await step('dashboard first load, cold (new browser context, nothing cached)', async () => {
    const cctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    cctx.setDefaultTimeout(15_000);
    await cctx.addInitScript((t) => sessionStorage.setItem('vigil.token', t), admin);
    const cp = await cctx.newPage();
    await cp.goto(base + '/');
    await cp.waitForFunction(() => document.body.dataset.dashboardReady === '1');
    figures.dashboardColdLoadMs = await cp.evaluate(() => Math.round(performance.now()));
    // Of which the dashboard's API calls (queue, items, referrals, statistics, registry).
    figures.dashboardColdApiMs = Number(await cp.evaluate(() => document.body.dataset.dashboardApiMs));
    figures.transferredBytes = await cp.evaluate(() =>
      performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
        .filter((e) => !e.name.includes('/api/')).reduce((n, e) => n + e.transferSize, 0));
    await cctx.close();
  });

  await step('dashboard load, warm (assets cached)', async () => {
    // A fresh load with the token already in the session: navigation start to data shown.
    await page.goto(base + '/');
    await page.waitForFunction(() => document.body.dataset.dashboardReady === '1');
    figures.dashboardWarmLoadMs = await page.evaluate(() => Math.round(performance.now()));
    check((await page.getByTestId('kpi-found').textContent()) === String(itemIds.length), 'items found');
    check((await page.getByTestId('kpi-pending').textContent()) === String(itemIds.length), 'pending');
    await shot('02-dashboard-before');
  });

  await step('review an item: covered media, reveal, budget, keyboard decision', async () => {
    await page.getByRole('link', { name: 'Review' }).click();
    const item = page.getByTestId('review-item');
    await item.waitFor();
    const id = Number(await item.getAttribute('data-item-id'));
    const img = item.locator('img.media').first();
    await img.waitFor();
    const covered = await img.evaluate((el) => getComputedStyle(el).filter);
    check(covered.includes('blur') && covered.includes('grayscale'), `covered filter: ${covered}`);
    check((await page.getByTestId('budget-seen').textContent()) === '0', 'budget starts at 0');
    await shot('03-review-covered');
    await page.keyboard.press('v');
    await page.waitForSelector('[data-testid=media-panel][data-revealed=true]');
    await page.waitForFunction((el) => getComputedStyle(el).filter === 'none', await img.elementHandle(), { timeout: 5000 });
    check((await page.getByTestId('budget-seen').textContent()) === '1', 'budget counts the reveal');
    await page.keyboard.press('v');
    await page.waitForSelector('[data-testid=media-panel][data-revealed=false]');
    await page.keyboard.press('c');
    await page.getByTestId('review-message').filter({ hasText: `Item #${id}: confirmed` }).waitFor();
    // The next item came up covered again.
    await page.waitForSelector('[data-testid=media-panel][data-revealed=false]');
    const next = Number(await page.getByTestId('review-item').getAttribute('data-item-id'));
    check(next !== id, 'next item shown');
    await page.keyboard.press('s');
    await page.getByTestId('review-message').filter({ hasText: `Skipped item #${next}` }).waitFor();
    await page.waitForSelector(`[data-testid=review-item]:not([data-item-id="${next}"])`);
    const third = Number(await page.getByTestId('review-item').getAttribute('data-item-id'));
    check(third !== next, 'skip moved on');
    await page.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByTestId('review-message').filter({ hasText: `Item #${third}: confirmed` }).waitFor();
    figures.confirmed = [id, third];
    await checkLabels(page, 'review');
    await shot('04-review');
  });

  await step('item detail', async () => {
    await page.goto(`${base}/items/${figures.confirmed[0]}`);
    await page.getByTestId('matches').waitFor();
    check((await page.getByTestId('matches').locator('tbody tr').count()) >= 1, 'matches with provenance');
    check((await page.getByTestId('item-platform').textContent()).length > 0, 'platform');
    await shot('05-item');
  });

  await step('banks: list, search, upload a hash list', async () => {
    await page.getByRole('link', { name: 'Banks' }).click();
    await page.getByTestId('banks').waitFor();
    await page.getByLabel('Contents').fill(`${hex(50)},severity:promotional\n${hex(51)}\n`);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('upload-message').filter({ hasText: '2 added' }).waitFor();
    await page.getByRole('button', { name: 'demo-bank' }).click();
    await page.getByTestId('signals').waitFor();
    await checkLabels(page, 'banks');
    await shot('06-banks');
  });

  await step('platform registry and audit log', async () => {
    await page.getByRole('link', { name: 'Platforms' }).click();
    await page.locator('[data-testid=platforms], [data-testid=not-available]').first().waitFor();
    await shot('07-platforms');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit').waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByTestId('verify').filter({ hasText: 'Chain intact' }).waitFor();
    await checkLabels(page, 'audit');
    await shot('08-audit');
  });

  if (referralsAvailable) {
    await step('create and send a removal order', async () => {
      await page.getByRole('link', { name: 'Referrals' }).click();
      const form = page.getByTestId('create-referral');
      await form.waitFor();
      // Only the Telegram items: the example.org platform has had no Art. 3(2) notice.
      const telegram = figures.confirmed.filter((id) => urls[itemIds.indexOf(id)].startsWith('https://t.me/'));
      check(telegram.length > 0, 'a confirmed Telegram item');
      for (const id of telegram) await form.getByLabel(`item #${id}`, { exact: false }).check();
      await form.getByLabel('Route').selectOption('tco_removal_order');
      await form.getByLabel('Issuing authority').fill('Demo Authority (synthetic)');
      await form.getByLabel('Member state').fill('DE');
      await form.getByLabel('Reference').fill('E2E-1');
      await form.getByLabel('Reasons').fill('Synthetic end-to-end test order (benign data).');
      await form.getByRole('button', { name: 'Create referral' }).click();
      await page.getByTestId('create-message').filter({ hasText: /^Created/ }).waitFor();
      await page.getByRole('button', { name: 'Send all pending' }).click();
      await page.getByTestId('referrals-message').waitFor();
      await page.getByTestId('clock').first().waitFor();
      await checkLabels(page, 'referrals');
      await shot('09-referrals');
    });
  } else {
    await step('referrals page says not available', async () => {
      await page.getByRole('link', { name: 'Referrals' }).click();
      await page.getByTestId('not-available').waitFor();
      await shot('09-referrals-not-available');
    });
  }

  await step('platform liaison answers', async () => {
    const lctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    lctx.setDefaultTimeout(15_000);
    const lp = await lctx.newPage();
    await lp.goto(base + '/');
    await lp.getByLabel('API token').fill(liaison);
    await lp.getByRole('button', { name: 'Sign in' }).click();
    await lp.getByRole('heading', { name: `Referrals to ${PLATFORM}` }).waitFor();
    if (referralsAvailable) {
      await lp.getByTestId('pull').click();
      await lp.getByTestId('liaison-message').filter({ hasText: 'new referral' }).waitFor();
      const notice = lp.locator('[data-testid^=notice-]').first();
      await notice.waitFor();
      // Received: the order's hour runs, on both sides.
      await notice.locator('.clock-running').waitFor();
      await page.goto(`${base}/referrals`);
      await page.locator('[data-testid=clock].clock-running').first().waitFor();
      const face = await page.locator('[data-testid=clock]').first().textContent();
      check(/^(60:00|59:\d\d)$/.test(face), `clock face ${face}`);
      await shot('09c-referrals-clock-running');
      await notice.getByRole('button', { name: 'Removed' }).click();
      await lp.getByTestId('liaison-message').filter({ hasText: 'removed' }).waitFor();
    } else {
      await lp.getByTestId('pull').click();
      await lp.getByTestId('not-available').waitFor();
    }
    await checkLabels(lp, 'liaison');
    await shot('10-liaison', lp);
    await lctx.close();
  });

  if (referralsAvailable) {
    await step('referral detail shows the platform answer', async () => {
      const list = await api(admin, 'GET', '/referrals');
      const id = list.referrals[0].id;
      await page.goto(`${base}/referrals/${id}`);
      await page.locator('.badge-removed').first().waitFor();
      await page.getByRole('heading', { name: 'History' }).waitFor();
      await checkLabels(page, 'referral detail');
      await shot('09b-referral-detail');
    });
  }

  await step('dashboard changed', async () => {
    await page.goto(base + '/');
    await page.waitForFunction(() => document.body.dataset.dashboardReady === '1');
    check((await page.getByTestId('kpi-confirmed').textContent()) === '2', 'two confirmed');
    check((await page.getByTestId('kpi-pending').textContent()) === String(itemIds.length - 2), 'pending fell');
    if (referralsAvailable) {
      await page.getByTestId('kpi-removed').filter({ hasText: /^[1-9]/ }).waitFor();
      check((await page.getByTestId('kpi-referred').textContent()) !== '0', 'referred');
    }
    await checkLabels(page, 'dashboard');
    await shot('11-dashboard-after');
  });

  await step('phone width (390 px)', async () => {
    const pctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    pctx.setDefaultTimeout(15_000);
    const pp = await pctx.newPage();
    await pp.goto(base + '/');
    await pp.getByLabel('API token').fill(reviewer);
    await pp.getByRole('button', { name: 'Sign in' }).click();
    await pp.getByTestId('dashboard').waitFor();
    const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `no horizontal scroll on the dashboard (${overflow}px)`);
    await shot('12-phone-dashboard', pp);
    await pp.getByRole('link', { name: 'Review' }).click();
    await pp.getByTestId('review-item').waitFor();
    const overflow2 = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow2 <= 1, `no horizontal scroll on review (${overflow2}px)`);
    await shot('13-phone-review', pp);
    for (const [name, testid] of [['Referrals', 'referrals-message'], ['Banks', 'banks']]) {
      await pp.getByRole('link', { name }).click();
      await pp.getByTestId(testid).waitFor({ state: 'attached' });
      const o = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(o <= 1, `no horizontal scroll on ${name} (${o}px)`);
    }
    await shot('14-phone-banks', pp);
    await pctx.close();
  });

  await step('no console errors', async () => {
    check(consoleErrors.length === 0, consoleErrors.join('\n'));
  });
  await ctx.close();
} catch {
  /* reported below */
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await Promise.race([new Promise((r) => server.on('exit', r)), sleep(3000)]);
  rmSync(dir, { recursive: true, force: true });
}

figures.totalMs = Date.now() - t0;
figures.referralsAvailable = referralsAvailable;
writeFileSync(join(OUT, 'figures.json'), JSON.stringify(figures, null, 2));
console.log(results.join('\n'));
console.log(`console_e2e: dashboard first load ${figures.dashboardColdLoadMs} ms cold, ${figures.dashboardWarmLoadMs} ms warm, whole run ${figures.totalMs} ms, screenshots in ${OUT}`);
const passed = results.length - failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
