// What a person sees when they open scorch's views: driven from
// tests/e2e/t054-views.sh, it opens each view in headless Chromium at
// 1280x900, saves a screenshot of the first screen and checks that
//   - the page loads without console errors, dialogs or network requests;
//   - the SVG fits the window's width;
//   - the root and the hottest frame are on the first screen (their boxes
//     inside the viewport, no scrolling by the test) with labels a person
//     can read: font size >= 9 px and the label is the frame's short name,
//     not cut to "..";
//   - a flame chart has a time axis with labelled ticks in time units;
//   - HTML sections: the flamegraph (icicle by default: root on top), the
//     heap chart's axis starts at 0 of the run in time units, the size
//     histogram lists only the buckets from the first with data to the last,
//     the hot code section defaults to assembly when there is no source.
//
//   node views.mjs svg   FILE.svg  OUTDIR NAME HOT      a flame/icicle/heap/diff graph
//   node views.mjs chart FILE.svg  OUTDIR NAME HOT      a flame chart
//   node views.mjs diff  FILE.svg  OUTDIR NAME HOT      a differential flame graph
//   node views.mjs html  FILE.html OUTDIR NAME HOT      the HTML report's sections
// HOT is the short name of the hottest frame (the largest self weight; in a
// diff, whose tooltips give no self weight, the widest HOT; a chart checks
// its widest span, HOT is not used).
import { openPage, check, finish } from './lib.mjs';
import path from 'node:path';

const [mode, file, outdir, name, hot] = process.argv.slice(2);
if (!mode || !file || !outdir || !name || !hot) {
	console.error('usage: node views.mjs svg|chart|html FILE OUTDIR NAME HOT');
	process.exit(2);
}
const VW = 1280, VH = 900;
const { browser, page, errors, network } = await openPage(file, { width: VW, height: VH });
const shot = async (suffix) => {
	const p = path.join(outdir, `${name}${suffix ? '-' + suffix : ''}.png`);
	await page.screenshot({ path: p });
	console.log(`     screenshot ${p}`);
};
// inside the viewport, and below the HTML page's sticky header when there is one
let TOP = 0;
const inView = (b) => b && b.x >= -0.5 && b.y >= TOP - 0.5 && b.x + b.w <= VW + 0.5 && b.y + b.h <= VH + 0.5;
const fmtBox = (b) => (b ? `${b.x.toFixed(0)},${b.y.toFixed(0)} ${b.w.toFixed(0)}x${b.h.toFixed(0)}` : 'none');

// The SVG's frames as the page shows them: name (the tooltip's first
// line), the whole tooltip, the label drawn and its font size, the box in
// viewport coordinates.
const svgFrames = () => page.evaluate(() => Array.from(document.querySelectorAll('g.f')).map((g) => {
	const r = g.querySelector('rect'), t = g.querySelector('text'), b = r.getBoundingClientRect();
	const tip = g.querySelector('title').textContent;
	return {
		name: tip.split('\n')[0], tip, label: t ? t.textContent : '',
		font: t ? parseFloat(getComputedStyle(t).fontSize) : 0,
		hidden: getComputedStyle(g).display === 'none',
		x: b.left, y: b.top, w: b.width, h: b.height, inl: g.classList.contains('i'),
		stroke: getComputedStyle(r).strokeDasharray,
		self: (/\nself: ([\d,]+)/.exec(tip) || [0, '0'])[1].replace(/,/g, '') | 0,
	};
}));

function readable(f, what) {
	check(f && inView(f), `${what} on the first screen (${f ? f.name : 'missing'} at ${fmtBox(f)})`);
	check(f && f.font >= 9, `${what}: label font ${f && f.font} px >= 9`);
	check(f && f.label === f.name, `${what}: label is the whole short name ("${f && f.label}" for "${f && f.name}")`);
}

