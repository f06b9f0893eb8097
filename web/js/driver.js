// The driver view (tablets): open calls nobody has taken, and the calls this
// driver has taken, each with its place, a running timer and one large
// button for the next step. A call another driver accepts leaves the list
// at once (live event); a new call flashes, is announced to screen readers
// and chimes.

import { calls as callsApi, kinds as kindsApi } from './api.js';
import { boot, showLiveState, showError, clearError } from './app.js';
import { h, $, startTimers, toast, announce, clock, duration } from './dom.js';
import { Live } from './live.js';
import {
	norm, isOpen, byUrgency, STATUS_LABEL, kindLabel, place, reasonsForKind, setKinds, callFromEvent, noteArrival, newer,
} from './calls.js';
import { chime, soundWanted, setSoundWanted, unlock, soundReady } from './sound.js';

const DEFAULT_LATE_MS = 5 * 60 * 1000;
const state = { me: '', role: '', calls: new Map(), kinds: new Map(), filter: '', loaded: false };
const cards = new Map();

function visible(c) {
	if (!isOpen(c)) return false;
	if (state.filter && c.kind !== state.filter) return false;
	if (c.status === 'raised') return true;
	return c.claimedBy === state.me;
}

function lateAfter(c) {
	const k = state.kinds.get(c.kind) || {};
	const esc = k.escalations || {};
	const stage = esc[c.status === 'raised' ? 'unclaimed' : 'unresolved'];
	return stage && stage.afterSeconds ? stage.afterSeconds * 1000 : DEFAULT_LATE_MS;
}

function actionButtons(c) {
	const b = [];
	const label = `${kindLabel(c.kind)} at ${place(c)}`;
	if (c.status === 'raised') {
		b.push(h('button', { type: 'button', class: 'act-accept', 'aria-label': `Accept: ${label}`, onclick: () => step(c.id, 'claim') }, 'Accept'));
	}
	if (c.status === 'claimed' && c.claimedBy === state.me) {
		b.push(h('button', { type: 'button', class: 'act-arrive', 'aria-label': `Arrived: ${label}`, onclick: () => step(c.id, 'arrive') }, 'Arrived'));
	}
	if ((c.status === 'claimed' || c.status === 'arrived') && c.claimedBy === state.me) {
		b.push(h('button', { type: 'button', class: 'act-done', 'aria-label': `Done: ${label}`, onclick: () => resolveDialog(c.id) }, 'Done'));
		b.push(h('button', { type: 'button', class: 'act-release secondary', 'aria-label': `Give back: ${label}`, onclick: () => step(c.id, 'release') }, 'Give back'));
	}
	return b;
}

function renderCard(c) {
	const li = cards.get(c.id) || h('li', { class: 'call' });
	li.dataset.id = c.id;
	li.dataset.status = c.status;
	li.setAttribute('aria-label', `${kindLabel(c.kind)}, ${place(c)}, ${STATUS_LABEL[c.status] || c.status}`);
	const since = c.status === 'raised' ? c.pressedAt : (c.status === 'arrived' ? c.arrivedAt : c.claimedAt) || c.pressedAt;
	const timerLabel = c.status === 'raised' ? 'waiting' : c.status === 'arrived' ? 'on site' : 'since accepted';
	li.replaceChildren(
		h('div', { class: 'meta' },
			h('span', { class: 'badge ' + c.status }, STATUS_LABEL[c.status] || c.status),
			h('strong', {}, kindLabel(c.kind) + (c.category ? ` · ${c.category}` : '')),
			c.priority !== 'normal' ? h('span', { class: 'badge ' + (c.priority === 'urgent' ? 'urgent' : 'warn') }, c.priority) : null,
			c.count > 1 ? h('span', { class: 'badge warn', title: 'presses joined to this call' }, `×${c.count} presses`) : null),
		h('div', { class: 'where' }, place(c)),
		h('div', { class: 'meta' },
			c.location ? h('span', {}, `Button ${c.thing}`) : null,
			h('span', {}, `pressed ${clock(c.pressedAt)}`)),
		h('div', {},
			h('span', { class: 'big-timer timer' + (Date.now() - since >= lateAfter(c) ? ' late' : ''), 'data-since': since, 'data-late': lateAfter(c), role: 'timer' }, duration(Date.now() - since)),
			' ', h('span', { class: 'muted' }, timerLabel)),
		h('div', { class: 'actions' }, actionButtons(c)));
	cards.set(c.id, li);
	return li;
}

