// Browser test of scorch's flame graph SVGs (scorch flame / scorch diff) in
// headless Chromium, driven from tests/e2e/t022-flame.sh, t023-diff.sh and
// t024-flame-markup.sh:
//   node flame.mjs split  FILE.svg OUTDIR   cpu-split's flame graph: zoom, reset, search, hover
//   node flame.mjs chart  FILE.svg OUTDIR   a flame chart: a span zooms to fill the width
//   node flame.mjs diff   FILE.svg OUTDIR   a differential flame graph: colours and tooltips
//   node flame.mjs markup FILE.svg OUTDIR [argv]
//                                           names with markup: shown as text, nothing runs;
//                                           with argv, the subtitle carries the program's path and argv
// Every mode also checks that the page loads without console errors,
// dialogs or network requests, and saves screenshots in OUTDIR.
import { openPage, check, finish } from './lib.mjs';
import path from 'node:path';

const [mode, file, outdir, extra] = process.argv.slice(2);
if (!mode || !file || !outdir) {
	console.error('usage: node flame.mjs split|chart|diff|markup FILE.svg OUTDIR');
	process.exit(2);
}

const { browser, page, errors, network } = await openPage(file, { width: 1280, height: 900 });
const shot = async (name) => {
	await page.screenshot({ path: path.join(outdir, `${name}.png`) });
	console.log(`     screenshot ${path.join(outdir, name + '.png')}`);
};

// Every frame as the page shows it now.
const frames = () => page.evaluate(() => Array.from(document.querySelectorAll('g.f')).map((g) => {
	const r = g.querySelector('rect');
	const t = g.querySelector('text');
	return {
		name: g.querySelector('title').textContent.split('\n')[0],
		tip: g.querySelector('title').textContent,
		x: +r.getAttribute('x'), w: +r.getAttribute('width'),
		fill: r.getAttribute('fill'),
		hidden: getComputedStyle(g).display === 'none',
		hl: g.classList.contains('hl'),
		label: t ? t.textContent : '',
	};
}));
const svgAttr = (a) => page.evaluate((n) => +document.documentElement.getAttribute(n), a);
const text = (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
const visible = (id) => page.evaluate((i) => getComputedStyle(document.getElementById(i)).display !== 'none', id);

// Moves the real mouse onto the widest frame named `name` (scrolled into view)
// and clicks it unless hover is set.
async function pointAt(name, hover = false) {
	const pos = await page.evaluate((n) => {
		let best = null;
		for (const g of document.querySelectorAll('g.f')) {
			if (g.querySelector('title').textContent.split('\n')[0] !== n) continue;
			if (getComputedStyle(g).display === 'none') continue;
			const r = g.querySelector('rect');
			if (!best || +r.getAttribute('width') > +best.getAttribute('width')) best = r;
		}
		if (!best) return null;
		best.scrollIntoView({ block: 'center' });
		const b = best.getBoundingClientRect();
		return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
	}, name);
	if (!pos) return false;
	if (hover) await page.mouse.move(pos.x, pos.y);
	else await page.mouse.click(pos.x, pos.y);
	return true;
}

async function clickId(id) {
	const b = await page.evaluate((i) => {
		const r = document.getElementById(i).getBoundingClientRect();
		return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
	}, id);
	await page.mouse.click(b.x, b.y);
}

// Opens the search field with Ctrl+F, types re and presses Enter.
async function search(re) {
	await page.keyboard.press('Control+f');
	check(await visible('sfo'), 'Ctrl+F opens the in-page search field');
	check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'sinput'),
	      'the search field has the focus');
	await page.keyboard.type(re);
	await page.keyboard.press('Enter');
}

const near = (a, b, tol) => Math.abs(a - b) <= tol;
const byName = (fs, n) => fs.filter((f) => f.name === n);

const XPAD = await svgAttr('data-xpad');
const FW = await svgAttr('data-fw');
check(FW > 0 && XPAD >= 0, `the SVG says its frame area (${XPAD} + ${FW} px)`);
await shot(`${mode}-loaded`);

