// The spend banner: a channel that costs money (SMS) and has used 80% of its
// monthly cap shows a warning, one that reached the cap and stopped sending
// shows an error, on every page that includes <div id="spend-banner">.

import { channels } from './api.js';
import { h, $ } from './dom.js';

/** Fetches the channels and fills #spend-banner; returns the channels. */
export async function showSpendBanner() {
	const box = $('#spend-banner');
	let list = [];
	try {
		list = await channels.all();
	} catch (_) {
		return list; /* a driver may not read channels; nothing to show */
	}
	if (!box) return list;
	const over = list.filter((c) => c.spend && c.spend.state && c.spend.state !== 'ok');
	if (!over.length) {
		box.hidden = true;
		box.replaceChildren();
		return list;
	}
	const stopped = over.some((c) => c.spend.state === 'stopped');
	box.className = 'banner ' + (stopped ? 'error' : 'warning');
	box.replaceChildren(...over.map((c) => h('p', {},
		`Channel ${c.name}: ${c.spend.state === 'stopped'
			? 'monthly spend cap reached; paid deliveries are not sent'
			: 'over 80% of its monthly spend cap'} (cap $${c.monthlyCapUsd}). `,
		h('a', { href: '/app/admin.html#channels' }, 'Raise the cap'))));
	box.hidden = false;
	return list;
}
