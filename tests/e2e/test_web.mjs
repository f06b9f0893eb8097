// Browser tests of the web pages served by a real clickd, in Debian's
// headless chromium driven by playwright-core: a clickbtn press appears on
// two drivers' pages, the first to accept takes it and it leaves the other
// page, arrival and resolution, the reports count it; login, sign-out and
// what each role may open; a live stream that comes back after clickd
// restarts; the board's button health follows a press without a reload. Screenshots of every page go to $CK_E2E_ARTIFACTS (default
// <build>/e2e-artifacts).
//
// usage: CK_BIN_DIR=build/debug node tests/e2e/test_web.mjs

import path from 'node:path';
import { Site, launchBrowser, runTests, waitFor, check, ARTIFACTS } from './site.mjs';

const T = 10000; // every wait below has this deadline unless it says otherwise

let site;
let browser;
let dev;
const users = {};

async function shot(page, name) {
	await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });
}

/** A new browser context (its own cookies), signed in through the login page. */
async function signIn(user, viewport = { width: 1180, height: 820 }) {
	const ctx = await browser.newContext({ viewport, hasTouch: true });
	const page = await ctx.newPage();
	page.setDefaultTimeout(T);
	page.on('pageerror', (e) => console.log(`[${user.name}] page error: ${e.message}`));
	await page.goto(site.base + '/app/login.html');
	await page.fill('#username', user.name);
	await page.fill('#password', user.password);
	await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login.html')), page.click('#login-submit')]);
	return { ctx, page };
}

async function liveState(page) {
	return page.getAttribute('#live', 'data-state');
}

async function setup() {
	site = await new Site('e2e').start();
	await site.ok('POST', '/kinds', { name: 'pickup', template: 'pallet-pickup', title: 'Pallet pickup' });
	await site.ok('POST', '/rules', {
		name: 'pickup', sql: "SELECT * FROM 'iotbutton/+'",
		actions: [{ type: 'workorder', kind: 'pickup' }],
	});
	dev = await site.device('dock-1', 'Dock 1');
	users.admin = await site.user('alex', 'admin');
	users.sup = await site.user('sam', 'supervisor');
	users.d1 = await site.user('dana', 'driver');
	users.d2 = await site.user('dev', 'driver');
	browser = await launchBrowser();
}

async function test_login_and_roles() {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	page.setDefaultTimeout(T);
	// not signed in: any page sends us to the login page
	await page.goto(site.base + '/app/board.html');
	await page.waitForURL(/\/app\/login\.html/);
	await shot(page, 'login');
	await page.fill('#username', users.d1.name);
	await page.fill('#password', 'not the password');
	await page.click('#login-submit');
	await page.waitForSelector('#error:not([hidden])');
	check(/wrong/i.test(await page.textContent('#error')), 'a wrong password says so');
	// the next= target is honoured only when the role may see it
	await page.fill('#password', users.d1.password);
	await Promise.all([page.waitForURL(/\/app\/driver\.html/), page.click('#login-submit')]);
	for (const p of ['board', 'reports', 'admin']) {
		await page.goto(site.base + `/app/${p}.html`);
		await page.waitForURL(/\/app\/driver\.html/);
	}
	const nav = await page.$$eval('.topbar nav a', (as) => as.map((a) => a.textContent));
	check(nav.join() === 'Calls', `a driver's navigation is only Calls, got ${nav}`);
	// the server refuses a driver's admin calls, whatever the page shows
	const status = await page.evaluate(async () => (await fetch('/api/v1/users')).status);
	check(status === 403, `GET /users as a driver: 403, got ${status}`);
	// a state-changing request without the CSRF token is refused
	const csrf = await page.evaluate(async () => (await fetch('/api/v1/calls/1/claim', { method: 'POST', body: '{}' })).status);
	check(csrf === 403, `POST without X-CSRF-Token: 403, got ${csrf}`);
	await Promise.all([page.waitForURL(/\/app\/login\.html/), page.click('#logout')]);
	await page.goto(site.base + '/app/driver.html');
	await page.waitForURL(/\/app\/login\.html/);
	await ctx.close();

	// a supervisor lands on the board, may open reports, not admin
	const s = await signIn(users.sup);
	check(s.page.url().includes('/app/board.html'), `supervisor's home is the board, got ${s.page.url()}`);
	await s.page.goto(site.base + '/app/admin.html');
	await s.page.waitForURL(/\/app\/board\.html/);
	await s.ctx.close();
	// an admin sees every page
	const a = await signIn(users.admin);
	const anav = await a.page.$$eval('.topbar nav a', (as) => as.map((x) => x.textContent));
	check(anav.join() === 'Calls,Board,Reports,Cost,Admin', `admin navigation, got ${anav}`);
	await a.ctx.close();
}

