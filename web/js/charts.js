// Charts drawn as inline SVG (no library, nothing fetched). Each chart has
// role="img" and a text summary; the pages put the same figures in a table
// next to it for screen readers and for copying.

const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
	const e = document.createElementNS(NS, tag);
	for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
	if (text !== undefined) e.textContent = text;
	return e;
}

function niceMax(v) {
	if (!(v > 0)) return 1;
	const p = 10 ** Math.floor(Math.log10(v));
	for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
	return 10 * p;
}

/**
 * Horizontal grouped bars.
 * rows: [{label, values: [number|null, ...], note?}]
 * series: [{name, cls}] (cls: bar-a, bar-b, bar-c)
 * format: value -> text shown at the bar end
 */
export function barChart({ rows, series, format = (v) => String(v), title = '', width = 720 }) {
	const labelW = Math.min(220, Math.max(80, ...rows.map((r) => r.label.length * 7.2 + 12)));
	const barH = 16;
	const gap = 4;
	const groupH = series.length * barH + (series.length - 1) * gap + 14;
	const top = 8;
	const height = top + Math.max(1, rows.length) * groupH + 24;
	const plotW = width - labelW - 70;
	const max = niceMax(Math.max(0, ...rows.flatMap((r) => r.values.filter((v) => v !== null && isFinite(v)))));
	const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
	const summary = rows.map((r) => `${r.label}: ` + series.map((s, i) => `${s.name} ${r.values[i] === null ? 'none' : format(r.values[i])}`).join(', ')).join('; ');
	svg.setAttribute('aria-label', (title ? title + '. ' : '') + (summary || 'No data'));
	const ticks = 4;
	for (let i = 0; i <= ticks; i++) {
		const x = labelW + (plotW * i) / ticks;
		svg.append(el('line', { x1: x, y1: top, x2: x, y2: height - 20, class: 'axis' }));
		svg.append(el('text', { x, y: height - 6, 'text-anchor': 'middle' }, format((max * i) / ticks)));
	}
	rows.forEach((r, gi) => {
		const y0 = top + gi * groupH;
		const label = r.label.length > 30 ? r.label.slice(0, 29) + '…' : r.label;
		const t = el('text', { x: labelW - 8, y: y0 + (groupH - 14) / 2 + 4, 'text-anchor': 'end' }, label);
		t.append(el('title', {}, r.label));
		svg.append(t);
		series.forEach((s, si) => {
			const v = r.values[si];
			const y = y0 + si * (barH + gap);
			if (v === null || v === undefined || !isFinite(v)) {
				svg.append(el('text', { x: labelW + 4, y: y + barH - 4 }, '–'));
				return;
			}
			const w = Math.max(1, (plotW * v) / max);
			const rect = el('rect', { x: labelW, y, width: w, height: barH, class: s.cls, rx: 2 });
			rect.append(el('title', {}, `${r.label}, ${s.name}: ${format(v)}`));
			svg.append(rect);
			svg.append(el('text', { x: labelW + w + 4, y: y + barH - 4 }, format(v)));
		});
	});
	if (!rows.length) svg.append(el('text', { x: width / 2, y: top + 20, 'text-anchor': 'middle' }, 'No data in this period'));
	return svg;
}

/**
 * Pareto chart: bars by count, largest first, and the cumulative share as a
 * line with points. items: [{label, count}] already sorted descending.
 */
export function paretoChart({ items, title = '', width = 720, height = 260 }) {
	const left = 40;
	const right = 44;
	const top = 12;
	const bottom = 70;
	const plotW = width - left - right;
	const plotH = height - top - bottom;
	const total = items.reduce((a, b) => a + b.count, 0);
	// counts: at least 4 so that the four gridlines fall on whole numbers
	const max = Math.max(4, Math.ceil(niceMax(Math.max(0, ...items.map((i) => i.count))) / 4) * 4);
	const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
	let cum = 0;
	const summary = items.map((i) => { cum += i.count; return `${i.label}: ${i.count} (${Math.round((100 * cum) / (total || 1))}% cumulative)`; }).join('; ');
	svg.setAttribute('aria-label', (title ? title + '. ' : '') + (summary || 'No data'));
	for (let i = 0; i <= 4; i++) {
		const y = top + plotH - (plotH * i) / 4;
		svg.append(el('line', { x1: left, y1: y, x2: width - right, y2: y, class: 'axis' }));
		svg.append(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, Math.round((max * i) / 4)));
		svg.append(el('text', { x: width - right + 6, y: y + 4 }, `${25 * i}%`));
	}
	if (!items.length) {
		svg.append(el('text', { x: width / 2, y: top + plotH / 2, 'text-anchor': 'middle' }, 'No closed calls in this period'));
		return svg;
	}
	const slot = plotW / items.length;
	const bw = Math.min(60, slot * 0.7);
	cum = 0;
	const pts = [];
	items.forEach((it, i) => {
		const x = left + i * slot + (slot - bw) / 2;
		const hgt = (plotH * it.count) / max;
		const rect = el('rect', { x, y: top + plotH - hgt, width: bw, height: hgt, class: 'bar-c', rx: 2 });
		rect.append(el('title', {}, `${it.label}: ${it.count}`));
		svg.append(rect);
		svg.append(el('text', { x: x + bw / 2, y: top + plotH - hgt - 4, 'text-anchor': 'middle' }, it.count));
		const lab = it.label.length > 14 ? it.label.slice(0, 13) + '…' : it.label;
		const t = el('text', { x: x + bw / 2, y: top + plotH + 14, 'text-anchor': 'end', transform: `rotate(-35 ${x + bw / 2} ${top + plotH + 14})` }, lab);
		t.append(el('title', {}, it.label));
		svg.append(t);
		cum += it.count;
		pts.push([left + i * slot + slot / 2, top + plotH - (plotH * cum) / total]);
	});
	svg.append(el('polyline', { points: pts.map((p) => p.join(',')).join(' '), fill: 'none', stroke: 'currentColor', 'stroke-width': 2, class: 'cum' }));
	for (const [x, y] of pts) svg.append(el('circle', { cx: x, cy: y, r: 3.5, fill: 'currentColor' }));
	return svg;
}
