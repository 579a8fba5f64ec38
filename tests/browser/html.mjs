// Browser tests of `scorch html` pages in headless Chromium, against exactly
// known figures (tests/progs/EXPECTED.md, EXPECTED-CPU.md) and the JSON report
// of the same profile. Every state checked is also saved as a screenshot.
//   node html.mjs cpu     WORK PAGE REPORT.json   cpu-split: widths, zoom, search, icicle, tables
//   node html.mjs threads WORK PAGE REPORT.json   cpu-threads: the thread selector
//   node html.mjs heap    WORK PAGE               alloc-counts: heap metrics, chart, sizes, sites
//   node html.mjs heapthr WORK PAGE               threads: heap figures of one thread
//   node html.mjs markup  WORK PAGE REPORT.json   markup in names, paths and argv stays text
//   node html.mjs speed   WORK PAGE               load, draw and zoom times (bench/html-speed.sh)
//   node html.mjs code    WORK PAGE ANNOTATE.json the hot code section against `scorch annotate --json`
import fs from 'node:fs';
import { openPage, check, finish } from './lib.mjs';

const [mode, work, file, reportFile] = process.argv.slice(2);
if (!mode || !work || !file) {
	console.error('usage: node html.mjs MODE WORK PAGE [REPORT.json]');
	process.exit(2);
}
const report = reportFile && mode !== 'code' ? JSON.parse(fs.readFileSync(reportFile, 'utf8')).profiles[0] : null;

const { browser, page, errors, network } = await openPage(file);
const ready = await page.waitForSelector('html[data-ready="1"]', { timeout: mode === 'speed' ? 120000 : 20000 }).then(() => true, () => false);

const R = (fn, arg) => page.evaluate(fn, arg);
const drawn = () => R(() => window.scorchReport.drawn());
const shot = async (name) => {
	await page.screenshot({ path: `${work}/${name}.png`, fullPage: true });
	console.log(`     screenshot ${work}/${name}.png`);
};
// The widest drawn (not ancestor) frame with this name.
async function frame(name) {
	const all = (await drawn()).filter((d) => d.name === name && !d.ancestor);
	all.sort((a, b) => b.w - a.w);
	return all[0] || null;
}
// Scrolls drawn frame d into the viewport; returns its middle in page coordinates.
async function pointOf(d, maxdx = Infinity) {
	await R((y) => {
		const r = document.getElementById('flame').getBoundingClientRect();
		if (r.top + y < 60 || r.top + y > window.innerHeight - 30) window.scrollBy(0, r.top + y - window.innerHeight / 2);
	}, d.y);
	const b = await page.locator('#flame').boundingBox();
	return { x: b.x + d.x + Math.min(d.w / 2, maxdx), y: b.y + d.y + 9 };
}
async function clickFrame(name) {
	const d = await frame(name);
	if (!d) return false;
	const p = await pointOf(d);
	await page.mouse.click(p.x, p.y);
	return true;
}
async function hoverFrame(name) {
	const d = await frame(name);
	if (!d) return null;
	const p = await pointOf(d, 40);
	await page.mouse.move(p.x, p.y);
	return page.evaluate(() => {
		const t = document.getElementById('tooltip');
		return t.hidden ? null : { name: t.querySelector('.name').textContent, text: t.textContent };
	});
}
async function selectMetric(key) {
	const idx = await R((k) => window.scorchReport.metrics().indexOf(k), key);
	await page.selectOption('#metric', String(idx));
	return R(() => window.scorchReport.state().metric);
}
async function selectThread(name) {
	const v = await R((n) => {
		for (const o of document.getElementById('thread').options) if (o.textContent.startsWith(n + ' (')) return o.value;
		return null;
	}, name);
	if (v === null) return false;
	await page.selectOption('#thread', v);
	return true;
}
async function search(q) {
	await page.fill('#search', q);
	await page.press('#search', 'Enter');
}
const names = (list) => [...new Set(list.map((d) => d.name))].sort();
// Rows of a table as arrays of cell texts (and titles: exact numbers).
const tableRows = (id) => R((i) => [...document.querySelectorAll(`#${i} tbody tr`)].map((tr) =>
	[...tr.children].map((td) => td.textContent)), id);
