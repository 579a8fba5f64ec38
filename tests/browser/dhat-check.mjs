// Loads a DHAT JSON file into valgrind's own viewer (dh_view.html, shipped
// with valgrind) the way a person does, through its <input type=file>, and
// checks the figures the viewer shows against the truth given on the command
// line. Saves a screenshot.
//
// usage: node dhat-check.mjs FILE.json SCREENSHOT.png key=value...
//   keys: bytes, blocks (totals), gmax-bytes, gmax-blocks (at t-gmax),
//   end-bytes, end-blocks (at t-end), site (a function that must be shown;
//   repeatable), viewer (path of dh_view.html)
import { openPage, check, finish } from './lib.mjs';
import fs from 'node:fs';

const [file, shot, ...rest] = process.argv.slice(2);
if (!file || !shot) {
	console.error('usage: node dhat-check.mjs FILE.json SCREENSHOT.png key=value...');
	process.exit(2);
}
const want = { site: [] };
for (const kv of rest) {
	const i = kv.indexOf('=');
	const k = kv.slice(0, i), v = kv.slice(i + 1);
	if (k === 'site') want.site.push(v); else want[k] = v;
}
const viewer = want.viewer || '/usr/libexec/valgrind/dh_view.html';
if (!fs.existsSync(viewer)) {
	console.error(`dhat-check: ${viewer} not found (is valgrind installed?)`);
	process.exit(2);
}

// The viewer formats numbers with Intl for the browser's locale: keep digits.
const digits = (s) => (s || '').replace(/[^0-9]/g, '');

const { browser, page, errors, network } = await openPage(viewer);
await page.setInputFiles('input[type=file]', file);
await page.waitForFunction(() => {
	const pre = document.querySelector('pre');
	const err = document.querySelector('span.error');
	return err || (pre && pre.textContent.includes('PP significance threshold'));
}, null, { timeout: 20000 });

const errSpan = await page.$('span.error');
check(!errSpan, `the viewer accepted the file${errSpan ? ': ' + await errSpan.textContent() : ''}`);
const text = await page.evaluate(() => document.querySelector('pre')?.innerText || '');

// The root program point, PP 1/1, comes first: its Total/At t-gmax/At t-end
// lines are the whole profile's.
const root = text.slice(text.indexOf('PP 1/1'));
const total = root.match(/Total:\s+([^\n]*?) bytes \(100%[^\n]*? in ([^\n]*?) blocks \(100%/);
check(total, 'the root program point shows its totals');
if (total) {
	check(digits(total[1]) === want.bytes, `total bytes shown = ${want.bytes} (page: "${total[1]}")`);
	check(digits(total[2]) === want.blocks, `total blocks shown = ${want.blocks} (page: "${total[2]}")`);
}
const gmax = root.match(/At t-gmax:\s+([^\n]*?) bytes \([^)]*\) in ([^\n]*?) blocks/);
if (want['gmax-bytes'] !== undefined) {
	check(gmax && digits(gmax[1]) === want['gmax-bytes'],
	      `bytes at t-gmax shown = ${want['gmax-bytes']} (page: "${gmax && gmax[1]}")`);
	check(gmax && digits(gmax[2]) === want['gmax-blocks'],
	      `blocks at t-gmax shown = ${want['gmax-blocks']} (page: "${gmax && gmax[2]}")`);
}
const tend = root.match(/At t-end:\s+([^\n]*?) bytes \([^)]*\) in ([^\n]*?) blocks/);
if (want['end-bytes'] !== undefined) {
	check(tend && digits(tend[1]) === want['end-bytes'],
	      `bytes at t-end shown = ${want['end-bytes']} (page: "${tend && tend[1]}")`);
	check(tend && digits(tend[2]) === want['end-blocks'],
	      `blocks at t-end shown = ${want['end-blocks']} (page: "${tend && tend[2]}")`);
}
check(/Mode:\s+heap/.test(text), 'invocation shows mode heap');
check(/t-gmax: [^\n]*µs/.test(text), 'times are shown in µs');
check(!/Reads:/.test(text), 'no access counts claimed (bkacc false)');

// Other sort metrics must redraw without error. Sorted by bytes, every site
// holding 1% of the bytes is shown in full (by blocks, the default, a site
// with few blocks is folded into "[N insignificant]").
await page.selectOption('select', { label: 'At t-gmax (bytes)' });
const resorted = await page.evaluate(() => document.title);
check(/At t-gmax \(bytes\)/.test(resorted), `re-sorted by t-gmax (title "${resorted}")`);
check(!(await page.$('span.error')), 'no error after re-sorting');
await page.selectOption('select', { label: 'Total (bytes)' });
const byBytes = await page.evaluate(() => document.querySelector('pre')?.innerText || '');
for (const s of want.site)
	check(byBytes.includes(`: ${s} (`), `program point frames show ${s}`);

await page.screenshot({ path: shot, fullPage: false });
console.log(`screenshot: ${shot}`);
check(errors.length === 0, `no console or page errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
check(network.length === 0, `no network requests${network.length ? ': ' + network.join(' ') : ''}`);
await finish(browser);
