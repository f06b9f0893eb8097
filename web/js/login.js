// Login: posts the user name and password, keeps the CSRF token the server
// hands back, and goes to the page the user came from (when their role may
// see it) or to their role's home page.

import { session, setCsrf } from './api.js';
import { homeFor, allowed, userOf, PAGES } from './app.js';
import { $ } from './dom.js';

function target(role) {
	const next = new URLSearchParams(location.search).get('next') || '';
	// only same-site paths of our own pages, never an absolute URL
	const page = PAGES.find((p) => next === p.href || next.startsWith(p.href + '?'));
	if (page && allowed(page.id, role)) return next;
	return homeFor(role);
}

async function already() {
	try {
		const u = userOf(await session.current());
		if (u.role) {
			if (u.csrf) setCsrf(u.csrf);
			location.replace(target(u.role));
		}
	} catch (_) { /* not signed in: stay */ }
}

$('#login-form').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	const err = $('#error');
	const btn = $('#login-submit');
	const username = $('#username').value.trim();
	const password = $('#password').value;
	if (!username || !password) {
		err.textContent = 'Enter your user name and password.';
		err.hidden = false;
		(username ? $('#password') : $('#username')).focus();
		return;
	}
	btn.disabled = true;
	try {
		const u = userOf(await session.login(username, password));
		if (u.csrf) setCsrf(u.csrf);
		let role = u.role;
		if (!role) role = userOf(await session.current()).role;
		location.assign(target(role));
	} catch (e) {
		err.textContent = e.status === 401 || e.status === 403 || e.status === 400
			? 'User name or password is wrong.'
			: e.status === 429 ? 'Too many attempts; wait a minute and try again.'
				: `Cannot sign in: ${e.message}`;
		err.hidden = false;
		$('#password').select();
		$('#password').focus();
	} finally {
		btn.disabled = false;
	}
});

already();
$('#username').focus();