const tableTitles = (id) => R((i) => [...document.querySelectorAll(`#${i} tbody tr`)].map((tr) =>
	[...tr.children].map((td) => td.title)), id);
async function clickHeader(table, label) {
	await page.locator(`#${table} thead th`, { hasText: new RegExp(`^${label}$`) }).first().click();
}
const near = (a, b, eps) => Math.abs(a - b) <= eps;

async function testCpu() {
	const cpu = report.cpu;
	const fn = (n) => cpu.functions.find((f) => f.function === n);
	const root = await R(() => window.scorchReport.rootValue());
	check(root === cpu.totals.matched_samples, `root = all samples: ${root} = ${cpu.totals.matched_samples}`);
	const W = await R(() => window.scorchReport.width());
	const all = await frame('all');
	check(all && near(all.w, W, 0.01), `root spans the canvas (${all && all.w} of ${W} px)`);
	for (const [n, share] of [['work_a', 50], ['work_b', 30], ['work_c', 20]]) {
		const d = await frame(n);
		const pct = d ? 100 * d.w / W : -1;
		check(d && near(pct, share, 2), `${n} width ${pct.toFixed(2)}% of the root, ${share}% +- 2`);
		check(d && d.value === fn(n).total, `${n} value ${d && d.value} = the report's ${fn(n).total} samples`);
	}
	await shot('cpu-flame');

	const tip = await hoverFrame('work_a');
	check(tip && tip.name === 'work_a', `hover shows the frame's name (${tip && tip.name})`);
	check(tip && tip.text.includes(`${fn('work_a').total.toLocaleString('en-US')} samples`), 'hover shows its samples');
	await shot('cpu-hover');

	check(await clickFrame('work_b'), 'clicked work_b');
	const z = await frame('work_b');
	check(z && near(z.x, 0, 0.01) && near(z.w, W, 0.01), `zoomed: work_b fills the width (x ${z && z.x}, w ${z && z.w} of ${W})`);
	check(!(await frame('work_a')), 'zoomed: work_a is no longer drawn');
	const anc = (await drawn()).filter((d) => d.ancestor);
	check(anc.length > 0 && anc.every((d) => near(d.w, W, 0.01)), `zoomed: its ${anc.length} callers are drawn at full width`);
	check((await R(() => window.scorchReport.viewValue())) === fn('work_b').total, 'zoomed: the view is work_b\'s samples');
	await shot('cpu-zoom');
	await page.click('#reset');
	check((await R(() => window.scorchReport.state().zoom)) === 'all', 'reset zoom returns to the root');

	await search('work_');
	const list = await drawn();
	const hl = list.filter((d) => d.highlighted);
	check(JSON.stringify(names(hl)) === JSON.stringify(['work_a', 'work_b', 'work_c']),
		`search 'work_' highlights exactly work_a, work_b, work_c (${names(hl).join(', ')})`);
	check(list.filter((d) => /^work_/.test(d.name)).every((d) => d.highlighted), 'every drawn work_* frame is highlighted');
	const mv = await R(() => window.scorchReport.matchedValue());
	const want = fn('work_a').total + fn('work_b').total + fn('work_c').total;
	check(mv === want, `matched value ${mv} = work_a + work_b + work_c totals ${want}`);
	const res = await page.textContent('#search-result');
	check(res.includes(`${want.toLocaleString('en-US')} samples`), `search result says so (${res})`);
	await shot('cpu-search');
	await search('');
	check((await drawn()).every((d) => !d.highlighted), 'clearing the search clears the highlight');

	await page.click('#mode-icicle');
	let r = await frame('all');
	check(r && r.y === 0, `icicle: root at the top (y ${r && r.y})`);
	await shot('cpu-icicle');
	await page.click('#mode-flame');
	r = await frame('all');
	const H = await R(() => window.scorchReport.height());
	check(r && r.y === H - 18, `flame: root at the bottom (y ${r && r.y}, height ${H})`);

	let rows = await tableRows('funcs');
	check(rows[0] && rows[0][0] === 'work_a', `top functions by self: work_a first (${rows[0] && rows[0][0]})`);
	check(rows[0] && rows[0][2] === `${fn('work_a').self.toLocaleString('en-US')} samples`, `work_a self in the table (${rows[0] && rows[0][2]})`);
	await clickHeader('funcs', 'Total');
	rows = await tableRows('funcs');
	check(rows[0] && rows[0][4] === `${cpu.totals.matched_samples.toLocaleString('en-US')} samples`, `sorted by total: the first row has every sample (${rows[0] && rows[0][0]})`);
	await clickHeader('funcs', 'Self');
	await page.locator('#funcs tbody tr', { hasText: 'work_c' }).first().click();
	check(JSON.stringify(names((await drawn()).filter((d) => d.highlighted))) === '["work_c"]', 'clicking the work_c row highlights work_c only');
	await search('');

	check((await selectMetric('cpu-time')) === 'cpu-time', 'metric: CPU time');
	const ns = await R(() => window.scorchReport.rootValue());
	check(ns === cpu.totals.matched_ns, `CPU time root = the report's ns (${ns} = ${cpu.totals.matched_ns})`);
	await shot('cpu-time');
}

