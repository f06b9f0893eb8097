// The pages' only door to clickd: JSON over /api/v1 with the session cookie
// and the CSRF token on every state-changing request. Every path the pages
// use is named here, so a change in docs/api.md is a change in this file.

export const BASE = '/api/v1';
export const APP = '/app';
export const STREAM_PATH = BASE + '/stream';

export class ApiError extends Error {
	constructor(status, body) {
		const e = (body && body.error) || {};
		super(e.message || `HTTP ${status}`);
		this.status = status;
		this.code = e.code || 'http_' + status;
		this.body = body;
	}
}

let csrf = null;

export function setCsrf(token) {
	csrf = token || null;
	try {
		if (csrf) sessionStorage.setItem('clickd.csrf', csrf);
		else sessionStorage.removeItem('clickd.csrf');
	} catch (_) { /* storage may be disabled */ }
}

function csrfToken() {
	if (csrf) return csrf;
	try { csrf = sessionStorage.getItem('clickd.csrf'); } catch (_) { /* none */ }
	if (!csrf) {
		const m = document.cookie.match(/(?:^|;\s*)clickd_csrf=([^;]+)/);
		if (m) csrf = decodeURIComponent(m[1]);
	}
	return csrf;
}

/** Sends one request; resolves with the parsed body, rejects with ApiError.
 * A 401 on any page but the login page sends the browser to the login page. */
export async function api(method, path, body, { redirect = true, signal } = {}) {
	const headers = { Accept: 'application/json' };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && method !== 'HEAD') {
		const t = csrfToken();
		if (t) headers['X-CSRF-Token'] = t;
	}
	const res = await fetch(BASE + path, {
		method, headers, credentials: 'same-origin', signal,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	let doc = null;
	const text = await res.text();
	if (text) {
		try { doc = JSON.parse(text); } catch (_) { doc = { error: { code: 'bad_response', message: text.slice(0, 200) } }; }
	}
	if (res.status === 401 && redirect && !location.pathname.endsWith('/login.html')) {
		toLogin();
	}
	if (!res.ok) throw new ApiError(res.status, doc);
	return doc;
}

export function toLogin() {
	const next = location.pathname + location.search;
	location.assign(APP + '/login.html?next=' + encodeURIComponent(next));
}

export const get = (p, o) => api('GET', p, undefined, o);
export const post = (p, b, o) => api('POST', p, b === undefined ? {} : b, o);
export const put = (p, b, o) => api('PUT', p, b, o);
export const patch = (p, b, o) => api('PATCH', p, b, o);
export const del = (p, o) => api('DELETE', p, undefined, o);

const q = (params) => {
	const s = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') s.set(k, v);
	const t = s.toString();
	return t ? '?' + t : '';
};
const enc = encodeURIComponent;

/** Follows `next` cursors until the list ends or max items are read. */
export async function all(path, params = {}, max = 5000) {
	const items = [];
	let after = null;
	for (;;) {
		const page = await get(path + q({ ...params, limit: 500, after }));
		items.push(...(page.items || []));
		after = page.next;
		if (!after || items.length >= max) return items;
	}
}

// ---- session (docs/api.md "Authentication and roles") --------------------
export const session = {
	login: (username, password) => api('POST', '/auth/login', { username, password }, { redirect: false }),
	current: () => api('GET', '/auth/session', undefined, { redirect: false }),
	logout: () => api('POST', '/auth/logout', {}, { redirect: false }),
	password: (password, newPassword) => post('/auth/password', { password, newPassword }),
};

// ---- calls --------------------------------------------------------------
export const calls = {
	list: (params) => get('/calls' + q(params)),
	all: (params, max) => all('/calls', params, max),
	get: (id) => get('/calls/' + enc(id)),
	claim: (id, driver) => post(`/calls/${enc(id)}/claim`, driver ? { driver } : {}),
	arrive: (id) => post(`/calls/${enc(id)}/arrive`),
	resolve: (id, reason, note) => post(`/calls/${enc(id)}/resolve`, { reason, note: note || undefined }),
	release: (id) => post(`/calls/${enc(id)}/release`),
	cancel: (id, reason) => post(`/calls/${enc(id)}/cancel`, { reason }),
	/** Calls created in [from, to) (clickd filters), newest first, at most max. */
	window: (from, to, max = 20000) => all('/calls', { from, to }, max),
};

// ---- the rest of the model ----------------------------------------------
export const things = {
	all: () => all('/things'),
	create: (t) => post('/things', t),
	update: (name, t) => api('PATCH', '/things/' + enc(name), t),
	certificate: (name) => post(`/things/${enc(name)}/certificates`, {}),
};

export const rules = {
	all: () => all('/rules'),
	create: (r) => post('/rules', r),
	replace: (name, r) => put('/rules/' + enc(name), r),
	enable: (name) => post(`/rules/${enc(name)}/enable`),
	disable: (name) => post(`/rules/${enc(name)}/disable`),
	remove: (name) => del('/rules/' + enc(name)),
};

export const kinds = {
	all: () => all('/kinds'),
	templates: () => get('/kinds/templates').then((d) => d.items || []),
	create: (k) => post('/kinds', k),
	replace: (name, k) => put('/kinds/' + enc(name), k),
	remove: (name) => del('/kinds/' + enc(name)),
};

export const channels = {
	all: () => all('/channels'),
	create: (c) => post('/channels', c),
	replace: (name, c) => put('/channels/' + enc(name), c),
	remove: (name) => del('/channels/' + enc(name)),
	test: (name) => post(`/channels/${enc(name)}/publish`, { subject: 'clickd test', message: 'A test message from the clickd admin page.' }),
	subscriptions: (name) => all(`/channels/${enc(name)}/subscriptions`),
	subscribe: (name, sub) => post(`/channels/${enc(name)}/subscriptions`, sub),
	setCap: (name, monthlyUsd) => put(`/channels/${enc(name)}/cap`, { monthlyUsd }),
};

export const users = {
	all: () => all('/users'),
	create: (u) => post('/users', u),
	update: (name, u) => put('/users/' + enc(name), u),
	remove: (name) => del('/users/' + enc(name)),
};

export const projects = {
	all: () => all('/projects'),
	create: (p) => post('/projects', p),
	placements: (project) => all(`/projects/${enc(project)}/placements`),
	createPlacement: (project, p) => post(`/projects/${enc(project)}/placements`, p),
	associate: (project, placement, template, thing) =>
		put(`/projects/${enc(project)}/placements/${enc(placement)}/devices/${enc(template)}`, { deviceId: thing }),
};

export const events = {
	list: (params) => get('/events' + q(params)),
};


// ---- reports (docs/api.md "Reports") ---------------------------------------
export const reports = {
	by: (by, from, to, kind) => get('/reports/calls' + q({ by, from, to, kind })),
	csvUrl: (from, to, kind) => BASE + '/reports/calls.csv' + q({ from, to, kind }),
};
