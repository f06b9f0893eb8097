// Press-to-browser benchmark: a real clickd on loopback, one button held
// connected by `clickbtn run` (persistent MQTT 5 connection over TLS, as a
// mains-powered button or a gateway keeps it), and the driver page open
// in Debian's headless chromium. For each press the time runs from writing
// the press to clickbtn's input to the moment the page's live stream
// delivers the new call (clickd:call, recorded in the page with
// performance.timeOrigin + performance.now(), the same wall clock as
// node's). Between presses the call is cancelled over the API, so every
// press raises a new call (call.created), the path a driver waits on.
// Not a test.
//
// usage: node bench/bench_browser.mjs [--bin build/web-rel] [--presses 200] [--gap-ms 50]
//        [--hold-ms 0] [--debounce-ms 0]

import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : dflt;
};
if (opt('--bin')) process.env.CK_BIN_DIR = path.resolve(opt('--bin'));
const presses = Number(opt('--presses', 200));
const gapMs = Number(opt('--gap-ms', 50));
// The gesture itself: how long the button is held and clickbtn's debounce.
// A SINGLE is known debounce ms after the release (docs/internals/click.md),
// so a 40 ms press with the default 30 ms debounce adds 70 ms before
// anything is sent. The default (0 and 0) measures the system from the
// moment the press is known.
const holdMs = Number(opt('--hold-ms', 0));
const debounceMs = Number(opt('--debounce-ms', 0));

const { Site, launchBrowser, waitFor, BIN } = await import('../tests/e2e/site.mjs');

const now = () => performance.timeOrigin + performance.now();
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

const site = await new Site('bench-browser').start();
let browser;
let btn;
try {
	await site.ok('POST', '/kinds', { name: 'pickup', template: 'pallet-pickup' });
	await site.ok('POST', '/rules', { name: 'pickup', sql: "SELECT * FROM 'iotbutton/+'", actions: [{ type: 'workorder', kind: 'pickup' }] });
	const dev = await site.device('bench-1', 'Bench dock');
	const driver = await site.user('driver1', 'driver');

	browser = await launchBrowser();
	const ctx = await browser.newContext({ viewport: { width: 1180, height: 820 } });
	const page = await ctx.newPage();
	await page.goto(site.base + '/app/login.html');
	await page.fill('#username', driver.name);
	await page.fill('#password', driver.password);
	await Promise.all([page.waitForURL(/driver\.html/), page.click('#login-submit')]);
	await page.evaluate(() => {
		window.__arrivals = [];
		addEventListener('clickd:call', (e) => window.__arrivals.push(e.detail));
	});
	await waitFor('live stream', async () => (await page.getAttribute('#live', 'data-state')) === 'live', 10000);

	btn = spawn(path.join(BIN, 'clickbtn'), ['--config', dev, 'run', '--input', 'terminal', '--gestures', 'single', '--debounce-ms', String(debounceMs)],
		{ stdio: ['pipe', 'ignore', 'inherit'] });
	// the first press also waits for clickbtn's connection; it is not counted
	const results = [];
	const devLat = [];
	const toStore = [];
	const toPage = [];
	const toBroker = [];
	for (let i = -3; i < presses; i++) {
		const t0 = now();
		btn.stdin.write(`down\nup +${holdMs}\n`);
		const a = await waitFor(`press ${i} in the page`, () => page.evaluate((t) =>
			window.__arrivals.find((x) => x.at > t && x.status === 'raised' && x.event === 'call.created'), t0), 10000, 1);
		if (i >= 0) results.push(a.at - t0);
		const [, c] = await site.request('GET', `/calls/${a.id}`);
		if (i >= 0 && c && c.pressedAt) devLat.push(a.at - c.pressedAt);
		if (i >= 0 && c && c.createdAt) { toStore.push(c.createdAt - t0); toPage.push(a.at - c.createdAt); }
		if (i >= 0 && c && c.eventSeq) {
			const [, ev] = await site.request('GET', `/events?thing=bench-1&limit=5`);
			const e = (ev.items || []).find((x) => x.seq === c.eventSeq);
			if (e) toBroker.push(e.receivedAt - t0);
		}
		await site.ok('POST', `/calls/${a.id}/cancel`, { reason: 'benchmark' });
		await waitFor('cancel in the page', () => page.evaluate((id) =>
			window.__arrivals.some((x) => x.id === id && x.status === 'cancelled'), a.id), 10000, 2);
		await page.evaluate(() => { window.__arrivals.length = 0; });
		await new Promise((r) => setTimeout(r, gapMs));
	}
	const s = [...results].sort((x, y) => x - y);
	const d = [...devLat].sort((x, y) => x - y);
	const mean = s.reduce((x, y) => x + y, 0) / s.length;
	console.log(`bin ${BIN}`);
	console.log(`${s.length} presses (held ${holdMs} ms, debounce ${debounceMs} ms), clickbtn run (persistent connection) -> clickd -> SSE -> chromium page`);
	console.log(`press written to clickbtn -> call in page, ms: p50 ${pct(s, 0.5).toFixed(2)}  p90 ${pct(s, 0.9).toFixed(2)}  p99 ${pct(s, 0.99).toFixed(2)}  max ${s.at(-1).toFixed(2)}  mean ${mean.toFixed(2)}`);
	if (d.length) {
		console.log(`device pressedAt (ms resolution) -> call in page, ms: p50 ${pct(d, 0.5).toFixed(2)}  p90 ${pct(d, 0.9).toFixed(2)}  p99 ${pct(d, 0.99).toFixed(2)}  max ${d.at(-1).toFixed(2)}`);
	}
	const line = (label, xs) => {
		const v = [...xs].sort((x, y) => x - y);
		if (v.length) console.log(`${label}, ms: p50 ${pct(v, 0.5).toFixed(2)}  p90 ${pct(v, 0.9).toFixed(2)}  p99 ${pct(v, 0.99).toFixed(2)}  max ${v.at(-1).toFixed(2)}`);
	};
	line('  of which press written -> journaled by the broker (receivedAt, ms resolution)', toBroker);
	line('  of which press written -> call committed (createdAt, ms resolution)', toStore);
	line('  of which call committed -> event in page', toPage);
} finally {
	if (btn) { btn.stdin.end(); btn.kill('SIGTERM'); }
	if (browser) await browser.close().catch(() => {});
	await site.cleanup();
}
