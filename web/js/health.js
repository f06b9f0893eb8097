// Button health from a thing: its battery reading judged against the kind
// of cell it looks like, unless the thing says where its own low mark is
// (attribute batteryLowMv).

/** {text, low} for a thing's batteryMv. */
export function batteryState(t) {
	const mv = t.batteryMv;
	if (mv === null || mv === undefined || mv < 0) return { text: '–', low: false };
	const own = t.attributes && Number(t.attributes.batteryLowMv);
	// one 1.5 V cell (the classic AWS button), a 3 V coin or two cells,
	// or a lithium-ion cell (3.7 V nominal)
	const low = own > 0 ? own : mv <= 2000 ? 1300 : mv <= 3300 ? 2500 : 3500;
	return { text: (mv / 1000).toFixed(2) + ' V', low: mv < low, lowMark: low };
}