async function testThreads() {
	const cpu = report.cpu;
	const th = (n) => cpu.threads.find((t) => t.name === n);
	const fn = (n) => cpu.functions.find((f) => f.function === n);
	for (const [name, mine, other] of [['heavy', 'heavy_work', 'light_work'], ['light', 'light_work', 'heavy_work']]) {
		check(await selectThread(name), `thread ${name} selectable`);
		const root = await R(() => window.scorchReport.rootValue());
		check(root === th(name).samples, `${name}: root = its ${th(name).samples} samples (${root})`);
		const ns = names(await drawn());
		check(ns.includes(mine) && !ns.includes(other), `${name}: ${mine} drawn, ${other} not`);
		const d = await frame(mine);
		check(d && d.value === fn(mine).total, `${name}: ${mine} = ${fn(mine).total} samples (${d && d.value})`);
		const rows = await tableRows('funcs');
		check(rows[0] && rows[0][0] === mine, `${name}: the table's top function is ${mine}`);
		await shot(`threads-${name}`);
	}
	await page.selectOption('#thread', '-1');
	const root = await R(() => window.scorchReport.rootValue());
	check(root === cpu.totals.samples, `all threads: root = ${cpu.totals.samples} (${root})`);
	const ns = names(await drawn());
	check(ns.includes('heavy_work') && ns.includes('light_work'), 'all threads: both workers drawn');
	await shot('threads-all');
}

