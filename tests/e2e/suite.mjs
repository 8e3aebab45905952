// Browser suite for the Auster Models web app. Drives Debian's Chromium with playwright-core
// against a real `auster serve` (started by run.sh); nothing is mocked.
//
// Flow: browse → filter → open a model → invalid input shows an error → fix → run → chart
// drawn with the expected number of points → hover and zoom → publish → open the artifact
// anonymously in a fresh context (CSV download) → fork → rate → save → the account page
// shows the run and the charge → create an API key (shown once, copied) and revoke it. Screenshots of every page at 390 and 1280 px; any browser
// console error fails the suite. Prints bundle size and timings.
//
// Env: AUSTER_URL (http://127.0.0.1:PORT), SCREENSHOT_DIR, WEB_DIST.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BASE = process.env.AUSTER_URL;
const SHOTS = process.env.SCREENSHOT_DIR || 'tests/output/screenshots';
const DIST = process.env.WEB_DIST || 'web/dist';
const MODEL = 'momentum-strategy';
if (!BASE) throw new Error('AUSTER_URL is not set');
mkdirSync(SHOTS, { recursive: true });

const consoleErrors = [];
const figures = {};
let failures = 0;
let stepNo = 0;

function watch(page, label) {
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`[${label}] ${m.text()} (${page.url()})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`[${label}] uncaught: ${e.message} (${page.url()})`));
  return page;
}

async function step(name, fn) {
  stepNo += 1;
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${String(stepNo).padStart(2)} ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL ${String(stepNo).padStart(2)} ${name}\n     ${String(e.message || e).split('\n').join('\n     ')}`);
    throw e;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function shot(page, name) {
  const w = page.viewportSize().width;
  await page.waitForTimeout(150); // let transitions settle
  await page.screenshot({ path: join(SHOTS, `${name}-${w}.png`), fullPage: true });
}

/** Counts the present points per series id in a RunResult. */
function expectedPoints(result) {
  const out = {};
  for (const s of result.outputs.series) out[s.id] = s.points.filter((p) => p[1] !== null).length;
  return out;
}

/** `data-points` of every drawn series path, by series id. */
async function drawnPoints(page) {
  return page.$$eval('.chart path.series', (paths) => {
    const m = {};
    for (const p of paths) m[p.dataset.series] = Number(p.dataset.points);
    return m;
  });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});

let artifactUrl = '';
let forkSlug = '';
let runResult = null;
const email = `e2e-${Date.now()}@example.com`;
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
const page = watch(await ctx.newPage(), 'user');