async function testSvg(chart, widest) {
	await page.waitForTimeout(200);
	const w = await page.evaluate(() => +document.documentElement.getAttribute('width'));
	const cw = await page.evaluate(() => document.documentElement.clientWidth || window.innerWidth);
	check(Math.abs(w - cw) <= 20, `the SVG fits the window's width (${w} px in ${cw})`);
	const fs = (await svgFrames()).filter((f) => !f.hidden);
	const root = chart ? null : fs.find((f) => f.name === 'all');
	if (!chart) readable(root, 'the root "all"');
	// the hottest frame: the largest self weight (a chart has none: its
	// widest span of HOT)
	const bySelf = fs.filter((f) => f.self > 0).sort((a, b) => b.self - a.self);
	if (!widest) check(bySelf.length && bySelf[0].name === hot, `the frame with the largest self weight is ${hot} (${bySelf.length && bySelf[0].name})`);
	// a chart's spans break where the samples pause (a busy machine): its
	// widest span, whatever its name, must be readable
	const hots = chart ? fs.slice().sort((a, b) => b.w - a.w)
		: widest ? fs.filter((f) => f.name === hot).sort((a, b) => b.w - a.w) : bySelf.slice(0, 1);
	if (!chart) readable(hots[0], `the hottest frame ${hot}`);
	else check(hots[0] && inView(hots[0]), `the widest span (${hots[0] && hots[0].name}) is on the first screen`);
	const longest = fs.reduce((m, f) => Math.max(m, f.name.length), 0);
	check(longest < 120, `frame names are short (the longest shown name has ${longest} characters)`);
	const cut = fs.filter((f) => f.w > 200 && f.label.endsWith('..'));
	check(cut.length === 0, `no frame wider than 200 px has a label cut to ".." (${cut.map((f) => f.label).slice(0, 3).join(', ')})`);
	const dashed = fs.filter((f) => f.inl && f.stroke !== 'none' && f.stroke !== '');
	check(dashed.length === 0, `inlined frames have no dashed outline (${fs.filter((f) => f.inl).length} inlined)`);
	if (fs.some((f) => f.inl)) {
		const fi = fs.find((f) => f.inl);
		check(/\ninlined/.test(fi.tip), `an inlined frame's tooltip says inlined (${fi.name})`);
	}
	if (chart) {
		const ax = await page.evaluate(() => {
			const a = document.getElementById('axis');
			return a ? Array.from(a.querySelectorAll('text')).map((t) => {
				const b = t.getBoundingClientRect();
				return { text: t.textContent, x: b.left, y: b.top, w: b.width, h: b.height, font: parseFloat(getComputedStyle(t).fontSize) };
			}) : [];
		});
		check(ax.length >= 3, `the chart has a time axis with ${ax.length} labels (${ax.map((t) => t.text).join(' | ')})`);
		check(ax.length && ax.every((t) => /^\d+(\.\d+)? (ns|\u00b5s|ms|s)$/.test(t.text)), 'axis labels are times in a unit');
		check(ax.length && ax.every((t) => inView(t) && t.font >= 9), 'axis labels on the first screen, >= 9 px');
		check(ax.length && ax[0].text.startsWith('0 ') || ax.length && parseFloat(ax[0].text) >= 0, `the axis counts from the start of the run (${ax.length && ax[0].text})`);
		// a chart of a run that shared the CPU is many thin spans: a person
		// clicks one to zoom; it then fills the width with a readable label
		// and the ruler counts in the zoomed range
		// the widest span that does not already fill the width (_start and
		// main do: zooming to them leaves the ruler as it was)
		const zt = hots.find((f) => f.w < 0.8 * cw && f.w >= 4);
		check(!!zt, 'a span narrower than the chart to zoom to');
		if (zt) {
			await page.mouse.click(zt.x + zt.w / 2, zt.y + zt.h / 2);
			await page.waitForTimeout(200);
			const z = (await svgFrames()).filter((f) => !f.hidden && f.name === zt.name).sort((a, b) => b.w - a.w)[0];
			readable(z, `zoomed to ${zt.name}, it`);
			const ax2 = await page.evaluate(() => Array.from(document.querySelectorAll('#axis text')).map((t) => t.textContent));
			check(ax2.length >= 3 && ax2.join() !== ax.map((t) => t.text).join(), `the ruler follows the zoom (${ax2.join(' | ')})`);
			await shot('zoomed');
			await page.keyboard.press('Escape');
		}
	}
	await shot('');
	// hover the hottest frame: the details line has the full name
	if (hots[0]) {
		await page.mouse.move(hots[0].x + Math.min(hots[0].w / 2, 30), hots[0].y + hots[0].h / 2);
		const d = await page.evaluate(() => document.getElementById('details').textContent);
		const full = hots[0].tip.split('\n')[1];
		check(d.startsWith(hots[0].name + '; '), `hovering ${hots[0].name} shows it in the details line`);
		if (full && /[(<]/.test(full)) check(d.includes(full), `... with its full name (${full.slice(0, 60)}...)`);
		await shot('hover');
	}
}

async function testHtml() {
	const ready = await page.waitForSelector('html[data-ready="1"]', { timeout: 20000 }).then(() => true, () => false);
	check(ready, 'the page is ready');
	await shot('top');
	TOP = await page.evaluate(() => { const h = document.querySelector('header'); return h && getComputedStyle(h).position === 'sticky' ? h.getBoundingClientRect().bottom : 0; });
	const st = await page.evaluate(() => window.scorchReport.state());
	check(st.mode === 'icicle', `the flamegraph opens as an icicle, root on top (${st.mode})`);
	// as the Flamegraph link in the page's header shows it: the section's
	// heading and controls, then the graph
	await page.evaluate(() => document.getElementById('flame-section').scrollIntoView({ block: 'start' }));
	await page.waitForTimeout(100);
	const box = await page.evaluate(() => { const r = document.getElementById('flame').getBoundingClientRect(); return { x: r.left, y: r.top }; });
	const drawn = await page.evaluate(() => window.scorchReport.drawn());
	const font = await page.evaluate(() => window.scorchReport.font ? window.scorchReport.font() : 12);
	const row = await page.evaluate(() => window.scorchReport.row());
	const at = (d) => (d ? { name: d.name, label: d.label, font, x: box.x + d.x, y: box.y + d.y, w: d.w, h: row - 1 } : null);
	readable(at(drawn.find((d) => d.name === 'all')), 'the root "all"');
	const hots = drawn.filter((d) => !d.ancestor && d.self > 0).sort((a, b) => b.self - a.self);
	check(hots.length && hots[0].name === hot, `the frame with the largest self weight is ${hot} (${hots.length && hots[0].name})`);
	readable(at(hots[0]), `the hottest frame ${hot}`);
	const longest = drawn.reduce((m, d) => Math.max(m, d.name.length), 0);
	check(longest < 120, `frame names are short (longest ${longest} characters)`);
	const longFull = drawn.find((d) => d.full && d.full.length > 100);
	if (longFull) check(longFull.name.length < longFull.full.length, `long names are shortened, the full one kept for the tooltip (${longFull.name} for ${longFull.full.slice(0, 50)}...)`);
	const inl = drawn.filter((d) => d.inlined);
	if (inl.length) {
		// the palette's hues are 0-50 (red to orange); the old inlined colour was hue 175-195
		const hue = (c) => { const m = /^hsl\((\d+)/.exec(c || ''); return m ? +m[1] : -1; };
		const odd = inl.filter((d) => hue(d.color) > 60 && d.color !== '#d946ef');
		check(odd.length === 0, `inlined frames keep the palette's colours (${inl.length} inlined: ${inl.map((d) => d.name + ' ' + d.color).slice(0, 3).join(', ')})`);
		check(inl.every((d) => d.label === '' || d.label === d.name || d.label.endsWith('..')), 'inlined frames are labelled like the others');
	}
	await shot('flame');
	const hasHeap = await page.evaluate(() => !!document.getElementById('heap-section') && !document.getElementById('heap-section').hidden);
	if (hasHeap) {
		await page.evaluate(() => document.getElementById('heap-section').scrollIntoView({ block: 'start' }));
		await page.waitForFunction(() => window.scorchReport.chart && window.scorchReport.chart.drawn, null, { timeout: 5000 }).catch(() => {});
		const ticks = await page.evaluate(() => (window.scorchReport.chart && window.scorchReport.chart.ticks) || []);
		check(ticks.length >= 3, `the heap chart's time axis has ${ticks.length} labels (${ticks.join(' | ')})`);
		check(ticks.length && ticks.every((t) => /^\d+(\.\d+)? (ns|\u00b5s|ms|s)$/.test(t)), 'in a time unit');
		check(ticks.length && !/ns$/.test(ticks[ticks.length - 1]), `not in ns for a run of more than a microsecond (${ticks[ticks.length - 1]})`);
		check(ticks.length && /^0 /.test(ticks[0]), `from the start of the run (${ticks[0]})`);
		await shot('heap');
		const hist = await page.evaluate(() => Array.from(document.querySelectorAll('#hist tbody tr')).map((tr) => Array.from(tr.cells).map((c) => c.textContent)));
		const counts = hist.map((r) => r[2]);
		check(hist.length > 0 && counts[0] !== '0' && counts[counts.length - 1] !== '0',
			`the size histogram starts and ends with a bucket that has data (${hist.length} rows: ${hist.map((r) => r[0] + '=' + r[2]).join(', ')})`);
		await page.evaluate(() => document.getElementById('hist').scrollIntoView({ block: 'center' }));
		await shot('hist');
	}
	const hasCode = await page.evaluate(() => !!document.getElementById('code-section') && !document.getElementById('code-section').hidden);
	if (hasCode) {
		const n = await page.evaluate(() => document.getElementById('code-func').options.length);
		check(n > 10, `hot code: more than the 10 hottest functions can be opened (${n})`);
		await page.evaluate(() => document.getElementById('code-section').scrollIntoView({ block: 'start' }));
		const c = await page.evaluate(() => window.scorchReport.code);
		console.log(`     hot code state: ${JSON.stringify(c)}`);
		check(c.hottest > 0, `the hottest line is marked (row ${c.hottest})`);
		await shot('code');
		// a libc function has no source in the profile: its assembly shows first
		const libc = await page.evaluate(() => [...document.getElementById('code-func').options].findIndex((o) => / \(libc\.so\.6\)/.test(o.textContent)));
		if (libc >= 0) {
			await page.selectOption('#code-func', String(libc));
			const l = await page.evaluate(() => window.scorchReport.code);
			check(l.view === 'asm' && l.rows > 0, `${l.fn} (libc, no source) opens on its assembly (${l.view}, ${l.rows} rows, hottest row ${l.hottest}, scrolled ${l.scrollTop} px)`);
			await shot('code-libc');
		}
	}
	check(errors.length === 0, `no console errors (${errors.join('; ')})`);
}

if (mode === 'svg') await testSvg(false, false);
else if (mode === 'chart') await testSvg(true, true);
else if (mode === 'diff') await testSvg(false, true);
else if (mode === 'html') await testHtml();
else { console.error(`unknown mode ${mode}`); process.exit(2); }
check(errors.length === 0, `no console errors (${errors.join('; ')})`);
check(network.length === 0, `no network requests (${network.join(', ')})`);
await finish(browser);