async function test_press_accept_resolve_report() {
	const one = await signIn(users.d1);
	const two = await signIn(users.d2);
	const sup = await signIn(users.sup, { width: 1400, height: 900 });
	for (const p of [one.page, two.page, sup.page]) await waitFor('live stream', async () => (await liveState(p)) === 'live', T);
	await shot(one.page, 'driver-empty');

	await site.press(dev, 'single');
	const card = '.call[data-status="raised"]';
	await one.page.waitForSelector(card);
	await two.page.waitForSelector(card);
	check((await one.page.textContent(`${card} .where`)).includes('Dock 1'), 'the card names the place');
	await sup.page.waitForSelector('#open-calls tbody tr[data-status="raised"]');
	await shot(one.page, 'driver-new-call');
	await shot(sup.page, 'board-raised');

	// a second press at the same place joins the call
	await site.press(dev, 'single');
	await one.page.waitForFunction(() => /×2/.test(document.querySelector('.call')?.textContent || ''), null, { timeout: T });

	// the first driver accepts: it leaves the second driver's page
	await one.page.click(`${card} .act-accept`);
	await one.page.waitForSelector('#mine .call[data-status="claimed"]');
	await two.page.waitForSelector('.call', { state: 'detached' });
	check(!(await two.page.isHidden('#no-calls')), 'the second driver sees "No open calls"');
	await sup.page.waitForFunction((name) => [...document.querySelectorAll('#open-calls tbody tr')]
		.some((tr) => tr.dataset.status === 'claimed' && tr.textContent.includes(name)), users.d1.name, { timeout: T });
	await shot(two.page, 'driver-taken-by-other');

	await one.page.click('#mine .act-arrive');
	await one.page.waitForSelector('#mine .call[data-status="arrived"]');
	await shot(one.page, 'driver-arrived');
	await one.page.click('#mine .act-done');
	await one.page.waitForSelector('#resolve-dialog[open]');
	await shot(one.page, 'driver-resolve-dialog');
	await one.page.check('#reasons input[value="Picked up"]');
	await one.page.click('#resolve-ok');
	await one.page.waitForSelector('.call', { state: 'detached' });
	await sup.page.waitForSelector('#closed-calls tbody tr');
	await sup.page.waitForSelector('#open-calls tbody tr', { state: 'detached' });
	await shot(sup.page, 'board-resolved');

	const [, call] = await site.request('GET', '/calls?status=resolved');
	check(call.items.length === 1 && call.items[0].claimedBy === users.d1.name && call.items[0].presses === 2,
		`one resolved call, claimed by ${users.d1.name}, 2 presses: ${JSON.stringify(call.items)}`);

	// the report counts it, by place, and ranks its closure reason
	await sup.page.goto(site.base + '/app/reports.html');
	await sup.page.waitForSelector('#by-location tr[data-group="Dock 1"]');
	const calls = await sup.page.textContent('#by-location tr[data-group="Dock 1"] td.n-calls');
	const resolved = await sup.page.textContent('#by-location tr[data-group="Dock 1"] td.n-resolved');
	check(calls === '1' && resolved === '1', `report: Dock 1 has 1 call, 1 resolved; got ${calls}, ${resolved}`);
	await sup.page.waitForSelector('#causes tr[data-reason="Picked up"]');
	check(await sup.page.isVisible('#by-location svg.chart rect'), 'the report draws a bar');
	await shot(sup.page, 'reports');
	for (const x of [one, two, sup]) await x.ctx.close();
}