// alloc-counts (EXPECTED.md): site_thousand 1000 x 16 B freed after all
// exist, site_leak 7 x 100 B leaked, site_calloc 1 x 100 B freed; peak 16000 B.
async function testHeap() {
	const want = {
		bytes: { root: 16800, site_thousand: 16000, site_leak: 700, site_calloc: 100 },
		count: { root: 1008, site_thousand: 1000, site_leak: 7, site_calloc: 1 },
		peak: { root: 16000, site_thousand: 16000 },
		leaked: { root: 700, site_leak: 700 },
	};
	const W = await R(() => window.scorchReport.width());
	for (const [m, exp] of Object.entries(want)) {
		check((await selectMetric(m)) === m, `metric ${m} selected`);
		const root = await R(() => window.scorchReport.rootValue());
		check(root === exp.root, `${m}: root ${root} = ${exp.root}`);
		for (const site of ['site_thousand', 'site_leak', 'site_calloc']) {
			const d = await frame(site);
			if (exp[site]) {
				check(d && d.value === exp[site], `${m}: ${site} = ${exp[site]} (${d && d.value})`);
				check(d && near(d.w, W * exp[site] / exp.root, 0.01), `${m}: ${site} width ${d && d.w.toFixed(1)} px = its share of ${W} px`);
			} else {
				check(!d, `${m}: ${site} not drawn (0)`);
			}
		}
		await shot(`heap-${m}`);
	}
	await selectMetric('bytes');

	const c = await R(() => { const c = window.scorchReport.chart; return { drawn: c.drawn, peakBytes: c.peakBytes, label: c.label, x: c.peakX, y: c.peakY }; });
	check(c.drawn && c.peakBytes === 16000, `chart: peak ${c.peakBytes} B marked`);
	check(c.label.startsWith('peak 15.6 KiB at '), `chart: peak label (${c.label})`);
	const px = await R(([x, y]) => {
		const cv = document.getElementById('chart'), r = window.devicePixelRatio || 1;
		return [...cv.getContext('2d').getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data];
	}, [c.x, c.y]);
	check(px[0] > 180 && px[1] < 90 && px[2] < 90, `chart: the peak marker is drawn red at its point (rgba ${px.join(',')})`);
	await page.locator('#chart').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${work}/heap-chart.png` });
	console.log(`     screenshot ${work}/heap-chart.png`);

	const hist = await tableRows('hist');
	const row = (r) => hist.find((h) => h[0] === r);
	check(row('16 \u2013 31 B') && row('16 \u2013 31 B')[2] === '1,000', 'sizes: 1,000 allocations of 16-31 B');
	check(row('64 \u2013 127 B') && row('64 \u2013 127 B')[2] === '8', 'sizes: 8 allocations of 64-127 B (7 x 100 + calloc 10 x 10)');

	let sites = await tableRows('sites');
	let titles = await tableTitles('sites');
	const si = sites.findIndex((r) => r[0] === 'site_thousand');
	check(si >= 0 && titles[si][3] === '16,000' && sites[si][4] === '1,000' && titles[si][5] === '16,000' && titles[si][6] === '0',
		`sites: site_thousand 16,000 B, 1,000 allocations, 16,000 B at the peak, 0 leaked (${si >= 0 && sites[si].join(' | ')})`);
	check(si >= 0 && /alloc-counts\.c:\d+$/.test(sites[si][1]), `sites: site_thousand's location (${si >= 0 && sites[si][1]})`);
	await clickHeader('sites', 'Leaked');
	sites = await tableRows('sites');
	titles = await tableTitles('sites');
	check(sites[0][0] === 'site_leak' && titles[0][6] === '700', `sites sorted by leaked: site_leak 700 B first (${sites[0].join(' | ')})`);
	await clickHeader('sites', 'Allocations');
	sites = await tableRows('sites');
	check(sites[0][0] === 'site_thousand', 'sites sorted by allocations: site_thousand first');
	await clickHeader('sites', 'Allocations');
	sites = await tableRows('sites');
	check(sites[0][0] === 'site_calloc', 'sites sorted by allocations, ascending: site_calloc first');
	await shot('heap-tables');
}

// threads (EXPECTED.md): each of worker-0..3 mallocs 250 x 32 B in ring_alloc.
async function testHeapThreads() {
	for (const w of ['worker-0', 'worker-3']) {
		check(await selectThread(w), `thread ${w} selectable`);
		await selectMetric('count');
		let d = await frame('ring_alloc');
		check(d && d.value === 250, `${w}: ring_alloc = 250 allocations (${d && d.value})`);
		await selectMetric('bytes');
		d = await frame('ring_alloc');
		check(d && d.value === 8000, `${w}: ring_alloc = 8,000 B (${d && d.value})`);
		const sites = await tableRows('sites');
		const r = sites.find((s) => s[0] === 'ring_alloc');
		check(r && r[4] === '250', `${w}: sites table ring_alloc 250 allocations (${r && r[4]})`);
		await shot(`heapthr-${w}`);
	}
	await page.selectOption('#thread', '-1');
	await selectMetric('count');
	const d = await frame('ring_alloc');
	check(d && d.value === 1000, `all threads: ring_alloc = 1,000 allocations (${d && d.value})`);
}

