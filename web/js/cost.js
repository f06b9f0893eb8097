// Usage and cost: the month's metered usage (GET /usage) with its forecast,
// what the same usage costs on AWS (priced by clickd from its price file),
// the storage used, and the spend caps of the channels that cost money.

import { get } from './api.js';
import { boot, showError, clearError } from './app.js';
import { h, $ } from './dom.js';
import { showSpendBanner } from './spend.js';

const LABELS = {
	messages: 'Device messages', rule_triggers: 'Rules triggered', rule_matches: 'Rules matched',
	actions: 'Rule actions', workorders: 'Work orders', webhooks: 'Webhook deliveries',
	function_runs: 'Function runs', function_ms: 'Function milliseconds',
	notifications: 'Notifications', sms_segments: 'SMS segments', emails: 'Emails',
	queue_ops: 'Queue operations', table_ops: 'Table operations', table_writes: 'Table writes',
};

const fmt = (n) => Number(n || 0).toLocaleString();

function row(cells, head) {
	return h('tr', {}, cells.map((c, i) => (i === 0 && !head
		? h('th', { scope: 'row' }, c)
		: h(head ? 'th' : 'td', head ? { scope: 'col', class: i ? 'num' : null } : { class: 'num' }, c))));
}

function table(headCells, rows) {
	return h('div', { class: 'table-wrap' }, h('table', {},
		h('thead', {}, row(headCells, true)), h('tbody', {}, rows.map((r) => row(r, false)))));
}

function monthNow() {
	const d = new Date();
	return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function show(month) {
	clearError();
	let u;
	try {
		u = await get('/usage?month=' + encodeURIComponent(month));
	} catch (e) {
		showError(e, 'Cannot read the usage');
		return;
	}
	$('#period').textContent = `${u.month} (UTC): ${Number(u.daysElapsed).toFixed(1)} of ${u.daysInMonth} days.`
		+ (u.storageBytes ? ` Store ${fmt(u.storageBytes.store)} bytes, journal ${fmt(u.storageBytes.journal)} bytes.` : '');
	const metrics = Object.keys(u.totals || {});
	$('#usage').replaceChildren(metrics.length
		? table(['Metric', 'Month to date', 'Forecast'],
			metrics.map((m) => [LABELS[m] || m, fmt(u.totals[m]), fmt((u.forecast || {})[m])]))
		: h('p', { class: 'muted' }, 'Nothing metered in this month.'));
	if (u.aws) {
		$('#prices').textContent = `Prices from ${u.aws.prices}, always-free tiers applied.`;
		$('#aws').replaceChildren(table(['Line', 'Quantity', 'Month to date', 'Forecast'],
			u.aws.lines.map((l) => [l.name, fmt(l.quantity), '$' + l.monthToDate, '$' + l.forecast])
				.concat([['Total', '', '$' + u.aws.monthToDate, '$' + u.aws.forecast]])));
	} else {
		$('#prices').textContent = 'clickd has no price file (start it with --prices FILE).';
		$('#aws').replaceChildren();
	}
}

async function showCaps() {
	const list = await showSpendBanner();
	const paid = list.filter((c) => c.spend);
	$('#caps').replaceChildren(paid.length
		? table(['Channel', 'Spent this month', 'Cap', 'State'],
			paid.map((c) => [c.name, '$' + (c.spend.spentUsd ?? c.spend.spent ?? '0'), '$' + c.monthlyCapUsd, c.spend.state]))
		: h('p', { class: 'muted' }, 'No channels.'));
}

async function main() {
	await boot('cost');
	const input = $('#month');
	input.value = monthNow();
	$('#pick').addEventListener('submit', (ev) => {
		ev.preventDefault();
		show(input.value);
	});
	await Promise.all([show(input.value), showCaps()]);
	document.body.dataset.ready = '1';
}

main();
