// Reports: calls created in a period, by place, kind, shift and driver
// (clickd's GET /reports/calls does the arithmetic: counts, median and
// 90th percentile of the time to accept and to resolve), the closure
// reasons and the button categories ranked (Pareto), and CSV downloads:
// every call (clickd's /reports/calls.csv) and the figures shown here. A
// kind filter narrows everything to one call kind; clickd does all the
// counting, the page never pages through the calls itself.

import { reports as reportsApi, kinds as kindsApi } from './api.js';
import { boot, showError, clearError } from './app.js';
import { h, $, minutes, download } from './dom.js';
import { kindLabel, setKinds } from './calls.js';
import { barChart, paretoChart } from './charts.js';
import { summaryCsv, csv } from './report.js';

const state = { sections: [], causes: [], range: null };

const isoDay = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
function localMidnight(s) {
	const [y, m, d] = s.split('-').map(Number);
	return new Date(y, m - 1, d).getTime();
}

/** The API's group -> the shape the tables and summaryCsv use. */
function group(it, label) {
	const a = it.acceptMs || {};
	const r = it.resolveMs || {};
	return {
		group: it.key === null || it.key === undefined || it.key === '' ? '–' : String(it.key),
		label: label ? label(it.key) : null,
		calls: it.calls || 0, resolved: it.resolved || 0, cancelled: it.cancelled || 0, open: it.open || 0,
		presses: it.presses || 0, escalated: it.escalated || 0,
		accept: { median: a.p50 ?? null, p90: a.p90 ?? null, avg: a.avg ?? null },
		resolve: { median: r.p50 ?? null, p90: r.p90 ?? null, avg: r.avg ?? null },
	};
}

function table(groups, dimLabel, dim) {
	const m = (v) => (v === null || v === undefined ? '–' : minutes(v));
	return h('div', { class: 'table-wrap' }, h('table', { 'data-by': dim },
		h('thead', {}, h('tr', {},
			h('th', { scope: 'col' }, dimLabel), h('th', { scope: 'col', class: 'num' }, 'Calls'),
			h('th', { scope: 'col', class: 'num' }, 'Resolved'), h('th', { scope: 'col', class: 'num' }, 'Cancelled'),
			h('th', { scope: 'col', class: 'num' }, 'Presses'),
			h('th', { scope: 'col', class: 'num' }, 'Accept median / p90 (min)'),
			h('th', { scope: 'col', class: 'num' }, 'Resolve median / p90 (min)'))),
		h('tbody', {}, groups.map((g) => h('tr', { 'data-group': g.group },
			h('th', { scope: 'row' }, g.label || g.group), h('td', { class: 'num n-calls' }, g.calls),
			h('td', { class: 'num n-resolved' }, g.resolved), h('td', { class: 'num' }, g.cancelled),
			h('td', { class: 'num' }, g.presses),
			h('td', { class: 'num' }, `${m(g.accept.median)} / ${m(g.accept.p90)}`),
			h('td', { class: 'num' }, `${m(g.resolve.median)} / ${m(g.resolve.p90)}`))))));
}

function section(id, title, groups, dimLabel, dim) {
	const chart = barChart({
		title,
		rows: groups.map((g) => ({ label: String(g.label || g.group), values: [g.accept.median, g.resolve.median] })),
		series: [{ name: 'median to accept', cls: 'bar-a' }, { name: 'median to resolve', cls: 'bar-b' }],
		format: (v) => minutes(v),
	});
	$('#' + id).replaceChildren(chart, groups.length ? table(groups, dimLabel, dim) : h('p', { class: 'muted' }, 'No calls in this period.'));
}

function ranked(id, items, title, what) {
	const total = items.reduce((a, b) => a + b.count, 0);
	let cum = 0;
	$('#' + id).replaceChildren(
		paretoChart({ items, title }),
		items.length ? h('div', { class: 'table-wrap' }, h('table', {},
			h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, what), h('th', { scope: 'col', class: 'num' }, 'Calls'),
				h('th', { scope: 'col', class: 'num' }, 'Share'), h('th', { scope: 'col', class: 'num' }, 'Cumulative'))),
			h('tbody', {}, items.map((r) => {
				cum += r.count;
				return h('tr', { 'data-reason': r.label }, h('th', { scope: 'row' }, r.label), h('td', { class: 'num' }, r.count),
					h('td', { class: 'num' }, Math.round((100 * r.count) / total) + '%'),
					h('td', { class: 'num' }, Math.round((100 * cum) / total) + '%'));
			})))) : h('p', { class: 'muted' }, 'Nothing closed in this period.'));
}

