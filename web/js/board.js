// The supervisor board: every open call with its timers, who took it and
// its escalation; the calls closed recently; and the health of the buttons
// (battery, last seen, offline). Live events keep it current; a supervisor
// may cancel a call or give a taken call back to the queue.

import { showSpendBanner } from './spend.js';
import { calls as callsApi, things as thingsApi, kinds as kindsApi } from './api.js';
import { boot, showLiveState, showError, clearError } from './app.js';
import { h, $, startTimers, duration, ago, toast, minutes } from './dom.js';
import { Live } from './live.js';
import {
	norm, isOpen, byUrgency, STATUS_LABEL, kindLabel, place, callFromEvent, noteArrival, durations, newer, setKinds,
} from './calls.js';
import { batteryState } from './health.js';

const DEFAULT_LATE_MS = 5 * 60 * 1000;
const state = { calls: new Map(), things: [], kinds: new Map() };

function lateAfter(c, stage) {
	const k = state.kinds.get(c.kind) || {};
	const s = (k.escalations || {})[stage];
	return s && s.afterSeconds ? s.afterSeconds * 1000 : DEFAULT_LATE_MS;
}

function timerCell(since, late) {
	if (!since) return h('td', { class: 'num' }, '–');
	const age = Date.now() - since;
	return h('td', { class: 'num' },
		h('span', { class: 'timer' + (age >= late ? ' late' : ''), 'data-since': since, 'data-late': late }, duration(age)));
}

function escalationCell(c) {
	if (!c.escalation) return h('td', {}, h('span', { class: 'muted' }, 'none'));
	const level = typeof c.escalation === 'number' ? c.escalation : 1;
	return h('td', {}, h('span', { class: 'badge esc' }, level > 1 ? `escalated ×${level}` : 'escalated'));
}

function actions(c) {
	const out = [];
	if (c.status !== 'raised') {
		out.push(h('button', { type: 'button', class: 'secondary', onclick: () => act(c, 'release'),
			'aria-label': `Give call ${c.id} back to the queue` }, 'Give back'));
	}
	out.push(h('button', { type: 'button', class: 'secondary', onclick: () => act(c, 'cancel'),
		'aria-label': `Cancel call ${c.id}` }, 'Cancel'));
	return h('td', {}, h('div', { class: 'row' }, out));
}

async function act(c, what) {
	let reason = null;
	if (what === 'cancel') {
		reason = prompt(`Cancel the call at ${place(c)}? Reason:`, 'cancelled by supervisor');
		if (reason === null) return;
		reason = reason.trim() || 'cancelled by supervisor';
	}
	try {
		const doc = what === 'cancel' ? await callsApi.cancel(c.id, reason) : await callsApi.release(c.id);
		const n = callFromEvent(doc);
		if (n) upsert(n);
		toast(what === 'cancel' ? `Cancelled: ${place(c)}` : `Back in the queue: ${place(c)}`);
		clearError();
	} catch (e) {
		showError(e, 'Could not update the call');
	}
}

function renderCalls() {
	const all = [...state.calls.values()];
	const open = all.filter(isOpen).sort(byUrgency);
	const now = Date.now();
	const tbody = $('#open-calls tbody');
	tbody.replaceChildren(...open.map((c) => h('tr', { 'data-id': c.id, 'data-status': c.status },
		h('td', { class: 'num' }, c.id),
		h('td', {}, h('span', { class: 'badge ' + c.status }, STATUS_LABEL[c.status] || c.status)),
		h('td', {}, kindLabel(c.kind) + (c.category ? ` · ${c.category}` : '')),
		h('td', {}, h('strong', {}, place(c)), c.location ? h('div', { class: 'muted' }, c.thing) : null),
		h('td', {}, c.priority === 'normal' ? h('span', { class: 'muted' }, 'normal')
			: h('span', { class: 'badge ' + (c.priority === 'urgent' ? 'urgent' : 'ok') }, c.priority)),
		h('td', { class: 'num' }, c.count),
		timerCell(c.pressedAt, lateAfter(c, 'unclaimed')),
		h('td', {}, c.claimedBy || h('span', { class: 'muted' }, '–')),
		c.status === 'raised' ? h('td', { class: 'num' }, '–') : timerCell(c.claimedAt, lateAfter(c, 'unresolved')),
		escalationCell(c),
		actions(c))));
	$('#no-open').hidden = open.length > 0;
	$('#n-raised').textContent = open.filter((c) => c.status === 'raised').length;
	$('#n-claimed').textContent = open.filter((c) => c.status !== 'raised').length;
	$('#n-escalated').textContent = open.filter((c) => c.escalation).length;
	$('#n-late').textContent = open.filter((c) => c.status === 'raised' && now - c.pressedAt >= lateAfter(c, 'unclaimed')).length;

	const closed = all.filter((c) => !isOpen(c))
		.sort((a, b) => (b.resolvedAt || b.cancelledAt || b.createdAt) - (a.resolvedAt || a.cancelledAt || a.createdAt))
		.slice(0, 20);
	$('#closed-calls tbody').replaceChildren(...closed.map((c) => {
		const d = durations(c);
		return h('tr', { 'data-id': c.id },
			h('td', { class: 'num' }, c.id),
			h('td', {}, place(c)),
			h('td', {}, kindLabel(c.kind)),
			h('td', {}, h('span', { class: 'badge ' + c.status }, STATUS_LABEL[c.status]), c.reason ? ` ${c.reason}` : ''),
			h('td', {}, c.claimedBy || '–'),
			h('td', { class: 'num' }, d.toAccept === null ? '–' : minutes(d.toAccept) + ' min'),
			h('td', { class: 'num' }, d.toResolve === null ? '–' : minutes(d.toResolve) + ' min'));
	}));
	document.title = (open.length ? `(${open.length}) ` : '') + 'Board · clickd';
}