function render() {
	const list = [...state.calls.values()].filter(visible).sort(byUrgency);
	const mine = list.filter((c) => c.status !== 'raised');
	const open = list.filter((c) => c.status === 'raised');
	place_(document.getElementById('mine'), mine);
	place_(document.getElementById('calls'), open);
	for (const id of [...cards.keys()]) {
		if (!list.some((c) => c.id === id)) { cards.get(id).remove(); cards.delete(id); }
	}
	$('#mine-section').hidden = mine.length === 0;
	$('#no-calls').hidden = open.length !== 0 || !state.loaded;
	$('#summary').textContent = `${open.length} waiting` + (mine.length ? `, ${mine.length} mine` : '');
	document.title = (open.length ? `(${open.length}) ` : '') + 'Calls · clickd';
}

function place_(ul, items) {
	const els = items.map(renderCard);
	const same = els.length === ul.children.length && els.every((el, i) => ul.children[i] === el);
	if (!same) {
		const focused = document.activeElement;
		ul.replaceChildren(...els);
		if (focused && document.contains(focused) === false) $('#calls-heading').focus();
		else if (focused && focused.focus) focused.focus();
	}
}

function upsert(c, { live = false, event = '' } = {}) {
	const before = state.calls.get(c.id);
	if (live) noteArrival(c, event);
	if (!newer(before, c)) return;
	state.calls.set(c.id, c);
	if (live && c.status === 'raised' && (!before || before.status !== 'raised') && visible(c)) {
		render();
		const card = cards.get(c.id);
		if (card) {
			card.classList.add('fresh');
			setTimeout(() => card.classList.remove('fresh'), 2600);
		}
		announce(`New call: ${kindLabel(c.kind)} at ${place(c)}`);
		chime(c.priority === 'urgent');
		if (navigator.vibrate) navigator.vibrate(200);
		return;
	}
	if (live && before && before.status === 'raised' && c.status !== 'raised' && c.claimedBy !== state.me) {
		announce(`${place(c)} taken by ${c.claimedBy || 'another driver'}`);
	}
	render();
}

async function step(id, what) {
	unlock();
	const c = state.calls.get(id);
	const card = cards.get(id);
	card?.querySelectorAll('button').forEach((b) => { b.disabled = true; });
	try {
		const doc = await callsApi[what](id);
		clearError();
		const next = { claim: 'claimed', arrive: 'arrived', release: 'raised' }[what];
		const n = callFromEvent(doc) || norm({ ...c.raw, status: next });
		if (!n.claimedBy && what === 'claim') n.claimedBy = state.me;
		upsert(n);
		toast({ claim: `Accepted: ${place(n)}`, arrive: `Arrived at ${place(n)}`, release: `Given back: ${place(n)}` }[what]);
	} catch (e) {
		if (e.status === 409) {
			toast(what === 'claim' ? `Already taken: ${place(c)}` : `This call changed: ${e.message}`);
			await refreshOne(id);
		} else {
			showError(e, 'Could not update the call');
			card?.querySelectorAll('button').forEach((b) => { b.disabled = false; });
		}
	}
}

async function refreshOne(id) {
	try {
		upsert(norm(await callsApi.get(id)));
	} catch (e) {
		state.calls.delete(id);
		render();
	}
}

