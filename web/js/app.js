// The frame every signed-in page shares: who is signed in, the navigation
// their role may use, the live-stream indicator and sign-out. A page calls
// boot('board') and gets the user back, or the browser goes to the login
// page (no session) or to the user's home page (role not allowed here).

import { session, setCsrf, toLogin } from './api.js';
import { h, $ } from './dom.js';

export const PAGES = [
	{ id: 'driver', href: '/app/driver.html', label: 'Calls', roles: ['driver', 'supervisor', 'admin'] },
	{ id: 'board', href: '/app/board.html', label: 'Board', roles: ['supervisor', 'admin'] },	{ id: 'reports', href: '/app/reports.html', label: 'Reports', roles: ['supervisor', 'admin'] },
	{ id: 'cost', href: '/app/cost.html', label: 'Cost', roles: ['supervisor', 'admin'] },
	{ id: 'admin', href: '/app/admin.html', label: 'Admin', roles: ['admin'] },
];

/** The page a role lands on after login. */
export function homeFor(role) {
	return role === 'driver' ? '/app/driver.html' : '/app/board.html';
}

export function allowed(pageId, role) {
	const p = PAGES.find((x) => x.id === pageId);
	return !!p && p.roles.includes(role);
}

/** Normalises the session document: {user:{name,role}, csrfToken} or flat. */
export function userOf(doc) {
	const u = (doc && (doc.user || doc)) || {};
	return {
		name: u.username || u.name || u.user || '',
		role: u.role || (Array.isArray(u.roles) ? u.roles[0] : '') || '',
		csrf: (doc && (doc.csrfToken || doc.csrf)) || u.csrfToken || null,
	};
}

export async function boot(pageId) {
	let doc;
	try {
		doc = await session.current();
	} catch (e) {
		if (e.status === 401 || e.status === 404) { toLogin(); return new Promise(() => {}); }
		showFatal(`Cannot reach clickd: ${e.message}`);
		throw e;
	}
	const user = userOf(doc);
	if (user.csrf) setCsrf(user.csrf);
	if (!allowed(pageId, user.role)) {
		location.replace(homeFor(user.role));
		return new Promise(() => {});
	}
	renderTopbar(pageId, user);
	document.body.dataset.role = user.role;
	return user;
}

function renderTopbar(pageId, user) {
	const bar = $('#topbar');
	if (!bar) return;
	const nav = h('nav', { 'aria-label': 'Pages' },
		PAGES.filter((p) => p.roles.includes(user.role)).map((p) =>
			h('a', { href: p.href, 'aria-current': p.id === pageId ? 'page' : null }, p.label)));
	// shown by showLiveState on the pages that keep a live stream
	const live = h('span', { id: 'live', class: 'live', role: 'status', 'data-state': 'connecting', hidden: true }, 'Connecting');
	const out = h('button', { type: 'button', class: 'secondary', id: 'logout', onclick: logout }, 'Sign out');
	bar.replaceChildren(
		h('a', { class: 'brand', href: homeFor(user.role) }, 'clickd'),
		nav, h('span', { class: 'spacer' }), live,
		h('span', { class: 'who' }, h('span', { class: 'visually-hidden' }, 'Signed in as '),
			`${user.name} (${user.role})`),
		out);
}

const STATE_TEXT = { connecting: 'Connecting', live: 'Live', reconnecting: 'Reconnecting', offline: 'Offline' };

/** For Live's onState: updates the indicator in the top bar. */
export function showLiveState(state) {
	const el = $('#live');
	if (!el) return;
	el.hidden = false;
	el.dataset.state = state;
	el.textContent = STATE_TEXT[state] || state;
	const banner = $('#stale');
	if (banner) banner.hidden = state === 'live' || state === 'connecting';
}

async function logout() {
	try { await session.logout(); } catch (_) { /* gone already */ }
	setCsrf(null);
	location.assign('/app/login.html');
}

export function showFatal(text) {
	const b = $('#error') || document.body.appendChild(h('div', { id: 'error', class: 'banner error', role: 'alert' }));
	b.textContent = text;
	b.hidden = false;
}

/** Shows an API error in the page's error banner (role=alert). */
export function showError(e, what) {
	const msg = (what ? what + ': ' : '') + (e && e.message ? e.message : String(e));
	showFatal(msg);
}

export function clearError() {
	const b = $('#error');
	if (b) b.hidden = true;
}
