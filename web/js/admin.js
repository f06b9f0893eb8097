// Admin pages: buttons (things and their certificates), placements (the
// 1-Click projects model), call kinds (templates, click mapping,
// escalations), rules, channels and users. Each tab is a table of what
// exists and a form to add; row buttons change or delete. Errors from the
// API are shown next to the form that caused them (SQL errors with line
// and column).

import {
	things as thingsApi, rules as rulesApi, kinds as kindsApi, users as usersApi,
	channels as channelsApi, projects as projectsApi,
} from './api.js';
import { boot, showError, clearError } from './app.js';
import { h, $, $$, ago, when, toast, download } from './dom.js';
import { batteryState } from './health.js';
import { kindLabel } from './calls.js';

let me = null;
let seq = 0;

// ---- small building blocks ---------------------------------------------

/** A form from field specs; onSubmit(values) may throw an ApiError. */
function form(title, fields, onSubmit, submitLabel = 'Add') {
	const err = h('p', { class: 'error-text', role: 'alert' });
	const inputs = {};
	const body = fields.map((f) => {
		const id = `f${++seq}-${f.name}`;
		let input;
		if (f.type === 'select') {
			input = h('select', { id, name: f.name }, f.options.map((o) =>
				h('option', { value: typeof o === 'string' ? o : o.value, selected: (typeof o === 'string' ? o : o.value) === f.value }, typeof o === 'string' ? o : o.label)));
		} else if (f.type === 'textarea') {
			input = h('textarea', { id, name: f.name, rows: f.rows || 4, spellcheck: 'false', required: f.required });
			input.value = f.value || '';
		} else if (f.type === 'checkbox') {
			input = h('input', { id, name: f.name, type: 'checkbox', checked: !!f.value });
		} else {
			input = h('input', {
				id, name: f.name, type: f.type || 'text', required: f.required, placeholder: f.placeholder,
				autocomplete: f.autocomplete || 'off', value: f.value, min: f.min, max: f.max, pattern: f.pattern,
			});
		}
		inputs[f.name] = input;
		return h('div', { class: 'field' + (f.wide ? ' grow' : '') },
			h('label', { for: id }, f.label, f.help ? h('small', {}, f.help) : null), input);
	});
	const submit = h('button', { type: 'submit' }, submitLabel);
	const el = h('form', { class: 'panel mb', 'aria-label': title },
		h('h2', {}, title), h('div', { class: 'row' }, body), submit, err);
	el.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		err.textContent = '';
		const values = {};
		for (const [k, input] of Object.entries(inputs)) values[k] = input.type === 'checkbox' ? input.checked : input.value.trim();
		submit.disabled = true;
		try {
			await onSubmit(values, el);
			el.reset();
		} catch (e) {
			const where = e.body && e.body.error && e.body.error.line ? ` (line ${e.body.error.line}, column ${e.body.error.column})` : '';
			err.textContent = (e.message || String(e)) + where;
		} finally {
			submit.disabled = false;
		}
	});
	el.inputs = inputs;
	return el;
}