async function test_admin_pages() {
	const a = await signIn(users.admin, { width: 1400, height: 900 });
	const page = a.page;
	await page.goto(site.base + '/app/admin.html#things');
	await page.waitForSelector('#panel-things tr[data-thing="dock-1"]');
	await shot(page, 'admin-things');
	for (const tab of ['placements', 'kinds', 'rules', 'channels', 'users']) {
		await page.click('#tab-' + tab);
		await page.waitForSelector(`#panel-${tab}:not([hidden]) > *`);
		await shot(page, 'admin-' + tab);
	}
	await page.waitForSelector('#panel-users tr[data-user="dana"]');
	// a rule with broken SQL is refused with where the error is
	await page.click('#tab-rules');
	const form = '#panel-rules form';
	await page.fill(`${form} input[name="name"]`, 'broken');
	await page.fill(`${form} textarea[name="sql"]`, 'SELECT * FRM x');
	await page.click(`${form} button[type="submit"]`);
	await page.waitForFunction(() => /line 1/.test(document.querySelector('#panel-rules form .error-text')?.textContent || ''), null, { timeout: T });
	// add a user through the page, then sign in as that user
	await page.click('#tab-users');
	await page.fill('#panel-users input[name="name"]', 'erin');
	await page.selectOption('#panel-users select[name="role"]', 'supervisor');
	await page.fill('#panel-users input[name="password"]', 'erin password 1');
	await page.click('#panel-users button[type="submit"]');
	await page.waitForSelector('#panel-users tr[data-user="erin"]');
	await a.ctx.close();
	const e = await signIn({ name: 'erin', password: 'erin password 1' });
	check(e.page.url().includes('/app/board.html'), 'the new supervisor lands on the board');
	await e.ctx.close();
}

async function test_cost_page_and_spend_banner() {
	// An SMS channel whose cap is already spent: the banner says deliveries stopped.
	await site.ok('POST', '/channels', { name: 'alerts', config: {
		sms: { provider: 'twilio', url: 'http://127.0.0.1:9/', accountSid: 'AC1', authToken: 'tok-1',
			from: '+15550000000', pricePerSegmentUsd: 0.01 } } });
	await site.ok('PUT', '/channels/alerts/cap', { monthlyUsd: 0 });
	const s = await signIn(users.sup, { width: 1280, height: 900 });
	await s.page.goto(site.base + '/app/cost.html');
	await s.page.waitForSelector('body[data-ready="1"]');
	const usage = await s.page.textContent('#usage');
	check(/Device messages/.test(usage), `the cost page lists metered messages: ${usage}`);
	const aws = await s.page.textContent('#aws');
	check(/IoT Core messages/.test(aws) && /Total/.test(aws), `the cost page prices it as AWS: ${aws}`);
	await s.page.waitForSelector('#spend-banner:not([hidden])');
	const banner = await s.page.textContent('#spend-banner');
	check(/alerts/.test(banner) && /cap/.test(banner), `the spend banner names the channel: ${banner}`);
	await shot(s.page, 'cost');
	await s.page.goto(site.base + '/app/board.html');
	await s.page.waitForSelector('#spend-banner:not([hidden])');
	await shot(s.page, 'board-spend-banner');
	await s.ctx.close();
}

async function test_stream_reconnects_after_restart() {
	const d = await signIn(users.d2);
	await waitFor('live stream', async () => (await liveState(d.page)) === 'live', T);
	await site.stop();
	await waitFor('the page to notice', async () => (await liveState(d.page)) !== 'live', T);
	await site.start();
	await waitFor('the stream to come back', async () => (await liveState(d.page)) === 'live', 20000);
	await site.press(dev, 'single');
	await d.page.waitForSelector('.call[data-status="raised"]', { timeout: T });
	await shot(d.page, 'driver-after-restart');
	await d.ctx.close();
}

async function test_board_live_health() {
	const bay = await site.device('bay-7', 'Bay 7');
	const s = await signIn(users.sup, { width: 1400, height: 900 });
	await waitFor('live stream', async () => (await liveState(s.page)) === 'live', T);
	const row = '#health tbody tr[data-thing="bay-7"]';
	await s.page.waitForSelector(`${row}.offline`);
	// DOUBLE cancels, and with no call open it only tells clickd the button is alive
	await site.press(bay, 'double', '--battery-mv', '1100');
	await s.page.waitForFunction((sel) => {
		const tr = document.querySelector(sel);
		return tr && !tr.classList.contains('offline') && /1\.1/.test(tr.textContent) && /low/.test(tr.textContent);
	}, row, { timeout: T });
	await shot(s.page, 'board-live-health');
	await s.ctx.close();
}

await setup().catch(async (e) => {
	console.log('FAIL setup: ' + (e.stack || e));
	if (site) { console.log(site.logText()); await site.cleanup(); }
	if (browser) await browser.close();
	process.exit(1);
});
await runTests([test_login_and_roles, test_press_accept_resolve_report, test_admin_pages,
	test_cost_page_and_spend_banner, test_stream_reconnects_after_restart, test_board_live_health], async () => {
	await browser.close().catch(() => {});
	await site.cleanup();
});
