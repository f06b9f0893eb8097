// Small DOM and formatting helpers shared by every page. Text always goes
// in through textContent (never innerHTML), so names and locations typed by
// users or sent by devices cannot inject markup.

/** h('td', {class: 'num'}, 'text', childNode) builds an element. */
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === 'class') el.className = v;
		else if (k === 'dataset') Object.assign(el.dataset, v);
		else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (v === true) el.setAttribute(k, '');
		else el.setAttribute(k, String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** 75 s -> "1:15", 3725 s -> "1:02:05". */
export function duration(ms) {
	if (ms === null || ms === undefined || !isFinite(ms)) return '–';
	const neg = ms < 0;
	let s = Math.floor(Math.abs(ms) / 1000);
	const hh = Math.floor(s / 3600);
	s -= hh * 3600;
	const mm = Math.floor(s / 60);
	s -= mm * 60;
	const pad = (n) => String(n).padStart(2, '0');
	return (neg ? '-' : '') + (hh ? `${hh}:${pad(mm)}:${pad(s)}` : `${mm}:${pad(s)}`);
}

/** Minutes with one decimal for reports: 95 s -> "1.6". */
export function minutes(ms) {
	if (ms === null || ms === undefined || !isFinite(ms)) return '–';
	return (ms / 60000).toFixed(1);
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
	year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
});

export function clock(ms) {
	return ms ? timeFmt.format(new Date(ms)) : '–';
}

export function when(ms) {
	return ms ? dateTimeFmt.format(new Date(ms)) : '–';
}

/** "3 min ago" style, for last-seen columns. */
export function ago(ms, now = Date.now()) {
	if (!ms) return 'never';
	const s = Math.round((now - ms) / 1000);
	if (s < 60) return `${Math.max(s, 0)} s ago`;
	if (s < 3600) return `${Math.round(s / 60)} min ago`;
	if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
	return `${Math.round(s / 86400)} days ago`;
}

let toastTimer = 0;
/** A short message at the bottom of the screen, also read by screen readers. */
export function toast(text) {
	let el = document.getElementById('toast');
	if (!el) {
		el = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
		document.body.append(el);
	}
	el.textContent = text;
	el.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

/** Every element with data-since (Unix ms) shows the time elapsed since then,
 * updated once a second by one timer for the whole page. data-late (ms)
 * marks it late past that age. */
export function startTimers(root = document) {
	const tick = () => {
		const now = Date.now();
		for (const el of root.querySelectorAll('[data-since]')) {
			const since = Number(el.dataset.since);
			const age = now - since;
			el.textContent = duration(age);
			if (el.dataset.late) el.classList.toggle('late', age >= Number(el.dataset.late));
		}
	};
	tick();
	return setInterval(tick, 1000);
}

/** Sets the text of a polite live region (created on first use). */
export function announce(text) {
	let el = document.getElementById('announcer');
	if (!el) {
		el = h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'assertive' });
		document.body.append(el);
	}
	el.textContent = '';
	// a fresh text node so that the same message twice is read twice
	requestAnimationFrame(() => { el.textContent = text; });
}

export function download(filename, text, type = 'text/csv') {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const a = h('a', { href: url, download: filename });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}
