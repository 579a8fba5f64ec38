// Loads a profile file into the real speedscope app (the npm package's
// release bundle) in headless chromium, the way speedscope's own command
// line does (#localProfilePath= pointing at a script that calls
// speedscope.loadFileFromBase64), then presses its Export button: the
// downloaded file is speedscope's re-serialization of what its importer
// understood, as evented profiles. Used by speedscope-check.mjs and
// chrome-check.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openPage } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SPEEDSCOPE_INDEX = path.join(here, 'node_modules/speedscope/dist/release/index.html');

// Imports `file` under the name `name` (speedscope picks importers partly by
// name). Returns { browser, page, errors, warnings, logs, exported } where
// exported is the parsed JSON speedscope exported, or null if nothing came.
export async function speedscopeImport(file, name, workdir, shot) {
	const js = path.join(workdir, `${name}.load.js`);
	const b64 = fs.readFileSync(file).toString('base64');
	fs.writeFileSync(js, `speedscope.loadFileFromBase64(${JSON.stringify(name)}, ${JSON.stringify(b64)})`);
	const { browser, page, errors } = await openPage(SPEEDSCOPE_INDEX);
	const logs = [];
	const warnings = [];
	page.on('console', (m) => {
		logs.push(m.text());
		// WebGL driver chatter from the software renderer is not the importer's
		if (m.type() === 'warning' && !/GL Driver Message|WebGL/.test(m.text())) warnings.push(m.text());
	});
	await page.goto(pathToFileURL(SPEEDSCOPE_INDEX).href + '#localProfilePath=' + js);
	await page.reload();
	// loaded when the toolbar offers Export and the import was logged
	const exportTab = page.getByText('Export', { exact: false }).first();
	let exported = null;
	try {
		await exportTab.waitFor({ timeout: 20000 });
		await page.waitForFunction(() => !document.body.innerText.includes('Drag and drop'), null, { timeout: 20000 });
		if (shot) await page.screenshot({ path: shot });
		const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), exportTab.click()]);
		const out = path.join(workdir, `${name}.reexported.json`);
		await dl.saveAs(out);
		exported = JSON.parse(fs.readFileSync(out, 'utf8'));
	} catch (e) {
		errors.push(`speedscope import/export of ${name}: ${e}`);
	}
	return { browser, page, errors, warnings, logs, exported };
}

// Per-frame figures of an evented profile (speedscope's export): self and
// total weight per frame name (total counts a frame once however many times
// it is on the stack), and the profile's covered weight.
export function eventedFigures(profile, frames) {
	const self = new Map();
	const total = new Map();
	const stack = [];
	const onStack = new Map();   // name -> depth count
	const since = new Map();     // name -> when it went on the stack
	let last = null;
	let covered = 0;
	const add = (m, k, v) => m.set(k, (m.get(k) || 0) + v);
	for (const ev of profile.events) {
		if (last !== null && stack.length) {
			add(self, frames[stack[stack.length - 1]].name, ev.at - last);
			covered += ev.at - last;
		}
		last = ev.at;
		const name = frames[ev.frame].name;
		if (ev.type === 'O') {
			stack.push(ev.frame);
			if (!onStack.get(name)) since.set(name, ev.at);
			add(onStack, name, 1);
		} else {
			stack.pop();
			add(onStack, name, -1);
			if (!onStack.get(name)) add(total, name, ev.at - since.get(name));
		}
	}
	return { self, total, covered, open: stack.length };
}

// speedscope's Trace Event importer keys a slice by its name and its B's
// args. scorch writes args on the B only (the format merges an E's args
// into its slice's; catapult warns for every arg an E repeats), so the E of
// a slice with args does not repeat its key, and speedscope says so and
// ends the slice on top, which is the right one:
//   ts=T: Tried to end "f" when "f {"tie":1}" was on the top of the stack. Ending f {"tie":1} instead.
// Splits the importer's warnings into those (argsOnB) and the others.
export function splitEndWarnings(warnings) {
	const re = /^ts=\S+: Tried to end "(.*)" when "(.*)" was on the top of the stack\. Ending (.*) instead\.$/s;
	const argsOnB = [], other = [];
	for (const w of warnings) {
		const m = w.match(re);
		if (m && m[2].startsWith(m[1] + ' {') && m[3] === m[2]) argsOnB.push(w);
		else other.push(w);
	}
	return { argsOnB, other };
}
