// What the pages know about a call (a work order): its normalised shape,
// ordering, labels, and the lifecycle steps a user may take. Pure functions
// only, so the reports and the tests can use them without a page.

export const OPEN = ['raised', 'claimed', 'arrived'];
export const CLOSED = ['resolved', 'cancelled'];

const PRIORITY_RANK = { urgent: 0, critical: 0, high: 1, normal: 2, low: 3 };
export const PRIORITIES = ['low', 'normal', 'urgent'];

/** Closure reasons offered to the driver, by the kind's template. The text
 * is what is stored, so the reports rank readable causes. */
const REASONS = {
	'pallet-pickup': ['Picked up', 'Nothing to pick up', 'Pressed by mistake', 'Other'],
	'service-request': ['Done as asked', 'Not needed any more', 'Pressed by mistake', 'Other'],
	'patient-call': ['Assisted', 'Needed a nurse', 'Pressed by mistake', 'Other'],
	andon: ['Parts delivered', 'Tooling fixed', 'Line restarted', 'Quality issue handled', 'Pressed by mistake', 'Other'],
};
export const DEFAULT_REASONS = ['Done as asked', 'Nothing to do', 'Pressed by mistake', 'Other'];

export function reasonsForKind(kind) {
	return (kind && REASONS[kind.template]) || DEFAULT_REASONS;
}

const pick = (o, ...names) => {
	for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
	return null;
};

/** Accepts the API's work-order object and fills in every field the pages use. */
export function norm(w) {
	const claimedBy = pick(w, 'claimedBy', 'assignee', 'claimedByUser');
	const esc = pick(w, 'escalation', 'escalationLevel', 'escalations');
	return {
		raw: w,
		id: w.id,
		kind: w.kind || '',
		status: w.status || 'raised',
		thing: w.thing || '',
		location: w.location || null,
		clickType: w.clickType || null,
		priority: normPriority(pick(w, 'priority')),
		count: Number(pick(w, 'presses', 'count', 'pressCount') || 1),
		category: pick(w, 'category'),
		note: pick(w, 'note'),
		pressedAt: pick(w, 'pressedAt', 'raisedAt', 'createdAt'),
		createdAt: pick(w, 'createdAt', 'raisedAt'),
		claimedAt: pick(w, 'claimedAt'),
		claimedBy: typeof claimedBy === 'object' && claimedBy ? (claimedBy.username || claimedBy.name) : claimedBy,
		arrivedAt: pick(w, 'arrivedAt'),
		resolvedAt: pick(w, 'resolvedAt', 'closedAt'),
		cancelledAt: pick(w, 'cancelledAt'),
		reason: pick(w, 'closureReason', 'reason', 'closeReason'),
		escalation: typeof esc === 'number' ? esc : Array.isArray(esc) ? esc.length : esc && esc.level ? esc.level : 0,
		updatedAt: pick(w, 'updatedAt'),
		lastPressAt: pick(w, 'lastPressAt'),
		closedBy: pick(w, 'closedBy'),
		version: Number(pick(w, 'version') || 0),
	};
}

function normPriority(p) {
	if (p === null || p === undefined || p === '') return 'normal';
	if (typeof p === 'number') return p >= 2 ? 'urgent' : p === 1 ? 'normal' : 'low';
	return String(p).toLowerCase();
}

export const isOpen = (c) => OPEN.includes(c.status);

/** Urgent first, then the longest waiting. */
export function byUrgency(a, b) {
	const pa = PRIORITY_RANK[a.priority] ?? 2;
	const pb = PRIORITY_RANK[b.priority] ?? 2;
	if (pa !== pb) return pa - pb;
	return (a.pressedAt || 0) - (b.pressedAt || 0) || (a.id - b.id);
}

export const STATUS_LABEL = {
	raised: 'Waiting', claimed: 'Accepted', arrived: 'On site', resolved: 'Done', cancelled: 'Cancelled',
};

const titles = new Map();
/** Remembers the kinds' titles ("Pallet pickup") for kindLabel. */
export function setKinds(kinds) {
	for (const k of kinds) if (k && k.name && k.title) titles.set(k.name, k.title);
}

export function kindLabel(kind) {
	if (!kind) return 'Call';
	if (titles.has(kind)) return titles.get(kind);
	return kind.replace(/[-_]/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

/** Where the call is: the location, else the button's name. */
export function place(c) {
	return c.location || c.thing || 'Unknown place';
}

/** Durations of a closed or open call, in ms (null when the step did not happen). */
export function durations(c) {
	const start = c.pressedAt || c.createdAt;
	return {
		toAccept: c.claimedAt && start ? c.claimedAt - start : null,
		toArrive: c.arrivedAt && start ? c.arrivedAt - start : null,
		toResolve: c.resolvedAt && start ? c.resolvedAt - start : null,
	};
}

/** The call carried by a live event: {"change":"claimed","call":{...}}
 * (docs/api.md, live updates); a bare call object is accepted too. */
export function callFromEvent(d) {
	if (!d || typeof d !== 'object') return null;
	const inner = d.call || d.workorder || d.data;
	let c = null;
	if (inner && typeof inner === 'object' && inner.id !== undefined) c = norm(inner);
	else if (d.id !== undefined && (d.kind !== undefined || d.status !== undefined)) c = norm(d);
	if (c && d.change) c.change = d.change;
	return c;
}

/** Keeps the newer of two copies of a call (by version, then updatedAt). */
export function newer(old, c) {
	if (!old) return true;
	if (c.version && old.version) return c.version >= old.version;
	return (c.updatedAt || 0) >= (old.updatedAt || 0);
}

/** Tells listeners (the benchmark among them) when a call event reached the page. */
export function noteArrival(call, name) {
	const at = performance.timeOrigin + performance.now();
	window.dispatchEvent(new CustomEvent('clickd:call', { detail: { id: call.id, status: call.status, event: name, at } }));
}
