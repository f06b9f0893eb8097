// The live stream: one EventSource on clickd's Server-Sent Events endpoint,
// reopened with backoff whenever it closes, and a full reload of the page's
// data (onSync) after every (re)connection, so that nothing that happened
// while the tablet was offline is missed. A quiet stream is treated as dead
// after `staleMs` without any event (the server sends a heartbeat).

import { STREAM_PATH, session, toLogin } from './api.js';

export class Live {
	/**
	 * handlers: { [eventName]: (data, MessageEvent) => void }
	 * onSync: () => Promise, called after each open
	 * onState: (state) => void with 'connecting' | 'live' | 'reconnecting' | 'offline'
	 */
	constructor({ handlers = {}, onSync, onState, staleMs = 45000, path = STREAM_PATH } = {}) {
		this.handlers = handlers;
		this.onSync = onSync || (async () => {});
		this.onState = onState || (() => {});
		this.staleMs = staleMs;
		this.path = path;
		this.es = null;
		this.attempt = 0;
		this.timer = 0;
		this.watchdog = 0;
		this.lastEventAt = 0;
		this.stopped = false;
		addEventListener('online', () => this.reconnectNow());
		addEventListener('offline', () => this.setState('offline'));
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible' && (!this.es || this.es.readyState === 2)) this.reconnectNow();
		});
	}

	setState(s) {
		this.state = s;
		this.onState(s);
	}

	start() {
		this.stopped = false;
		this.open();
		return this;
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.timer);
		clearInterval(this.watchdog);
		if (this.es) this.es.close();
		this.es = null;
	}

	open() {
		clearTimeout(this.timer);
		if (this.es) this.es.close();
		this.setState(this.attempt ? 'reconnecting' : 'connecting');
		const es = new EventSource(this.path, { withCredentials: true });
		this.es = es;
		es.onopen = () => {
			this.attempt = 0;
			this.lastEventAt = Date.now();
			this.setState('live');
			Promise.resolve(this.onSync()).catch((e) => console.warn('sync failed', e));
		};
		es.onerror = () => {
			if (this.stopped || es !== this.es) return;
			// CONNECTING: the browser retries by itself; CLOSED: we must.
			if (es.readyState === EventSource.CLOSED) this.scheduleReconnect();
			else this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
		};
		const seen = () => { this.lastEventAt = Date.now(); };
		es.onmessage = (ev) => { seen(); this.dispatch('message', ev); };
		for (const name of Object.keys(this.handlers)) {
			if (name === 'message') continue;
			es.addEventListener(name, (ev) => { seen(); this.dispatch(name, ev); });
		}
		for (const name of ['ping', 'heartbeat', 'hello']) {
			if (!this.handlers[name]) es.addEventListener(name, seen);
		}
		clearInterval(this.watchdog);
		this.watchdog = setInterval(() => {
			if (this.state === 'live' && Date.now() - this.lastEventAt > this.staleMs) this.scheduleReconnect();
		}, 5000);
	}

	dispatch(name, ev) {
		const fn = this.handlers[name];
		if (!fn) return;
		let data = ev.data;
		try { data = JSON.parse(ev.data); } catch (_) { /* plain text event */ }
		try { fn(data, ev); } catch (e) { console.error('handler', name, e); }
	}

	async scheduleReconnect() {
		if (this.stopped) return;
		if (this.es) this.es.close();
		this.es = null;
		this.attempt++;
		this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
		// A closed stream may mean the session ended: ask once, go to login on 401.
		try {
			await session.current();
		} catch (e) {
			if (e.status === 401) { toLogin(); return; }
		}
		const base = Math.min(30000, 500 * 2 ** Math.min(this.attempt - 1, 6));
		const delay = base / 2 + Math.random() * base / 2;
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.open(), delay);
	}

	reconnectNow() {
		if (this.stopped) return;
		this.attempt = Math.max(this.attempt, 1);
		this.open();
	}
}