function renderHealth() {
	const offlineAfter = Number($('#offline-after').value);
	const onlyProblems = $('#health-filter').value === 'problems';
	const now = Date.now();
	const rows = state.things.map((t) => {
		const offline = !t.lastSeenAt || now - t.lastSeenAt > offlineAfter;
		const battery = batteryState(t);
		return { t, offline, battery };
	});
	$('#n-offline').textContent = rows.filter((r) => r.offline).length;
	$('#n-battery').textContent = rows.filter((r) => r.battery.low).length;
	const shown = rows.filter((r) => !onlyProblems || r.offline || r.battery.low)
		.sort((a, b) => (b.offline - a.offline) || (b.battery.low - a.battery.low) || a.t.name.localeCompare(b.t.name));
	$('#health tbody').replaceChildren(...shown.map(({ t, offline, battery }) => h('tr', { class: offline ? 'offline' : null, 'data-thing': t.name },
		h('td', {}, t.name),
		h('td', {}, (t.attributes && t.attributes.location) || h('span', { class: 'muted' }, '–')),
		h('td', {}, t.enabled === false ? h('span', { class: 'badge cancelled' }, 'disabled')
			: offline ? h('span', { class: 'badge urgent' }, 'offline') : h('span', { class: 'badge ok' }, 'online')),
		h('td', { class: 'num' }, battery.text, battery.low ? h('span', { class: 'badge urgent after' }, 'low') : null),
		h('td', { title: t.lastSeenAt ? new Date(t.lastSeenAt).toISOString() : 'never' }, ago(t.lastSeenAt, now)))));
	$('#no-health').hidden = shown.length > 0;
}

function upsert(c, live = false, name = '') {
	if (live) noteArrival(c, name);
	if (!newer(state.calls.get(c.id), c)) return;
	state.calls.set(c.id, c);
	renderCalls();
}

async function loadCalls() {
	const [open, recent] = await Promise.all([
		callsApi.all({ status: 'open' }, 5000),
		callsApi.list({ limit: 100 }).then((p) => p.items || []),
	]);
	const m = new Map();
	for (const w of [...recent, ...open]) {
		const c = norm(w);
		const cur = state.calls.get(c.id);
		m.set(c.id, cur && !newer(cur, c) ? cur : c);
	}
	state.calls = m;
	renderCalls();
	clearError();
}

async function loadThings() {
	state.things = await thingsApi.all();
	renderHealth();
}

async function sync() {
	await Promise.all([loadCalls(), loadThings()]);
}

async function main() {	await boot('board');
	showSpendBanner();
	setInterval(showSpendBanner, 60000);
	$('#offline-after').addEventListener('change', renderHealth);
	$('#health-filter').addEventListener('change', renderHealth);
	startTimers(document);
	const onCall = (name) => (d) => { const c = callFromEvent(d); if (c) upsert(c, true, name); };
	// thing.updated: a button's last seen, battery and enabled, as clickd has them now
	// (at most one a second per button). A copy older than the one shown is dropped.
	const onThing = (d) => {
		const t = d && d.thing;
		if (!t || !t.name) return;
		const i = state.things.findIndex((x) => x.name === t.name);
		if (i < 0) { loadThings().catch(() => {}); return; } // a button added since the list loaded
		const cur = state.things[i];
		if (cur.lastSeenAt && t.lastSeenAt && t.lastSeenAt < cur.lastSeenAt) return;
		state.things[i] = { ...cur, ...t };
		renderHealth();
	};
	const live = new Live({
		handlers: { 'call.created': onCall('call.created'), 'call.updated': onCall('call.updated'), 'thing.updated': onThing },
		onSync: sync,
		onState: showLiveState,
	});
	try {
		await sync();
	} catch (e) {
		showError(e, 'Could not load the board');
	}
	kindsApi.all().then((ks) => { for (const k of ks) state.kinds.set(k.name, k); setKinds(ks); renderCalls(); }).catch(() => {});
	live.start();
	// Last-seen ages and offline states move with the clock.
	setInterval(renderHealth, 30000);
	// Live events keep the buttons current; a slow reload catches buttons added or renamed.
	setInterval(() => { if (document.visibilityState === 'visible') loadThings().catch(() => {}); }, 10 * 60000);
}

main();