async function testMarkup() {
	const argv = JSON.parse(process.env.MARKUP_ARGV || '[]');
	const dir = process.env.MARKUP_DIR || '';
	const dom = await R(() => ({
		imgs: document.querySelectorAll('img').length,
		scripts: document.querySelectorAll('script').length,
		// the data, the hot code's data when the profile has samples, the script
		ours: document.getElementById('scorch-annotate') ? 3 : 2,
		onattrs: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)).length,
		bodyHasImg: document.body.innerHTML.includes('<img'),
		title: document.title,
		command: [...document.querySelectorAll('#summary-list dt')].find((e) => e.textContent === 'Command').nextElementSibling.textContent,
		program: [...document.querySelectorAll('#summary-list dt')].find((e) => e.textContent === 'Program').nextElementSibling.textContent,
	}));
	check(dom.imgs === 0, `no <img> element was injected (${dom.imgs})`);
	check(dom.scripts === dom.ours, `only the page's own script elements exist (${dom.scripts} of ${dom.ours})`);
	check(dom.onattrs === 0, `no element has an on* attribute (${dom.onattrs})`);
	check(!dom.bodyHasImg, 'the markup is text: the body serializes "<img" nowhere');
	check(argv.length > 1 && dom.command === argv.join(' '), `summary shows the argv literally (${dom.command})`);
	check(dom.program === `${dir}/html-markup`, `summary shows the program path literally (${dom.program})`);
	const wantTitle = `scorch: html-markup ${argv.slice(1).join(' ')}`;
	check(wantTitle.startsWith(dom.title.replace(/\u2026$/, '')) && dom.title.includes('</script><script>alert(1)</script>'),
		`the title is the program and its arguments as text (${dom.title})`);

	const marked = report.cpu.functions.map((f) => f.function).filter((n) => /[<>&]/.test(n));
	check(marked.length >= 4, `the profile has ${marked.length} function names with <, > or & (${marked.join(' ; ')})`);
	// frames show short names (run, operator&&); the full ones are their
	// tooltips' second line and what `full` gives
	const fulls = (await drawn()).map((d) => d.full);
	for (const n of marked) check(fulls.includes(n), `drawn literally (full name): ${n}`);
	const tmpl = marked.find((n) => n.startsWith('void run<&'));
	const short = (await drawn()).find((d) => d.full === tmpl);
	check(short && short.name === 'run', `${tmpl} is shown as "run" (${short && short.name})`);
	const tip = await hoverFrame('run');
	check(tip && tip.name === 'run' && tip.text.includes(tmpl), `hover: the full name as text (${tip && tip.text})`);
	check(tip && tip.text.includes(`${dir}/html-markup.cc`), `hover: the file path with markup as text (${tip && tip.text})`);
	await shot('markup-cpu');

	await search('<&');
	const hl = (await drawn()).filter((d) => d.highlighted).map((d) => d.full);
	check(hl.length === 1 && hl[0] === tmpl, `search '<&' (in full names) highlights ${tmpl} (${hl.join(', ')})`);
	await search('');

	await selectMetric('bytes');
	const exp = { 'leak_three()': 3000, 'operator&&(Cmp const&, Cmp const&)': 4096, 'operator<(Cmp const&, Cmp const&)': 168 };
	const byFull = async (n) => (await drawn()).filter((d) => d.full === n && !d.ancestor).sort((a, b) => b.w - a.w)[0] || null;
	for (const [n, v] of Object.entries(exp)) {
		const d = await byFull(n);
		check(d && d.value === v, `heap bytes: ${n} = ${v} (${d && d.value})`);
	}
	const box = marked.find((n) => n.startsWith('Box<'));
	const bd = await byFull(box);
	check(bd && bd.value === 1000, `heap bytes: ${box} = 1000 (${bd && bd.value})`);
	const sites = await tableRows('sites');
	// the sites table shows short names (leak_three, not leak_three())
	const lt = sites.find((r) => r[0] === 'leak_three');
	check(lt && lt[1].startsWith(`${dir}/html-markup.cc:`), `sites: the location with markup as text (${lt && lt[1]})`);
	await shot('markup-heap');
	// every function and view of the hot code section: source lines and paths with markup stay text
	const nfn = await R(() => document.getElementById('code-func').options.length);
	for (let i = 0; i < nfn; i++) {
		await page.selectOption('#code-func', String(i));
		await page.click('#code-asm');
		await page.click('#code-source');
	}
	const srcMarkup = await R(() => [...document.querySelectorAll('#code td.src')].some((td) => /[<>&]/.test(td.textContent)));
	console.log(`     hot code: ${nfn} function(s) shown in both views; markup in the source shown: ${srcMarkup}`);
	const after = await R(() => document.querySelectorAll('img').length + document.querySelectorAll('script').length);
	check(after === dom.ours, 'still no injected element after hovering, searching and switching');
}