function table(headers, rows, empty = 'Nothing yet.') {
	if (!rows.length) return h('p', { class: 'muted' }, empty);
	return h('div', { class: 'table-wrap panel' }, h('table', {},
		h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', {}, rows)));
}

function rowButton(label, aria, fn, cls = 'secondary') {
	return h('button', {
		type: 'button', class: cls, 'aria-label': aria,
		onclick: async (ev) => {
			ev.target.disabled = true;
			try { await fn(); clearError(); } catch (e) { showError(e, aria); } finally { ev.target.disabled = false; }
		},
	}, label);
}

function unavailable(panel, what, e) {
	panel.replaceChildren(h('div', { class: 'banner' },
		e && (e.status === 404 || e.status === 405)
			? `${what}: this clickd has no such API yet.`
			: `${what}: ${e ? e.message : 'unavailable'}`));
}

const parseJson = (text, what) => {
	if (!text) return undefined;
	try { return JSON.parse(text); } catch (e) { throw new Error(`${what} is not valid JSON: ${e.message}`); }
};

// ---- buttons (things) -------------------------------------------------

async function things(panel) {
	const list = await thingsApi.all();
	const rows = list.map((t) => {
		const b = batteryState(t);
		return h('tr', { 'data-thing': t.name },
			h('td', {}, t.name), h('td', {}, t.type || '–'),
			h('td', {}, (t.attributes && t.attributes.location) || '–'),
			h('td', {}, t.enabled === false ? 'disabled' : 'enabled'),
			h('td', { class: 'num' }, b.text), h('td', {}, ago(t.lastSeenAt)),
			h('td', {}, rowButton('New certificate', `New certificate for ${t.name}`, async () => issue(t.name))));
	});
	panel.replaceChildren(
		form('Add a button', [
			{ name: 'name', label: 'Name', required: true, pattern: '[a-zA-Z0-9:_-]{1,128}', help: 'letters, digits, : _ -' },
			{ name: 'location', label: 'Location', help: 'shown to drivers, e.g. Dock 4' },
			{ name: 'type', label: 'Type', value: 'button' },
			{ name: 'cert', label: 'Issue a certificate now', type: 'checkbox', value: true },
		], async (v) => {
			const body = { name: v.name, type: v.type || undefined, attributes: v.location ? { location: v.location } : undefined };
			await thingsApi.create(body);
			toast(`Added ${v.name}`);
			if (v.cert) await issue(v.name);
			await things(panel);
		}),
		table(['Name', 'Type', 'Location', 'State', 'Battery', 'Last seen', ''], rows, 'No buttons yet.'));
}

async function issue(name) {
	const c = await thingsApi.certificate(name);
	const box = $('#cert-downloads');
	box.replaceChildren(
		h('button', { type: 'button', onclick: () => download('cert.pem', c.certificatePem, 'application/x-pem-file') }, 'cert.pem'),
		h('button', { type: 'button', onclick: () => download('key.pem', c.privateKeyPem, 'application/x-pem-file') }, 'key.pem'),
		h('button', { type: 'button', onclick: () => download('ca.pem', c.caPem, 'application/x-pem-file') }, 'ca.pem'),
		h('p', { class: 'muted' }, `Broker: ${c.endpoint ? `${c.endpoint.host}:${c.endpoint.port}` : '–'}; fingerprint ${c.fingerprint}`));
	$('#cert-dialog').showModal();
}

// ---- placements -------------------------------------------------------

async function placements(panel) {
	let projects;
	try { projects = await projectsApi.all(); } catch (e) { unavailable(panel, 'Placements', e); return; }
	const sections = [];
	for (const p0 of projects) {
		const p = { ...p0, name: p0.name || p0.projectName };
		let pl = [];
		try { pl = await projectsApi.placements(p.name); } catch (_) { /* listed empty */ }
		sections.push(h('div', { class: 'panel mb' }, h('h3', {}, p.name), p.description ? h('p', { class: 'muted' }, p.description) : null,
			table(['Placement', 'Attributes', 'Devices'], pl.map((x) => h('tr', {},
				h('td', {}, x.name || x.placementName),
				h('td', {}, Object.entries(x.attributes || {}).map(([k, v]) => `${k}=${v}`).join(', ') || '–'),
				h('td', {}, Object.entries(x.devices || {}).map(([k, v]) => `${k}: ${v}`).join(', ') || '–'))), 'No placements.'),
			form(`Add a placement to ${p.name}`, [
				{ name: 'name', label: 'Placement name', required: true },
				{ name: 'location', label: 'Location' },
				{ name: 'template', label: 'Device slot', value: 'button' },
				{ name: 'thing', label: 'Button (thing)', help: 'optional' },
			], async (v) => {
				await projectsApi.createPlacement(p.name || p.projectName, { placementName: v.name, attributes: v.location ? { location: v.location } : {} });
				if (v.thing) await projectsApi.associate(p.name, v.name, v.template || 'button', v.thing);
				await placements(panel);
			})));
	}
	panel.replaceChildren(
		form('Add a project', [
			{ name: 'name', label: 'Project name', required: true },
			{ name: 'description', label: 'Description', wide: true },
		], async (v) => {
			await projectsApi.create({ projectName: v.name, description: v.description || undefined,
				placementTemplate: { deviceTemplates: { button: { deviceType: 'button' } } } });
			await placements(panel);
		}),
		...(sections.length ? sections : [h('p', { class: 'muted' }, 'No projects yet.')]));
}

// ---- call kinds -------------------------------------------------------

function escText(k, stage) {
	const s = k.escalations && k.escalations[stage];
	if (!s) return '–';
	const n = s.notify ? (s.notify.url || s.notify.topic || (s.notify.channel ? 'channel ' + s.notify.channel : s.notify.type)) : 'nobody';
	return `after ${Math.round(s.afterSeconds / 60 * 10) / 10} min` + (s.repeatSeconds ? `, every ${Math.round(s.repeatSeconds / 60 * 10) / 10} min` : '') + ` → ${n}`;
}

/** A URL is a webhook, "channel:NAME" a channel (email, SMS...), anything else an MQTT topic. */
function notifyFrom(text) {
	if (!text) return undefined;
	if (/^https?:\/\//.test(text)) return { type: 'webhook', url: text };
	const m = text.match(/^channel:(.+)$/);
	if (m) return { type: 'notify', channel: m[1].trim() };
	return { type: 'republish', topic: text };
}

async function kinds(panel) {
	const [list, templates] = await Promise.all([kindsApi.all(), kindsApi.templates().catch(() => [])]);
	const rows = list.map((k) => h('tr', { 'data-kind': k.name },
		h('td', {}, k.name), h('td', {}, k.title || '–'), h('td', {}, k.template || '–'),
		h('td', {}, Object.entries(k.clicks || {}).map(([ct, c]) => `${ct}: ${c.action}${c.priority && c.priority !== 'normal' ? ' ' + c.priority : ''}${c.category ? ' ' + c.category : ''}`).join('; ')),
		h('td', {}, escText(k, 'unclaimed')), h('td', {}, escText(k, 'unresolved')),
		h('td', {}, rowButton('Delete', `Delete kind ${k.name}`, async () => {
			if (!confirm(`Delete the kind ${k.name}? New presses become plain work orders.`)) return;
			await kindsApi.remove(k.name);
			await kinds(panel);
		}, 'danger'))));
	const minutesToSeconds = (v) => (v ? Math.round(Number(v) * 60) : 0);
	panel.replaceChildren(
		form('Add or replace a call kind', [
			{ name: 'name', label: 'Name', required: true, help: 'the rule action\'s kind, e.g. pickup' },
			{ name: 'template', label: 'Template', type: 'select', options: templates.length ? templates.map((t) => t.template) : ['pallet-pickup', 'service-request', 'patient-call', 'andon'] },
			{ name: 'title', label: 'Title', help: 'shown to drivers' },
			{ name: 'unclaimedMin', label: 'Escalate when not accepted within (min)', type: 'number', min: 0, value: '5' },
			{ name: 'unclaimedRepeat', label: 'then every (min, 0 = once)', type: 'number', min: 0, value: '5' },
			{ name: 'unclaimedNotify', label: 'notify (URL, channel:NAME or topic)', wide: true, placeholder: 'channel:supervisors, https://ops.example/escalate or ops/escalations' },
			{ name: 'unresolvedMin', label: 'Escalate when not resolved within (min)', type: 'number', min: 0, value: '15' },
			{ name: 'unresolvedRepeat', label: 'then every (min, 0 = once)', type: 'number', min: 0, value: '0' },
			{ name: 'unresolvedNotify', label: 'notify (URL, channel:NAME or topic)', wide: true },
			{ name: 'feedback', label: 'Light feedback on the button', type: 'checkbox', value: true },
		], async (v) => {
			const escalations = {};
			for (const st of ['unclaimed', 'unresolved']) {
				const after = minutesToSeconds(v[st + 'Min']);
				if (!after) continue;
				escalations[st] = { afterSeconds: after, repeatSeconds: minutesToSeconds(v[st + 'Repeat']) };
				const n = notifyFrom(v[st + 'Notify']);
				if (n) escalations[st].notify = n;
			}
			const body = { name: v.name, template: v.template, title: v.title || undefined, escalations, feedback: v.feedback };
			if (list.some((k) => k.name === v.name)) await kindsApi.replace(v.name, body);
			else await kindsApi.create(body);
			toast(`Saved kind ${v.name}`);
			await kinds(panel);
		}, 'Save'),
		table(['Name', 'Title', 'Template', 'Clicks', 'Not accepted', 'Not resolved', ''], rows, 'No call kinds yet: presses make plain work orders.'));
}

// ---- rules ------------------------------------------------------------

async function rules(panel) {
	const list = await rulesApi.all();
	const editor = form('Add or replace a rule', [
		{ name: 'name', label: 'Name', required: true },
		{ name: 'sql', label: 'SQL', type: 'textarea', required: true, wide: true, rows: 3, value: "SELECT * FROM 'iotbutton/+' WHERE clickType <> 'DOUBLE'" },
		{ name: 'actions', label: 'Actions (JSON array)', type: 'textarea', wide: true, rows: 3, value: '[{"type":"workorder","kind":"pickup"}]' },
		{ name: 'errorAction', label: 'Error action (JSON, optional)', type: 'textarea', wide: true, rows: 2 },
	], async (v) => {
		const body = { name: v.name, sql: v.sql, actions: parseJson(v.actions, 'Actions') || [], errorAction: parseJson(v.errorAction, 'Error action') };
		if (list.some((r) => r.name === v.name)) await rulesApi.replace(v.name, body);
		else await rulesApi.create(body);
		toast(`Saved rule ${v.name}`);
		await rules(panel);
	}, 'Save');
	const rows = list.map((r) => h('tr', { 'data-rule': r.name },
		h('td', {}, r.name), h('td', {}, h('code', {}, r.sql)),
		h('td', {}, (r.actions || []).map((a) => a.type + (a.kind ? ':' + a.kind : a.url ? ' ' + a.url : a.topic ? ' ' + a.topic : '')).join(', ')),
		h('td', {}, r.enabled ? 'enabled' : 'disabled'),
		h('td', {}, h('div', { class: 'row' },
			rowButton('Edit', `Edit rule ${r.name}`, async () => {
				editor.inputs.name.value = r.name;
				editor.inputs.sql.value = r.sql;
				editor.inputs.actions.value = JSON.stringify(r.actions || []);
				editor.inputs.errorAction.value = r.errorAction ? JSON.stringify(r.errorAction) : '';
				editor.inputs.sql.focus();
			}),
			rowButton(r.enabled ? 'Disable' : 'Enable', `${r.enabled ? 'Disable' : 'Enable'} rule ${r.name}`, async () => {
				await (r.enabled ? rulesApi.disable(r.name) : rulesApi.enable(r.name));
				await rules(panel);
			}),
			rowButton('Delete', `Delete rule ${r.name}`, async () => {
				if (!confirm(`Delete the rule ${r.name}?`)) return;
				await rulesApi.remove(r.name);
				await rules(panel);
			}, 'danger')))));
	panel.replaceChildren(editor, table(['Name', 'SQL', 'Actions', 'State', ''], rows, 'No rules yet.'));
}

// ---- channels ---------------------------------------------------------

async function channels(panel) {
	let list;
	try { list = await channelsApi.all(); } catch (e) { unavailable(panel, 'Channels', e); return; }
	const subs = await Promise.all(list.map((c) => channelsApi.subscriptions(c.name).catch(() => [])));
	const rows = list.map((c, i) => h('tr', { 'data-channel': c.name },
		h('td', {}, c.name),
		h('td', {}, subs[i].map((s) => `${s.protocol} ${s.endpoint || ''}`).join(', ') || '–'),
		h('td', {}, c.monthlyCapUsd !== undefined ? `$${c.monthlyCapUsd}` : c.capMicros !== undefined ? `$${(c.capMicros / 1e6).toFixed(2)}` : '–'),
		h('td', {}, when(c.createdAt)),
		h('td', {}, h('div', { class: 'row' },
			rowButton('Send test', `Send a test message on ${c.name}`, async () => { await channelsApi.test(c.name); toast(`Test sent on ${c.name}`); }),
			rowButton('Delete', `Delete channel ${c.name}`, async () => {
				if (!confirm(`Delete the channel ${c.name}?`)) return;
				await channelsApi.remove(c.name);
				await channels(panel);
			}, 'danger')))));
	panel.replaceChildren(
		form('Add a channel', [
			{ name: 'name', label: 'Name', required: true },
			{ name: 'config', label: 'Provider settings (JSON, optional)', type: 'textarea', wide: true, rows: 2, value: '{}' },
		], async (v) => {
			await channelsApi.create({ name: v.name, ...(parseJson(v.config, 'Settings') || {}) });
			await channels(panel);
		}),
		list.length ? form('Subscribe to a channel', [
			{ name: 'channel', label: 'Channel', type: 'select', options: list.map((c) => c.name) },
			{ name: 'protocol', label: 'Protocol', type: 'select', options: ['email', 'sms', 'webhook', 'mqtt', 'feedback'] },
			{ name: 'endpoint', label: 'Endpoint', wide: true, help: 'address, phone number, URL, topic or thing' },
		], async (v) => {
			await channelsApi.subscribe(v.channel, { protocol: v.protocol, endpoint: v.endpoint });
			await channels(panel);
		}, 'Subscribe') : null,
		list.length ? form('Monthly spend cap', [
			{ name: 'channel', label: 'Channel', type: 'select', options: list.map((c) => c.name) },
			{ name: 'usd', label: 'US dollars a month', type: 'number', min: 0, value: '1' },
		], async (v) => {
			await channelsApi.setCap(v.channel, Number(v.usd));
			toast(`Cap of ${v.channel} set`);
			await channels(panel);
		}, 'Set cap') : null,
		table(['Name', 'Subscriptions', 'Monthly cap', 'Created', ''], rows, 'No channels yet.'));
}

// ---- users ------------------------------------------------------------

async function users(panel) {
	const list = await usersApi.all();
	const roles = ['driver', 'supervisor', 'admin'];
	const rows = list.map((u) => {
		const sel = h('select', { 'aria-label': `Role of ${u.name}` }, roles.map((r) => h('option', { value: r, selected: r === u.role }, r)));
		sel.addEventListener('change', async () => {
			try { await usersApi.update(u.name, { role: sel.value }); toast(`${u.name} is now ${sel.value}`); clearError(); } catch (e) { showError(e, 'Role'); sel.value = u.role; }
		});
		return h('tr', { 'data-user': u.name },
			h('td', {}, u.name), h('td', {}, sel), h('td', {}, when(u.createdAt)),
			h('td', {}, h('div', { class: 'row' },
				rowButton('New password', `Set a new password for ${u.name}`, async () => {
					const p = prompt(`New password for ${u.name} (8 to 256 characters):`);
					if (!p) return;
					await usersApi.update(u.name, { password: p });
					toast(`Password of ${u.name} changed; their sessions ended`);
				}),
				u.name === me.name ? null : rowButton('Delete', `Delete user ${u.name}`, async () => {
					if (!confirm(`Delete the user ${u.name}?`)) return;
					await usersApi.remove(u.name);
					await users(panel);
				}, 'danger'))));
	});
	panel.replaceChildren(
		form('Add a user', [
			{ name: 'name', label: 'User name', required: true, pattern: '[a-zA-Z0-9:_.@-]{1,64}' },
			{ name: 'role', label: 'Role', type: 'select', options: roles, value: 'driver' },
			{ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password', help: '8 to 256 characters' },
		], async (v) => {
			await usersApi.create({ name: v.name, role: v.role, password: v.password });
			toast(`Added ${v.name}`);
			await users(panel);
		}),
		table(['Name', 'Role', 'Created', ''], rows));
}

// ---- tabs -------------------------------------------------------------

const TABS = { things, placements, kinds, rules, channels, users };

async function show(name, focus = false) {
	for (const t of $$('[role="tab"]')) {
		const on = t.id === 'tab-' + name;
		t.setAttribute('aria-selected', String(on));
		t.tabIndex = on ? 0 : -1;
		if (on && focus) t.focus();
	}
	for (const p of $$('[role="tabpanel"]')) p.hidden = p.id !== 'panel-' + name;
	history.replaceState(null, '', '#' + name);
	const panel = $('#panel-' + name);
	try {
		await TABS[name](panel);
		clearError();
	} catch (e) {
		if (e.status === 404 || e.status === 405) unavailable(panel, kindLabel(name), e);
		else showError(e, `Could not load ${name}`);
	}
}

async function main() {
	me = await boot('admin');
	const tabs = $$('[role="tab"]');
	tabs.forEach((t, i) => {
		t.addEventListener('click', () => show(t.id.slice(4)));
		t.addEventListener('keydown', (e) => {
			const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
			if (e.key === 'Home' || e.key === 'End' || d) {
				e.preventDefault();
				const j = e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : (i + d + tabs.length) % tabs.length;
				show(tabs[j].id.slice(4), true);
			}
		});
	});
	addEventListener('hashchange', () => {
		const t = location.hash.slice(1);
		if (TABS[t]) show(t);
	});
	const first = location.hash.slice(1);
	await show(TABS[first] ? first : 'things');
}

main();