if (mode === 'split') {
	let fs = await frames();
	const all = byName(fs, 'all')[0];
	const [a, b, c] = ['work_a', 'work_b', 'work_c'].map((n) => byName(fs, n));
	check(all && near(all.w, FW, 0.01), 'the root spans the width');
	check(a.length === 1 && b.length === 1 && c.length === 1, 'one frame each for work_a, work_b, work_c');
	const share = (f) => (100 * f.w) / all.w;
	check(near(share(a[0]), 50, 3), `work_a is 50% wide (${share(a[0]).toFixed(1)}%)`);
	check(near(share(b[0]), 30, 3), `work_b is 30% wide (${share(b[0]).toFixed(1)}%)`);
	check(near(share(c[0]), 20, 3), `work_c is 20% wide (${share(c[0]).toFixed(1)}%)`);
	check(a[0].label === 'work_a', 'work_a is labelled');
	check(!(await visible('unzoom')), 'Reset Zoom is hidden before zooming');

	await pointAt('work_c', true);
	check((await text('details')).startsWith('work_c; '), `hovering shows the frame's details ("${await text('details')}")`);

	check(await pointAt('work_b'), 'clicked work_b');
	fs = await frames();
	const zb = byName(fs, 'work_b')[0];
	check(near(zb.x, XPAD, 0.01) && near(zb.w, FW, 0.01), `work_b fills the width after the click (x ${zb.x}, w ${zb.w})`);
	const main = byName(fs, 'main')[0];
	check(!main.hidden && near(main.x, XPAD, 0.01) && near(main.w, FW, 0.01), 'its ancestor main stays shown, full width');
	check(byName(fs, 'work_a')[0].hidden && byName(fs, 'work_c')[0].hidden, 'its siblings work_a and work_c are hidden');
	check(await visible('unzoom'), 'Reset Zoom is shown');
	await shot('split-zoomed');

	await clickId('unzoom');
	fs = await frames();
	check(!byName(fs, 'work_a')[0].hidden && near(byName(fs, 'work_b')[0].w, b[0].w, 0.01), 'Reset Zoom restores every frame');
	check(!(await visible('unzoom')), 'Reset Zoom hides itself');

	await search('^work_[ab]$');
	fs = await frames();
	const hl = fs.filter((f) => f.hl).map((f) => f.name).sort();
	check(JSON.stringify(hl) === '["work_a","work_b"]', `the search highlights exactly work_a and work_b (${hl.join(', ')})`);
	check(fs.filter((f) => f.hl).every((f) => f.fill === 'rgb(230,0,230)'), 'highlighted frames are magenta');
	const m = /^Matched: ([0-9.]+)% \(2 frames\)$/.exec(await text('matched'));
	check(m && near(+m[1], 80, 3), `Matched shows about 80% ("${await text('matched')}")`);
	await shot('split-search');
	await page.keyboard.press('Escape');
	fs = await frames();
	check(fs.every((f) => !f.hl) && (await text('matched')) === '', 'Escape clears the search');
	check(fs.filter((f) => f.name === 'work_a')[0].fill === a[0].fill, 'and restores the colours');

	await search('([');
	check((await text('matched')) === 'Bad regex', 'a bad regex says so instead of failing');
} else if (mode === 'chart') {
	const fs = await frames();
	check(fs.length > 3, `spans are drawn (${fs.length})`);
	const hdr = await page.evaluate(() => Array.from(document.querySelectorAll('.lanehdr')).map((t) => t.textContent));
	check(hdr.length === 1 && hdr[0].startsWith('thread cpu-split ('), `one lane, for the thread cpu-split ("${hdr[0]}")`);
	const b = byName(fs, 'work_b').sort((x, y) => y.w - x.w)[0];
	check(b && b.tip.includes(' from ') && b.tip.includes('thread: cpu-split'), 'a span tells its time range and thread');
	// every sample of the thread is under main: its spans cover what the lane covers
	const laneTotal = await page.evaluate(() => +document.querySelector('g.lane').getAttribute('data-total'));
	const mainW = byName(fs, 'main').reduce((s, f) => s + f.w, 0);
	check(laneTotal > 0 && near(mainW, laneTotal, 0.01 * laneTotal),
	      `main's spans cover the sampled time (${mainW.toFixed(1)} of ${laneTotal.toFixed(1)} px)`);
	await pointAt('work_b');
	const z = await frames();
	const zb = z.filter((f) => f.name === 'work_b' && !f.hidden && near(f.w, FW, 0.01));
	check(zb.length >= 1 && near(zb[0].x, XPAD, 0.01), 'a clicked span fills the width');
	const zm = byName(z, 'main').filter((f) => !f.hidden);
	check(zm.length === 1 && near(zm[0].w, FW, 0.01), 'the main span around it stays, clipped to the view');
	check(z.filter((f) => f.hidden).length > 0, 'spans outside its time range are hidden');
	await shot('chart-zoomed');
} else if (mode === 'diff') {
	const fs = await frames();
	check(fs.length > 3, `frames are drawn (${fs.length})`);
	check((await text('title')) === 'Differential Flame Graph', 'titled as a differential flame graph');
	const grew = byName(fs, 'work_new')[0], shrank = byName(fs, 'work_old')[0];
	const rgb = (f) => f.fill.match(/\d+/g).map(Number);
	check(grew && rgb(grew)[0] === 255 && rgb(grew)[2] < 120, `work_new (grew) is red (${grew && grew.fill})`);
	check(shrank && rgb(shrank)[2] === 255 && rgb(shrank)[0] < 120, `work_old (shrank) is blue (${shrank && shrank.fill})`);
	check(grew.tip.includes('\nbefore: ') && grew.tip.includes('\nafter: ') && grew.tip.includes('\nchange: +'),
	      'the tooltip gives both shares and the change');
	await pointAt('work_new');
	check(near(byName(await frames(), 'work_new')[0].w, FW, 0.01), 'zooming works in the diff too');
} else if (mode === 'markup') {
	const dom = await page.evaluate(() => ({
		scripts: document.querySelectorAll('script').length,
		foreign: document.querySelectorAll('img, iframe, object, embed, a, [onerror], [onload], [href]').length,
		inputs: document.querySelectorAll('foreignObject *').length,
		title: document.title,
		subtitle: (document.getElementById('subtitle') || {}).textContent || '',
	}));
	check(dom.scripts === 1, 'exactly one script element: scorch\'s own');
	check(dom.foreign === 0, 'no img, iframe, link or event-handler attribute came from a name');
	check(dom.inputs === 1, 'the only HTML element is the search field');
	if (extra === 'argv') {
		check(dom.subtitle.includes('<img src=x onerror=alert(1)>/mk<i>&\'"') && dom.subtitle.includes('<script>alert(3)</script>'),
		      'the path and argv show as literal text in the subtitle');
		check(dom.title.includes('<script>alert(3)</script>'), 'and in the document title');
	}
	const spin = 'void spin<Box<int>&>(Box<int>&, long)';
	const op = 'operator<(Box<int> const&, Box<int> const&)';
	let fs = await frames();
	check(byName(fs, spin).length >= 1, `a frame is named ${spin}`);
	check(byName(fs, op).length >= 1, `a frame is named ${op}`);
	check(fs.some((f) => f.tip.includes('\nmodule: mk<i>&\'"')), 'the module name with markup shows in tooltips');
	await pointAt(spin, true);
	check((await text('details')).startsWith(spin + '; '), 'hovering shows the name as text');
	await pointAt(spin);
	fs = await frames();
	const z = byName(fs, spin).filter((f) => !f.hidden).sort((p, q) => q.w - p.w)[0];
	check(z && near(z.w, FW, 0.01) && z.label === spin, `zoomed, its label is the literal name ("${z && z.label}")`);
	await clickId('unzoom');
	await search('operator<|<img');
	fs = await frames();
	const hl = fs.filter((f) => f.hl);
	check(hl.length >= 1 && hl.every((f) => f.name.includes('operator<')), `searching markup finds only operator< (${hl.length})`);
	await shot('markup-search');
	const after = await page.evaluate(() => document.querySelectorAll('img, iframe, script, [onerror]').length);
	check(after === 1, 'still no element made from a name after hover, zoom and search');
} else {
	console.error(`unknown mode ${mode}`);
	process.exit(2);
}

check(errors.length === 0, `no console errors or dialogs${errors.length ? ': ' + errors.join(' | ') : ''}`);
check(network.length === 0, `no network requests${network.length ? ': ' + network.join(' ') : ''}`);
await finish(browser);