function totals(groups) {
	const sum = (k) => groups.reduce((a, g) => a + g[k], 0);
	const n = sum('calls');
	// the overall medians are not the sum of the groups': show weighted means
	// of the group medians only when one group holds everything
	$('#totals').replaceChildren(...[[n, 'calls'], [sum('resolved'), 'resolved'], [sum('cancelled'), 'cancelled'],
		[sum('open'), 'still open'], [sum('presses'), 'presses']]
		.map(([v, l]) => h('div', { class: 'stat', 'data-total': l }, h('div', { class: 'n' }, v), h('div', { class: 'l' }, l))));
}

async function load() {
	const from = localMidnight($('#from').value);
	const to = localMidnight($('#to').value) + 86400000;
	if (!(to > from)) { showError(new Error('"To" must not be before "From"'), 'Period'); return; }
	const kind = $('#kind').value || undefined;
	state.range = { from, to };
	history.replaceState(null, '', '?' + new URLSearchParams({ from: $('#from').value, to: $('#to').value, ...(kind ? { kind } : {}) }));
	$('#csv-calls').href = reportsApi.csvUrl(from, to, kind);
	$('#csv-calls').setAttribute('download', `calls-${$('#from').value}-to-${$('#to').value}.csv`);
	try {
		const by = (what) => reportsApi.by(what, from, to, kind);
		const [loc, kinds, shift, driver, cat, reasons] = await Promise.all(
			['location', 'kind', 'shift', 'claimedBy', 'category', 'closureReason'].map(by));
		const byLoc = loc.items.map((i) => group(i));
		const byKind = kinds.items.map((i) => group(i, kindLabel));
		const order = ['early', 'late', 'night'];
		const byShift = shift.items.map((i) => group(i, (k) => kindLabel(String(k))))
			.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
		const byDriver = driver.items.map((i) => group(i, (k) => k || 'not accepted'));
		totals(byKind);
		section('by-location', 'Median minutes by place', byLoc, 'Place', 'location');
		section('by-kind', 'Median minutes by kind', byKind, 'Kind', 'kind');
		section('by-shift', 'Median minutes by shift', byShift, 'Shift', 'shift');
		section('by-claimedBy', 'Median minutes by driver', byDriver, 'Driver', 'claimedBy');
		// closure reasons of the closed calls, most frequent first (open calls have none)
		state.causes = reasons.items.filter((i) => i.resolved + i.cancelled > 0)
			.map((i) => ({ label: String(i.key), count: i.resolved + i.cancelled }))
			.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
		ranked('causes', state.causes, 'Closure reasons ranked', 'Reason');
		ranked('categories', cat.items.filter((i) => i.key).map((i) => ({ label: String(i.key), count: i.calls })), 'Categories ranked', 'Category');
		state.sections = [['place', byLoc], ['kind', byKind], ['shift', byShift], ['driver', byDriver]];
		clearError();
	} catch (e) {
		showError(e, 'Could not load the report');
	}
}

async function main() {
	await boot('reports');
	const q = new URLSearchParams(location.search);
	const today = new Date();
	$('#to').value = q.get('to') || isoDay(today);
	$('#from').value = q.get('from') || isoDay(new Date(today.getTime() - 6 * 86400000));
	try {
		const ks = await kindsApi.all();
		setKinds(ks);
		$('#kind').append(...ks.map((k) => h('option', { value: k.name }, kindLabel(k.name))));
	} catch (_) { /* titles and the kind filter are optional */ }
	$('#kind').value = q.get('kind') || '';
	$('#filters').addEventListener('submit', (e) => { e.preventDefault(); load(); });
	$('#csv-summary').addEventListener('click', () => {
		const causesRows = state.causes.map((c) => ['cause', c.label, c.count]);
		download(`summary-${$('#from').value}-to-${$('#to').value}.csv`,
			summaryCsv(state.sections) + '\r\n' + csv(['by', 'cause', 'calls'], causesRows));
	});
	await load();
}

main();