async function testSpeed() {
	const t = await R(() => window.scorchReport.timing);
	const n = await R(() => window.scorchReport.nodes());
	const painted = await R(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
	const size = fs.statSync(file).size;
	console.log(`page          ${(size / 1048576).toFixed(1)} MiB, ${n.toLocaleString('en-US')} tree nodes`);
	console.log(`load+draw     ${t.readyAt.toFixed(0)} ms from navigation to the first drawing (JSON.parse ${t.parseMs.toFixed(0)} ms, tree ${t.buildMs.toFixed(0)} ms, first draw ${t.firstDrawMs.toFixed(0)} ms, tables ${t.tablesMs.toFixed(0)} ms)`);
	console.log(`painted       ${painted.toFixed(0)} ms from navigation to the first painted frame`);
	const dr = (await drawn()).length;
	console.log(`drawn         ${dr} frames of ${n.toLocaleString('en-US')} (narrower than 1 px pruned)`);
	// zoom: click the widest frame two levels under the root, then reset, a few times
	const zooms = [], trips = [];
	for (let k = 0; k < 5; k++) {
		const list = (await drawn()).filter((d) => d.depth === 3 + k % 3 && !d.ancestor).sort((a, b) => b.w - a.w);
		if (!list.length) break;
		const p = await pointOf(list[0]);
		const t0 = Date.now();
		await page.mouse.click(p.x, p.y);
		await R(() => new Promise((r) => requestAnimationFrame(() => r())));
		trips.push(Date.now() - t0);
		zooms.push(await R(() => window.scorchReport.lastZoomMs));
		const z = await frame(list[0].name);
		check(z && near(z.x, 0, 0.01) && near(z.w, await R(() => window.scorchReport.width()), 0.01), `zoom ${k + 1}: ${list[0].name} fills the width`);
		await page.keyboard.press('Escape');
	}
	const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
	console.log(`zoom click    redraw ${med(zooms).toFixed(1)} ms median (max ${Math.max(...zooms).toFixed(1)}), click to next frame ${med(trips)} ms median via CDP`);
	let t0 = Date.now();
	await search('fn_1');
	const st = Date.now() - t0;
	console.log(`search        ${st} ms for a regex over every function, redraw included (via CDP)`);
	await search('');
	const ths = await R(() => [...document.getElementById('thread').options].map((o) => o.value));
	t0 = Date.now();
	await page.selectOption('#thread', ths[1]);
	await R(() => new Promise((r) => requestAnimationFrame(() => r())));
	console.log(`thread switch ${Date.now() - t0} ms (weights, totals, redraw, top functions; via CDP)`);
	await shot('speed');
	check(t.readyAt < 5000, `loads and draws in under 5 s (${t.readyAt.toFixed(0)} ms)`);
	check(med(zooms) < 100, `a zoom redraws in under 100 ms (${med(zooms).toFixed(1)} ms)`);
}

// The hot code section shows what `scorch annotate --json` says (the page's
// data is the same document, compacted): every source line and instruction,
// each share as the JSON's counts give it, the hot lines marked.
async function testCode() {
	const A = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
	// the page annotates the hottest functions by self: those of the JSON
	A.functions = A.functions.filter((fn) => fn.self.samples > 0 && fn.module !== '?').slice(0, 10);
	const amt = (c) => (c ? (A.share_of === 'samples' ? c.samples : c.ns) : 0);
	const pct = (v) => {
		const whole = A.share_of === 'samples' ? A.total.samples : A.total.ns;
		const p = 100 * v / whole;
		return (p >= 10 || p === 0 ? p.toFixed(1) : p.toFixed(2)) + '%';
	};
	const vis = await R(() => !document.getElementById('code-section').hidden && !document.getElementById('nav-code').hidden);
	check(vis, 'the hot code section and its link are shown');
	const opts = await R(() => [...document.getElementById('code-func').options].map((o) => o.textContent));
	check(opts.length === A.functions.length, `one choice per annotated function (${opts.length} = ${A.functions.length})`);
	check(opts[0] && opts[0].startsWith(A.functions[0].name + ' ('), `the first is the hottest: ${A.functions[0].name} (${opts[0]})`);
	const f = A.functions[0];
	const rows = () => R(() => [...document.querySelectorAll('#code tbody tr:not(.sep)')].map((tr) => ({
		cells: [...tr.children].map((td) => td.textContent), titles: [...tr.children].map((td) => td.title), hot: tr.classList.contains('hot') })));
	let got = await rows();
	check(got.length === f.source.length, `source: a row per line (${got.length} = ${f.source.length})`);
	let bad = f.source.filter((l, i) => !got[i] || got[i].cells[2] !== String(l.line || '?') || got[i].cells[3] !== (l.text || '') ||
		got[i].cells[0] !== (l.self && l.self.samples ? pct(amt(l.self)) : '') || got[i].cells[1] !== (l.total && l.total.samples ? pct(amt(l.total)) : ''));
	check(bad.length === 0, `source: every line's number, text, self and total as the JSON says (${bad.length} differ${bad.length ? ': line ' + bad[0].line : ''})`);
	const top = f.source.reduce((a, l) => (amt(l.self) > amt(a.self) ? l : a), f.source[0]);
	const ti = f.source.indexOf(top);
	check(got[ti] && got[ti].hot, `source: the hottest line (${top.line}) is marked hot`);
	const selfSum = got.reduce((s, r) => s + (r.titles[0] ? parseInt(r.titles[0].replace(/,/g, ''), 10) : 0), 0);
	check(selfSum === f.source.reduce((s, l) => s + l.self.samples, 0), `source: the rows' self samples add up (${selfSum})`);
	await page.locator('#code-section').scrollIntoViewIfNeeded();
	await shot('code-source');
	await page.click('#code-asm');
	got = await rows();
	const ins = f.assembly.instructions;
	check(got.length === ins.length, `assembly: a row per instruction (${got.length} = ${ins.length})`);
	bad = ins.filter((x, i) => !got[i] || got[i].cells[2] !== x.addr.toString(16) || !got[i].cells[3].startsWith(x.asm) ||
		got[i].cells[0] !== (x.self.samples ? pct(amt(x.self)) : ''));
	check(bad.length === 0, `assembly: every address, instruction and self share as the JSON says (${bad.length} differ)`);
	const seps = await R(() => [...document.querySelectorAll('#code tbody tr.sep')].map((tr) => tr.textContent));
	check(seps.length > 0 && seps.every((t) => /^[^:]+:\d+/.test(t)), `assembly: source line headers between the instructions (${seps.length})`);
	await shot('code-asm');
	if (A.functions.length > 1) {
		await page.selectOption('#code-func', '1');
		const c = await R(() => window.scorchReport.code);
		check(c.fn === A.functions[1].name && c.view === 'asm', `another function: ${A.functions[1].name} (${c.fn}, ${c.view})`);
	}
	await page.click('#code-source');
	const c = await R(() => window.scorchReport.code);
	check(c.view === 'source', 'back to the source view');
}

function basics() {
	check(errors.length === 0, `no page or console errors (${errors.join(' | ') || 'none'})`);
	check(network.length === 0, `no network request (${network.join(' ') || 'none'})`);
}
if (!check(ready, 'the page ran its script to the end')) {
	basics();
	await finish(browser);
}

const modes = { cpu: testCpu, threads: testThreads, heap: testHeap, heapthr: testHeapThreads, markup: testMarkup, speed: testSpeed, code: testCode };
if (!modes[mode]) {
	console.error(`unknown mode ${mode}`);
	process.exit(2);
}
await modes[mode]();
basics();
await finish(browser);
