// The live stream (docs/api.md, "Live updates"): one EventSource on
// /api/v1/stream. The browser reconnects it by itself and sends
// Last-Event-ID, so clickd replays what was missed; when the stream is
// closed for good (an error status, a dead network) it is reopened here
// with backoff and jitter. After every `hello` and every `resync` the page
// reloads its lists (onSync), so a tablet that was offline for an hour
// still ends up right. clickd sends a `ping` event every 15 s, so a stream
// is quiet only when it is dead or stalled; a quiet stream is checked with a
// cheap request every `checkMs`: if that fails the network is gone and the
// stream is reopened.

import { STREAM_PATH, session, toLogin } from './api.js';

export class Live {
	/**
	 * handlers: { [eventName]: (data, MessageEvent) => void }
	 * onSync: () => Promise, after each hello and resync
	 * onState: (state) => void with 'connecting' | 'live' | 'reconnecting' | 'offline'
	 */
	constructor({ handlers = {}, onSync, onState, checkMs = 30000, path = STREAM_PATH } = {}) {
		this.handlers = handlers;
		this.onSync = onSync || (async () => {});
		this.onState = onState || (() => {});
		this.checkMs = checkMs;
		this.path = path;
		this.es = null;
		this.attempt = 0;
		this.timer = 0;
		this.watchdog = 0;
		this.lastEventAt = 0;
		this.stopped = false;
		this.state = '';
		addEventListener('online', () => this.reconnectNow());
		addEventListener('offline', () => this.setState('offline'));
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible' && (!this.es || this.es.readyState === EventSource.CLOSED)) this.reconnectNow();
		});
	}

	setState(s) {
		if (s === this.state) return;
		this.state = s;
		this.onState(s);
	}

	start() {
		this.stopped = false;
		this.open();
		clearInterval(this.watchdog);
		this.watchdog = setInterval(() => this.check(), this.checkMs);
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
		};
		es.onerror = () => {
			if (this.stopped || es !== this.es) return;
			// CONNECTING: the browser retries by itself (with Last-Event-ID);
			// CLOSED: it gave up (an error status), so we reopen.
			if (es.readyState === EventSource.CLOSED) this.scheduleReconnect();
			else this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
		};
		const seen = () => { this.lastEventAt = Date.now(); };
		const sync = () => {
			seen();
			this.setState('live');
			Promise.resolve(this.onSync()).catch((e) => console.warn('sync failed', e));
		};		es.addEventListener('hello', sync);
		es.addEventListener('ping', seen);
		es.addEventListener('resync', sync);
		for (const name of Object.keys(this.handlers)) {
			es.addEventListener(name, (ev) => { seen(); this.dispatch(name, ev); });
		}
	}

	dispatch(name, ev) {
		let data = ev.data;
		try { data = JSON.parse(ev.data); } catch (_) { /* plain text event */ }
		try { this.handlers[name](data, ev); } catch (e) { console.error('handler', name, e); }
	}

	/** A quiet stream may be a dead one: one request tells. */
	async check() {
		if (this.stopped || document.visibilityState !== 'visible') return;
		if (this.state === 'live' && Date.now() - this.lastEventAt < this.checkMs) return;
		try {
			await session.current();
			this.lastEventAt = Date.now();
			if (!this.es || this.es.readyState === EventSource.CLOSED) this.reconnectNow();
		} catch (e) {
			if (e.status === 401) { toLogin(); return; }
			this.scheduleReconnect();
		}
	}

	async scheduleReconnect() {
		if (this.stopped) return;
		if (this.es) this.es.close();
		this.es = null;
		this.attempt++;
		this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
		// A refused stream may mean the session ended: ask, go to login on 401.
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