function reasonsFor(kind) {
	return reasonsForKind(state.kinds.get(kind)).map((x) => ({ value: x, label: x }));
}

function resolveDialog(id) {
	unlock();
	const c = state.calls.get(id);
	const dlg = $('#resolve-dialog');
	$('#resolve-where').textContent = `${kindLabel(c.kind)} at ${place(c)}`;
	const box = $('#reasons');
	box.replaceChildren(...reasonsFor(c.kind).map((r, i) =>
		h('label', { class: 'choice' },
			h('input', { type: 'radio', name: 'reason', value: r.value, required: true, checked: i === 0 }),
			r.label)));
	$('#resolve-note').value = '';
	dlg.returnValue = '';
	dlg.onclose = async () => {
		if (dlg.returnValue !== 'ok') return;
		const reason = (box.querySelector('input:checked') || {}).value || 'Done as asked';
		const note = $('#resolve-note').value.trim();
		try {
			await callsApi.resolve(id, reason, note);
			clearError();
			const cur = state.calls.get(id);
			if (cur) state.calls.set(id, { ...cur, status: 'resolved', version: cur.version + 1 });
			render();
			toast(`Done: ${place(c)}`);
		} catch (e) {
			if (e.status === 409) { toast(`This call changed: ${e.message}`); refreshOne(id); } else showError(e, 'Could not close the call');
		}
	};
	dlg.showModal();
}

async function load() {
	const open = await callsApi.all({ status: 'open' }, 5000);
	const fresh = new Map();
	for (const w of open) {
		const c = norm(w);
		const live = state.calls.get(c.id);
		// an event newer than this list (it arrived while the list loaded) wins
		fresh.set(c.id, live && !newer(live, c) ? live : c);
	}
	state.calls = fresh;
	state.loaded = true;
	clearError();
	render();
}

async function loadKinds() {
	try {
		const ks = await kindsApi.all();
		for (const k of ks) state.kinds.set(k.name, k);
		setKinds(ks);
		const sel = $('#kind-filter');
		for (const k of ks) sel.append(h('option', { value: k.name }, k.title || kindLabel(k.name)));
		render();
	} catch (_) {
		// no kinds endpoint: offer the kinds seen in calls
		const sel = $('#kind-filter');
		for (const k of new Set([...state.calls.values()].map((c) => c.kind))) sel.append(h('option', { value: k }, kindLabel(k)));
	}
}

function soundButton() {
	const btn = $('#sound');
	const show = () => {
		const on = soundWanted();
		btn.setAttribute('aria-pressed', String(on));
		btn.textContent = on ? (soundReady() ? 'Sound on' : 'Tap to enable sound') : 'Sound off';
	};
	btn.addEventListener('click', () => {
		const on = !(soundWanted() && soundReady());
		setSoundWanted(on || !soundWanted());
		if (soundWanted()) chime();
		setTimeout(show, 50);
	});
	// any first tap unlocks audio when the driver wants sound
	addEventListener('pointerdown', () => { if (soundWanted()) { unlock(); setTimeout(show, 50); } }, { once: true });
	show();
}

async function main() {
	const user = await boot('driver');
	state.me = user.name;
	state.role = user.role;
	soundButton();
	$('#kind-filter').addEventListener('change', (e) => { state.filter = e.target.value; render(); });
	startTimers(document);
	const onCall = (name) => (d) => { const c = callFromEvent(d); if (c) upsert(c, { live: true, event: name }); };
	const live = new Live({
		handlers: { 'call.created': onCall('call.created'), 'call.updated': onCall('call.updated') },
		onSync: load,
		onState: showLiveState,
	});
	try {
		await load();
	} catch (e) {
		showError(e, 'Could not load calls');
	}
	loadKinds();
	live.start();
	// A slow safety net: reload every 2 minutes even when the stream is live.
	setInterval(() => { if (document.visibilityState === 'visible') load().catch(() => {}); }, 120000);
}

main();
