// The new-call chime, synthesised with Web Audio (no sound files). Browsers
// let a page play sound only after the user has touched it, so the driver
// view has a "Sound" switch; turning it on unlocks audio, and the choice is
// remembered on the tablet. While locked, unlock() on any tap retries.

const KEY = 'clickd.sound';
let ctx = null;

export function soundWanted() {
	try { return localStorage.getItem(KEY) !== 'off'; } catch (_) { return true; }
}

export function setSoundWanted(on) {
	try { localStorage.setItem(KEY, on ? 'on' : 'off'); } catch (_) { /* private mode */ }
	if (on) unlock();
}

/** Creates or resumes the audio context; call from a user gesture. */
export function unlock() {
	try {
		if (!ctx) ctx = new (window.AudioContext || window.webkitAudioContext)();
		if (ctx.state === 'suspended') ctx.resume();
	} catch (_) { /* no audio on this device */ }
}

export function soundReady() {
	return !!ctx && ctx.state === 'running';
}

/** Two rising tones (three for an urgent call), about half a second. */
export function chime(urgent = false) {
	if (!soundWanted() || !ctx || ctx.state !== 'running') return false;
	const tones = urgent ? [880, 1175, 1568] : [660, 990];
	const t0 = ctx.currentTime + 0.01;
	tones.forEach((f, i) => {
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.type = 'sine';
		osc.frequency.value = f;
		const s = t0 + i * 0.18;
		gain.gain.setValueAtTime(0.0001, s);
		gain.gain.exponentialRampToValueAtTime(0.35, s + 0.02);
		gain.gain.exponentialRampToValueAtTime(0.0001, s + 0.16);
		osc.connect(gain).connect(ctx.destination);
		osc.start(s);
		osc.stop(s + 0.17);
	});
	return true;
}