try {
  await step('browse: the catalogue renders model cards', async () => {
    // The app files (wasm, JS) this cold load fetched before the first card was drawn: with
    // code splitting, the pages not yet opened are not among them.
    const fetched = new Set();
    const onResponse = (r) => {
      const file = new URL(r.url()).pathname.slice(1);
      if (/\.(wasm|js)$/.test(file)) fetched.add(file);
    };
    page.on('response', onResponse);
    const t0 = Date.now();
    await page.goto(`${BASE}/models`);
    await page.waitForSelector('.model-card', { timeout: 15000 });
    figures.first_card_ms = Date.now() - t0;
    page.off('response', onResponse);
    figures.first_load_files = [...fetched].sort();
    const n = await page.locator('.model-card').count();
    assert(n > 0, 'no model cards');
    await shot(page, 'catalogue');
  });

  await step('filter: lab and search narrow the list and live in the URL', async () => {
    await page.selectOption('#f-lab', 'econ');
    await page.waitForURL(/lab=econ/);
    await page.waitForFunction(() => {
      const labs = [...document.querySelectorAll('.model-card .lab')].map((e) => e.textContent);
      return labs.length > 0 && labs.every((l) => l === 'econ' || l === 'both');
    });
    await page.fill('#search', 'momentum');
    await page.waitForURL(/q=momentum/);
    await page.waitForSelector(`.model-card[data-slug="${MODEL}"]`);
    // The filtered view survives a reload (state in the URL).
    await page.reload();
    await page.waitForSelector(`.model-card[data-slug="${MODEL}"]`);
    assert((await page.inputValue('#search')) === 'momentum', 'search text not restored from the URL');
  });

  await step('open the model from its card', async () => {
    await page.click(`.model-card[data-slug="${MODEL}"] .card-title a`);
    await page.waitForURL(new RegExp(`/models/${MODEL}`));
    await page.waitForSelector('#run-button');
    await page.waitForSelector('#in-symbol');
  });

  await step('the model DSL opens read-only, highlighted', async () => {
    await page.click('details.dsl summary');
    await page.waitForSelector('details.dsl pre.code span.tk-key');
    const text = await page.textContent('details.dsl pre.code');
    assert(text.includes('"steps"'), 'the DSL view does not show the model\'s steps');
    await page.click('details.dsl summary');
  });

  await step('an invalid input shows an inline error and blocks the run', async () => {
    await page.fill('#in-symbol', 'SP X!');
    const err = page.locator('#in-symbol-err');
    await err.waitFor();
    assert((await err.textContent()).includes('must be a ticker'), `unexpected message: ${await err.textContent()}`);
    assert((await page.getAttribute('#in-symbol', 'aria-invalid')) === 'true', 'aria-invalid not set');
    await page.click('#run-button');
    assert((await page.locator('#signup-email').count()) === 0, 'run went ahead with an invalid input');
    await shot(page, 'model-invalid');
  });

  await step('fixing the input clears the error', async () => {
    await page.fill('#in-symbol', 'SPX');
    await page.waitForFunction(() => !document.querySelector('#in-symbol-err')?.textContent);
    assert((await page.getAttribute('#in-symbol', 'aria-invalid')) === 'false', 'still marked invalid');
  });

  await step('run: inline sign-up, then the chart is drawn with the expected points', async () => {
    await page.click('#run-button');
    await page.waitForSelector('#signup-email');
    await page.fill('#signup-email', email);
    const resp = page.waitForResponse((r) => r.url().endsWith('/api/models/run') && r.request().method() === 'POST');
    await page.click('.signup-inline button[type=submit]');
    const r = await resp;
    assert(r.status() === 200, `run answered ${r.status()}: ${await r.text()}`);
    runResult = await r.json();
    await page.waitForSelector('.chart path.series');
    const want = expectedPoints(runResult);
    const got = await drawnPoints(page);
    assert(Object.keys(want).length > 0, 'the run returned no series');
    for (const [id, n] of Object.entries(want)) {
      assert(got[id] === n, `series ${id}: drew ${got[id]} points, the run returned ${n}`);
    }
    figures.series_points = want;
    assert(await page.locator('.api-key').count() === 1, 'the new API key is not shown');
    await shot(page, 'model-results');
  });

  await step('chart: hover read-out and zoom to a date range', async () => {
    // The mouse moves in viewport coordinates: bring the chart into view first.
    await page.locator('.chart-svg').first().scrollIntoViewIfNeeded();
    const box = await page.locator('.chart-svg').first().boundingBox();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    await page.waitForSelector('.tooltip .tooltip-date');
    const first = runResult.outputs.series[0];
    const dates = first.points.map((p) => p[0]);
    const mid = dates[Math.floor(dates.length / 2)];
    const before = (await drawnPoints(page))[first.id];
    const from = page.locator('.zoom-row input[type=date]').first();
    await from.fill(mid);
    await page.locator('.zoom-row button[type=submit]').first().click();
    await page.waitForFunction(([id, n]) => {
      const p = document.querySelector(`.chart path.series[data-series="${id}"]`);
      return p && Number(p.dataset.points) < n;
    }, [first.id, before]);
    const after = (await drawnPoints(page))[first.id];
    const want = first.points.filter((p) => p[1] !== null && p[0] >= mid).length;
    assert(after === want, `zoomed chart drew ${after} points, expected ${want}`);
    await page.getByRole('button', { name: 'Reset zoom' }).first().click();
    await page.waitForFunction(([id, n]) => Number(document.querySelector(`.chart path.series[data-series="${id}"]`)?.dataset.points) === n, [first.id, before]);
  });

  await step('publish the run', async () => {
    await page.click('#publish-button');
    await page.waitForSelector('[role=dialog] #pub-title');
    await page.fill('#pub-title', 'E2E momentum on SPX');
    await page.fill('#pub-summary', 'Published by the browser suite.');
    await page.click('[role=dialog] button[type=submit]');
    await page.waitForSelector('#artifact-link');
    artifactUrl = new URL(await page.getAttribute('#artifact-link', 'href'), BASE).toString();
    assert(/\/artifacts\//.test(artifactUrl), `odd artifact link ${artifactUrl}`);
    await shot(page, 'publish-dialog');
    await page.keyboard.press('Escape');
  });

  await step('the artifact opens anonymously in a fresh context, with downloads', async () => {
    const anon = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const p = watch(await anon.newPage(), 'anonymous');
    await p.goto(artifactUrl);
    await p.waitForSelector('.chart path.series');
    assert((await p.textContent('h1')).includes('E2E momentum on SPX'), 'artifact title missing');
    assert(await p.evaluate(() => localStorage.getItem('auster.api_key')) === null, 'context is not anonymous');
    const got = await drawnPoints(p);
    for (const [id, n] of Object.entries(expectedPoints(runResult))) {
      assert(got[id] === n, `artifact series ${id}: drew ${got[id]}, expected ${n}`);
    }
    const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#download-csv')]);
    const csv = readFileSync(await dl.path(), 'utf8');
    assert(csv.startsWith('date,'), `CSV does not start with a date header: ${csv.slice(0, 40)}`);
    const [dj] = await Promise.all([p.waitForEvent('download'), p.click('#download-json')]);
    JSON.parse(readFileSync(await dj.path(), 'utf8'));
    await anon.close();
  });

  await step('fork the model into the account', async () => {
    await page.goto(`${BASE}/models/${MODEL}`);
    await page.waitForSelector('#fork-button');
    await page.click('#fork-button');
    await page.waitForURL((u) => u.pathname.startsWith('/models/') && !u.pathname.endsWith(`/${MODEL}`));
    forkSlug = new URL(page.url()).pathname.split('/').pop();
    await page.waitForSelector('.model-head h1');
    await page.waitForSelector(`.model-head a[href="/models/${MODEL}"]`);
  });

  await step('rate the original model with a review', async () => {
    await page.goto(`${BASE}/models/${MODEL}`);
    await page.waitForSelector('#rate-button');
    await page.click('label[for="stars-4"]');
    await page.fill('#review', 'Clear and quick.');
    const resp = page.waitForResponse((r) => r.url().endsWith('/api/models/rate') && r.request().method() === 'POST');
    await page.click('#rate-button');
    assert((await resp).ok(), 'rating was refused');
    await page.waitForFunction(() => /from 1 rating/.test(document.querySelector('.rating-summary')?.textContent || ''));
  });

  await step('save the model', async () => {
    await page.click('#save-button');
    await page.waitForSelector('#save-button[aria-pressed="true"]');
  });

  await step('the account page shows the run and the charge', async () => {
    await page.goto(`${BASE}/account`);
    await page.waitForSelector('#credits');
    const runsToday = await page.textContent('#runs-today');
    assert(/^[1-9]/.test(runsToday.trim()), `runs today shows "${runsToday}"`);
    const recent = await page.textContent('.recent-runs');
    assert(recent.includes(MODEL), 'the run is not listed');
    assert(new RegExp(`${runResult.cost} credit`).test(recent), `the run's charge (${runResult.cost}) is not shown`);
    await page.click('#tab-saved');
    await page.waitForSelector(`.model-card[data-slug="${MODEL}"]`);
    await page.click('#tab-forked');
    await page.waitForSelector(`.model-card[data-slug="${forkSlug}"]`);
    await shot(page, 'account');
  });

  await step('account: create an API key (shown once, copied), then revoke it with a confirmation', async () => {
    await page.goto(`${BASE}/account`);
    await page.waitForSelector('.key-list tbody tr');
    const before = await page.locator('.key-list tbody tr').count();
    await page.fill('#key-label', 'e2e browser key');
    const resp = page.waitForResponse((r) => r.url().endsWith('/api/me/keys') && r.request().method() === 'POST');
    await page.click('#create-key');
    const r = await resp;
    assert(r.status() === 201, `create key answered ${r.status()}`);
    const created = await r.json();
    const shown = (await page.textContent('#new-key .new-api-key')).trim();
    assert(shown === created.api_key, 'the new key is not shown');
    await page.click('#new-key button:has-text("Copy key")');
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert(clip === created.api_key, 'the copy button did not copy the key');
    const row = page.locator(`.key-list tr[data-key-id="${created.key_id}"]`);
    await row.waitFor();
    assert((await page.locator('.key-list tbody tr').count()) === before + 1, 'the new key is not listed');
    assert((await row.textContent()).includes('e2e browser key'), 'the label is not listed');
    await shot(page, 'account-keys');
    // Revoking this browser's own key warns first; cancel it.
    await page.click('.key-list tr:has-text("this browser") .revoke-key');
    await page.waitForSelector('[role=alertdialog] #revoke-current-warning');
    await page.click('[role=alertdialog] button:has-text("Cancel")');
    await page.waitForSelector('[role=alertdialog]', { state: 'detached' });
    // Revoke the new key: no warning, then the row says revoked and the key is refused.
    await row.locator('.revoke-key').click();
    await page.waitForSelector('[role=alertdialog] #confirm-revoke');
    assert((await page.locator('#revoke-current-warning').count()) === 0, 'warned for a key this browser does not use');
    const del = page.waitForResponse((x) => x.url().includes(`/api/me/keys/${created.key_id}`) && x.request().method() === 'DELETE');
    await page.click('#confirm-revoke');
    assert((await del).status() === 200, 'revoke was refused');
    await page.waitForFunction((id) => /revoked/.test(document.querySelector(`.key-list tr[data-key-id="${id}"] .key-status`)?.textContent || ''), created.key_id);
    assert((await page.locator('#new-key').count()) === 0, 'the revoked key is still on show');
    assert(!(await page.content()).includes(created.api_key), 'the key is still in the page');
    // From Node, not the page: a 401 in the page would be a console error.
    const status = (await fetch(`${BASE}/api/me`, { headers: { Authorization: `Bearer ${created.api_key}` } })).status;
    assert(status === 401, `the revoked key answered ${status}`);
    assert(await page.evaluate(() => localStorage.getItem('auster.api_key')) !== null, 'this browser lost its own key');
  });

  await step('time from Run click to chart (signed in, fresh page, uncached inputs)', async () => {
    await page.goto(`${BASE}/models/${MODEL}?start_date=2012-01-03`);
    await page.waitForSelector('#run-button');
    figures.run_to_chart_ms = await page.evaluate(() => new Promise((resolve, reject) => {
      const t0 = performance.now();
      const obs = new MutationObserver(() => {
        if (document.querySelector('.chart path.series')) {
          obs.disconnect();
          resolve(Math.round((performance.now() - t0) * 10) / 10);
        }
      });
      obs.observe(document.body, { childList: true, subtree: true });
      setTimeout(() => reject(new Error('no chart within 10 s')), 10000);
      document.querySelector('#run-button').click();
    }));
  });

  await step('cold load of a model page: what it downloads before the form shows', async () => {
    const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = watch(await c.newPage(), 'model-cold');
    // The requests started before the form appeared (the page then prefetches the results
    // view while the user types; that is not needed to show it).
    await p.addInitScript(() => {
      new MutationObserver((_, obs) => {
        if (document.querySelector('#run-button')) {
          window.__formShownAt = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await p.goto(`${BASE}/models/${MODEL}`);
    await p.waitForSelector('#run-button');
    figures.model_page_files = await p.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.startTime < window.__formShownAt)
      .map((e) => new URL(e.name).pathname.slice(1))
      .filter((f) => /\.(wasm|js)$/.test(f))
      .sort());
    await c.close();
  });

  // Split build only: a page whose module cannot be downloaded says so and offers a retry,
  // and the rest of the app keeps working.
  if (existsSync(join(DIST, 'split_account_page.wasm'))) {
    await step('a page module that fails to download shows an error with Retry', async () => {
      const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const p = await c.newPage();
      const logged = [];
      p.on('console', (m) => { if (m.type() === 'error') logged.push(m.text()); });
      p.on('pageerror', (e) => logged.push(`uncaught: ${e.message}`));
      await p.route(/split_account_page\.wasm/, (r) => r.abort('internetdisconnected'));
      await p.goto(`${BASE}/models`);
      await p.waitForSelector('.model-card');
      await p.click('a[href="/account"]');
      await p.waitForSelector('.state-error >> text=could not be loaded');
      assert(await p.getByRole('button', { name: 'Retry' }).isVisible(), 'no Retry button');
      // The loader logs the failed download (expected here); nothing else may go wrong.
      const other = logged.filter((t) => !/Failed to fetch|ERR_INTERNET_DISCONNECTED|TypeError/.test(t));
      assert(other.length === 0, `unexpected console errors: ${other.join(' | ')}`);
      // Back online, Retry (a reload) brings the page.
      await p.unroute(/split_account_page\.wasm/);
      await p.getByRole('button', { name: 'Retry' }).click();
      await p.waitForSelector('.page-head h1');
      assert((await p.locator('text=could not be loaded').count()) === 0, 'the retry did not load the page');
      await c.close();
    });
  }

  await step('404 page', async () => {
    await page.goto(`${BASE}/no/such/page`);
    await page.waitForSelector('.not-found');
  });

  await step('screenshots of every page at 390 and 1280 px (and one dark)', async () => {
    const state = await ctx.storageState();
    const pages = [
      ['catalogue', '/models'],
      ['model', `/models/${MODEL}`],
      ['artifact', new URL(artifactUrl).pathname],
      ['lab-econ', '/labs/econ'],
      ['lab-derivatives', '/labs/derivatives'],
      ['lab-crypto', '/labs/crypto'],
      ['account', '/account'],
      ['not-found', '/nope'],
    ];
    for (const [width, scheme] of [[390, 'light'], [1280, 'light'], [1280, 'dark']]) {
      const c = await browser.newContext({ viewport: { width, height: 844 }, storageState: state, colorScheme: scheme });
      const p = watch(await c.newPage(), `shots-${width}`);
      for (const [name, path] of pages) {
        if (scheme === 'dark' && !['catalogue', 'artifact', 'model'].includes(name)) continue;
        await p.goto(`${BASE}${path}`);
        await p.waitForSelector('.site-header');
        await p.waitForFunction(() => !document.querySelector('.state-loading'));
        if (name === 'artifact') await p.waitForSelector('.chart path.series');
        if (name === 'catalogue' || name.startsWith('lab-')) await p.waitForSelector('.model-card, .state-empty');
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
        await shot(p, scheme === 'dark' ? `${name}-dark` : name);
      }
      await c.close();
    }
  });
} catch (e) {
  // Reported by step(); fall through to the summary.
} finally {
  await browser.close();
}

// Gzipped sizes (level 9, each file on its own, as a CDN serves them), in KB of 1,000 bytes.
const gzipKb = (files) =>
  Math.round(files.reduce((n, f) => n + gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length, 0) / 100) / 10;
try {
  const app = readdirSync(DIST).filter((f) => /\.(wasm|js)$/.test(f)).sort();
  figures.first_load_gzip_kb = gzipKb(figures.first_load_files || app);
  figures.model_page_gzip_kb = gzipKb(figures.model_page_files || app);
  figures.all_modules_gzip_kb = gzipKb(app);
  figures.modules = app.length;
} catch (e) {
  console.log(`could not measure the bundle: ${e.message}`);
}

console.log('\nfigures:');
console.log(`  gzipped wasm + JS, first load of /models: ${figures.first_load_gzip_kb} KB (${(figures.first_load_files || []).join(', ')}; target < 400 KB)`);
console.log(`  gzipped wasm + JS, cold model page:       ${figures.model_page_gzip_kb} KB (${(figures.model_page_files || []).length} files, until its form shows)`);
console.log(`  gzipped wasm + JS, every module:         ${figures.all_modules_gzip_kb} KB (${figures.modules} files; the rest load when their page first opens)`);
console.log(`  first model card on /models: ${figures.first_card_ms} ms (cold load incl. wasm; target < 1000 ms)`);
console.log(`  Run click → chart:           ${figures.run_to_chart_ms} ms (target < 150 ms)`);
writeFileSync(join(SHOTS, '..', 'e2e-figures.json'), JSON.stringify(figures, null, 2));

if (consoleErrors.length) {
  failures += 1;
  console.log(`\nFAIL browser console errors (${consoleErrors.length}):`);
  for (const e of consoleErrors) console.log(`  ${e}`);
}
console.log(failures ? `\ne2e: FAILED (${failures})` : '\ne2e: all steps passed');
process.exit(failures ? 1 : 0);
