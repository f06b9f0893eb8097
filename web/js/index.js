// The entry page (/ and client-side routes such as /app/driver): sends a
// signed-in user to the page named by the path when their role may see it,
// otherwise to their role's home page, and everyone else to the login page.

import { session, setCsrf } from './api.js';
import { homeFor, userOf, allowed } from './app.js';

const route = location.pathname.replace(/^\/app\/?/, '').replace(/\/$/, '');
try {
	const u = userOf(await session.current());
	if (u.csrf) setCsrf(u.csrf);
	location.replace(route && allowed(route, u.role) ? `/app/${route}.html` : homeFor(u.role));
} catch (_) {
	location.replace('/app/login.html' + (route ? '?next=' + encodeURIComponent(`/app/${route}.html`) : ''));
}
