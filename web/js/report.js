// Report arithmetic, pure (no DOM): shifts, grouping, medians and 90th
// percentiles of time to accept and time to resolve, closure reasons
// ranked, and CSV. Node can import this module, and the browser tests do.

/** "Early 06:00-14:00, Late 14:00-22:00, Night 22:00-06:00" -> shifts. */
export function parseShifts(text) {
	const out = [];
	for (const part of String(text).split(/[,;\n]/)) {
		const m = part.trim().match(/^(.*?)\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/);
		if (!m) continue;
		const start = Number(m[2]) * 60 + Number(m[3]);
		const end = Number(m[4]) * 60 + Number(m[5]);
		if (start >= 1440 || end > 1440) continue;
		out.push({ name: m[1] || `${m[2]}:${m[3]}`, start, end });
	}
	return out;
}

export const DEFAULT_SHIFTS = 'Early 06:00-14:00, Late 14:00-22:00, Night 22:00-06:00';

/** The shift a local time falls in ('Other' when none). */
export function shiftOf(ms, shifts) {
	const d = new Date(ms);
	const m = d.getHours() * 60 + d.getMinutes();
	for (const s of shifts) {
		if (s.start <= s.end ? m >= s.start && m < s.end : m >= s.start || m < s.end) return s.name;
	}
	return 'Other';
}

export function quantile(sorted, q) {
	if (!sorted.length) return null;
	const i = (sorted.length - 1) * q;
	const lo = Math.floor(i);
	const hi = Math.ceil(i);
	return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function stats(values) {
	const v = values.filter((x) => x !== null && isFinite(x)).sort((a, b) => a - b);
	return { n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9) };
}

/**
 * calls: normalised calls (calls.js norm). key: call -> group name.
 * Returns [{group, calls, resolved, cancelled, open, accept:{n,median,p90}, resolve:{...}}]
 * sorted by number of calls, most first.
 */
export function groupBy(calls, key) {
	const groups = new Map();
	for (const c of calls) {
		const k = key(c) || '–';
		if (!groups.has(k)) groups.set(k, []);
		groups.get(k).push(c);
	}
	return [...groups.entries()].map(([group, cs]) => summarise(cs, group))
		.sort((a, b) => b.calls - a.calls || String(a.group).localeCompare(String(b.group)));
}

export function summarise(cs, group = 'all') {
	const start = (c) => c.pressedAt || c.createdAt;
	return {
		group,
		calls: cs.length,
		resolved: cs.filter((c) => c.status === 'resolved').length,
		cancelled: cs.filter((c) => c.status === 'cancelled').length,
		open: cs.filter((c) => ['raised', 'claimed', 'arrived'].includes(c.status)).length,
		escalated: cs.filter((c) => c.escalation).length,
		accept: stats(cs.map((c) => (c.claimedAt ? c.claimedAt - start(c) : null))),
		resolve: stats(cs.map((c) => (c.status === 'resolved' && c.resolvedAt ? c.resolvedAt - start(c) : null))),
	};
}

/** Closure reasons of resolved and cancelled calls, most frequent first. */
export function causes(calls) {
	const m = new Map();
	for (const c of calls) {
		if (c.status !== 'resolved' && c.status !== 'cancelled') continue;
		const r = c.reason || (c.status === 'cancelled' ? 'cancelled (no reason)' : 'no reason given');
		m.set(r, (m.get(r) || 0) + 1);
	}
	return [...m.entries()].map(([label, count]) => ({ label, count }))
		.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

function csvCell(v) {
	if (v === null || v === undefined) return '';
	let s = String(v);
	// a cell starting with = + - @ would be a formula in a spreadsheet
	if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = "'" + s;
	return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function csv(header, rows) {
	return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const iso = (ms) => (ms ? new Date(ms).toISOString() : '');
const secs = (ms) => (ms === null || ms === undefined ? '' : (ms / 1000).toFixed(1));

/** One line per call, times in ISO 8601 UTC, durations in seconds. */
export function callsCsv(calls, shifts) {
	const header = ['id', 'kind', 'category', 'priority', 'status', 'thing', 'location', 'shift', 'presses',
		'pressed_at', 'claimed_at', 'arrived_at', 'resolved_at', 'claimed_by', 'reason', 'escalations',
		'seconds_to_accept', 'seconds_to_arrive', 'seconds_to_resolve'];
	const rows = calls.map((c) => {
		const s = c.pressedAt || c.createdAt;
		return [c.id, c.kind, c.category, c.priority, c.status, c.thing, c.location, shiftOf(s, shifts), c.count,
			iso(s), iso(c.claimedAt), iso(c.arrivedAt), iso(c.resolvedAt || c.cancelledAt), c.claimedBy, c.reason,
			c.escalation || 0,
			secs(c.claimedAt ? c.claimedAt - s : null), secs(c.arrivedAt ? c.arrivedAt - s : null),
			secs(c.status === 'resolved' && c.resolvedAt ? c.resolvedAt - s : null)];
	});
	return csv(header, rows);
}

/** The grouped figures as CSV: dimension, group, counts, minutes. */
export function summaryCsv(sections) {
	const m = (ms) => (ms === null ? '' : (ms / 60000).toFixed(2));
	const rows = [];
	for (const [dim, groups] of sections) {
		for (const g of groups) {
			rows.push([dim, g.group, g.calls, g.resolved, g.cancelled, g.open, g.presses ?? '',
				m(g.accept.median), m(g.accept.p90), m(g.resolve.median), m(g.resolve.p90)]);
		}
	}
	return csv(['by', 'group', 'calls', 'resolved', 'cancelled', 'open', 'presses',
		'median_min_to_accept', 'p90_min_to_accept', 'median_min_to_resolve', 'p90_min_to_resolve'], rows);
}
