// Browser-test harness: a real clickd (with its mosquitto) on ephemeral
// loopback ports in a temporary directory, clickctl and clickbtn for
// devices and presses, and Debian's chromium started by playwright-core.
// The node counterpart of tests/integration/harness.py. Every wait has a
// deadline; nothing synchronises on a bare sleep.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, openSync, closeSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE = path.resolve(here, '..', '..');
export const BIN = path.resolve(process.env.CK_BIN_DIR || path.join(SOURCE, 'build', 'debug'));
export const ARTIFACTS = path.resolve(process.env.CK_E2E_ARTIFACTS || path.join(BIN, 'e2e-artifacts'));

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value; throws naming what after timeout. */
export async function waitFor(what, fn, timeoutMs = 10000, intervalMs = 25) {
	const deadline = Date.now() + timeoutMs;
	let last;
	while (Date.now() < deadline) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e;
		}
		await sleep(intervalMs);
	}
	throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

function run(cmd, args, opts = {}) {
	return new Promise((resolve) => {
		execFile(cmd, args, { timeout: 30000, ...opts }, (err, stdout, stderr) => {
			resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
		});
	});
}

export class Site {
	constructor(name = 'web') {
		this.tmp = mkdtempSync(path.join(tmpdir(), `clickd-${name}-`));
		this.data = path.join(this.tmp, 'data');
		this.proc = null;
	}

	async start(extra = []) {
		// a restart keeps the ports, so pages and devices find clickd again
		this.httpPort = this.httpPort || await freePort();
		this.mqttPort = this.mqttPort || await freePort();
		this.base = `http://127.0.0.1:${this.httpPort}`;
		const log = openSync(path.join(this.tmp, 'clickd.log'), 'a');
		this.proc = spawn(path.join(BIN, 'clickd'), ['--data-dir', this.data,
			'--http', `127.0.0.1:${this.httpPort}`, '--mqtt', `127.0.0.1:${this.mqttPort}`,
			'--web-dir', path.join(SOURCE, 'web'), ...extra], { stdio: ['ignore', log, log] });
		closeSync(log);
		this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
		await waitFor('clickd and its broker to be ready', async () => {
			if (this.proc.exitCode !== null) throw new Error(`clickd exited with ${this.proc.exitCode}:\n${this.logText()}`);
			const r = await fetch(this.base + '/api/v1/health').catch(() => null);
			if (!r || !r.ok) return false;
			return (await r.json()).broker === 'running';
		}, 15000);
		return this;
	}

	logText() {
		try { return readFileSync(path.join(this.tmp, 'clickd.log'), 'utf8').slice(-4000); } catch (_) { return ''; }
	}

	token() {
		return readFileSync(path.join(this.data, 'admin.token'), 'utf8').trim();
	}

	/** API call with the admin bearer token; resolves [status, body]. */
	async request(method, p, body) {
		const r = await fetch(this.base + '/api/v1' + p, {
			method,
			headers: { Authorization: 'Bearer ' + this.token(), 'Content-Type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await r.text();
		let doc = null;
		try { doc = text ? JSON.parse(text) : null; } catch (_) { doc = text; }
		return [r.status, doc];
	}

	async ok(method, p, body) {
		const [status, doc] = await this.request(method, p, body);
		if (status < 200 || status > 299) throw new Error(`${method} ${p}: ${status} ${JSON.stringify(doc)}`);
		return doc;
	}

	env() {
		return { ...process.env, CLICKD_SERVER: this.base, CLICKD_DATA_DIR: this.data };
	}

	async clickctl(...args) {
		const r = await run(path.join(BIN, 'clickctl'), args, { env: this.env() });
		if (r.code !== 0) throw new Error(`clickctl ${args.join(' ')} -> ${r.code}\n${r.stdout}${r.stderr}`);
		return r;
	}

	/** A button with its certificate, key and configuration in a directory. */
	async device(name, location) {
		const out = path.join(this.tmp, 'dev-' + name);
		const args = ['thing', 'create', name, '--out', out];
		if (location) args.push('--attr', 'location=' + location);
		await this.clickctl(...args);
		return out;
	}

	/** One press through clickbtn (connect, publish QoS 1, PUBACK, exit). */
	async press(devdir, click = 'single', ...extra) {
		const r = await run(path.join(BIN, 'clickbtn'), ['--config', devdir, 'press', click, '--timeout', '10', ...extra]);
		if (r.code !== 0) throw new Error(`clickbtn press ${click} -> ${r.code}\n${r.stdout}${r.stderr}`);
		return r;
	}

	async user(name, role, password = 'correct horse ' + name) {
		await this.ok('POST', '/users', { name, role, password });
		return { name, role, password };
	}

	async stop() {
		if (this.proc && this.proc.exitCode === null) {
			this.proc.kill('SIGTERM');
			const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
			await this.exited;
			clearTimeout(t);
		}
	}

	async cleanup() {
		await this.stop();
		try {
			const pid = Number(readFileSync(path.join(this.data, 'mosquitto.pid'), 'utf8').trim());
			if (pid) process.kill(pid, 'SIGTERM');
		} catch (_) { /* no broker left */ }
		if (process.env.CK_KEEP_TMP) console.log('kept', this.tmp);
		else rmSync(this.tmp, { recursive: true, force: true });
	}
}

/** Debian's chromium through playwright-core, with the flags this machine
 * needs. Playwright gives the browser a fresh, empty profile directory of
 * its own (--user-data-dir) and removes it on close; each newContext() is a
 * separate cookie jar, so two drivers can be signed in side by side. */
export async function launchBrowser() {
	const { chromium } = await import('playwright-core');
	const exe = process.env.CK_CHROMIUM || '/usr/bin/chromium';
	if (!existsSync(exe)) throw new Error(`${exe} is missing: install Debian's chromium (scripts/install-deps.sh)`);
	return chromium.launch({
		executablePath: exe,
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--autoplay-policy=no-user-gesture-required'],
		timeout: 20000,
	});
}

/** Runs named async tests, then after(); prints PASS/FAIL lines and a
 * summary; exits non-zero on failure. */
export async function runTests(tests, after = async () => {}) {
	mkdirSync(ARTIFACTS, { recursive: true });
	let failed = 0;
	for (const t of tests) {
		const start = Date.now();
		try {
			await t();
			console.log(`PASS ${t.name} (${((Date.now() - start) / 1000).toFixed(2)} s)`);
		} catch (e) {
			failed++;
			console.log(`FAIL ${t.name}: ${e && e.stack ? e.stack : e}`);
		}
	}
	await after();
	console.log(`${tests.length - failed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

export function check(cond, message) {
	if (!cond) throw new Error(message);
}
