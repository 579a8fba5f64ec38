// scorch HTML report: reads the profile's JSON block and draws the summary,
// the flamegraph (canvas, flame or icicle, zoom, search, thread and metric
// selectors), heap and RSS over time, the size histogram, the zones (a
// per-thread timeline, counter plots and the zone table) and the top tables.
// Embedded in the tool at build time (scripts/embed.sh). Names from the
// profile only ever reach the page through textContent and the canvas.
'use strict';
(function () {
	const T0 = performance.now();
	const $ = (id) => document.getElementById(id);
	const D = JSON.parse($('scorch-data').textContent);
	const T1 = performance.now();
	const S = D.strings;
	const MONO = 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace';
	let ROW = 18, FONT = 12; // px per flamegraph row, label size: thinner for deep graphs
	const MINW = 1;          // frames narrower than this (px) are not drawn, nor their callees

	// ---- formatting ----
	function fmtCount(n) { return Math.round(n).toLocaleString('en-US'); }
	function sig3(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
	function fmtBytes(b) {
		if (b < 1024) return fmtCount(b) + ' B';
		const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
		let v = b / 1024, i = 0;
		while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
		return sig3(v) + ' ' + units[i];
	}
	function fmtDur(ns) {
		if (ns < 1e3) return Math.round(ns) + ' ns';
		if (ns < 1e6) return sig3(ns / 1e3) + ' us';
		if (ns < 1e9) return sig3(ns / 1e6) + ' ms';
		return sig3(ns / 1e9) + ' s';
	}
	function fmtPct(part, whole) {
		if (!whole) return '-';
		const p = 100 * part / whole;
		return (p >= 10 || p === 0 ? p.toFixed(1) : p.toFixed(2)) + '%';
	}
	function plural(n, one, many) { return fmtCount(n) + ' ' + (Math.round(n) === 1 ? one : many); }
	function pow2Label(v) {
		const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
		let i = 0;
		while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) { v /= 1024; i++; }
		return fmtCount(v) + ' ' + units[i];
	}
	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined) e.textContent = text;
		return e;
	}

	// ---- the call tree: preorder, so a subtree is the range [i, end[i]) ----
	const N = D.nodes.depth.length;
	const depth = new Int32Array(D.nodes.depth);
	const frame = new Int32Array(D.nodes.frame);
	D.nodes = null;
	const fFunc = new Int32Array(D.frames.func);
	const fInl = new Uint8Array(D.frames.inl);
	const fnName = new Int32Array(D.funcs.name);
	// the short names shown (demangle_short(): no return type, template
	// arguments or parameters); the full ones are in tooltips
	const fnShort = D.funcs.short ? new Int32Array(D.funcs.short) : fnName;
	const fnMod = new Int32Array(D.funcs.module);
	const fnFile = new Int32Array(D.funcs.file);
	const NF = fnName.length;
	const parent = new Int32Array(N);
	const end = new Int32Array(N);
	const nodeFn = new Int32Array(N);
	{
		const last = new Int32Array(D.maxDepth + 2);
		parent[0] = -1;
		nodeFn[0] = -1;
		for (let i = 1; i < N; i++) {
			const d = depth[i];
			parent[i] = last[d - 1];
			last[d] = i;
			nodeFn[i] = fFunc[frame[i]];
		}
		const st = new Int32Array(D.maxDepth + 2);
		let sp = 0;
		for (let i = 0; i < N; i++) {
			const d = depth[i];
			while (sp > 0 && depth[st[sp - 1]] >= d) end[st[--sp]] = i;
			st[sp++] = i;
		}
		while (sp > 0) end[st[--sp]] = N;
	}
	const funcName = (f) => S[fnShort[f]];
	const funcFull = (f) => S[fnName[f]];
	const nodeName = (i) => (i === 0 ? 'all' : funcName(nodeFn[i]));
	const modName = (m) => (m >= 0 && m < D.modules.length ? D.modules[m].name : '');

	// weights: typed arrays per thread entry
	function prepWeights(list) {
		for (const w of list) {
			w.n = new Int32Array(w.n);
			w.w = w.w.map((a) => new Float64Array(a));
		}
	}
	if (D.cpu) prepWeights(D.cpu.weights);
	if (D.heap) { prepWeights(D.heap.weights); prepWeights(D.heap.siteWeights); }

	// ---- metrics ----
	const metrics = [];
	if (D.cpu) {
		const wall = D.cpu.wall;
		const smp = (v) => plural(v, 'sample', 'samples');
		metrics.push({ key: 'samples', label: wall ? 'Samples (on + off CPU)' : 'CPU samples', g: D.cpu, m: 0, fmt: smp, none: 'no samples' });
		metrics.push({ key: 'cpu-time', label: wall ? 'Time (on + off CPU)' : 'CPU time', g: D.cpu, m: 1, fmt: fmtDur, none: 'no samples' });
		if (wall) {
			metrics.push({ key: 'on-cpu', label: 'On-CPU samples', g: D.cpu, m: 2, fmt: smp, none: 'no on-CPU samples' });
			metrics.push({ key: 'off-cpu', label: 'Off-CPU samples', g: D.cpu, m: 3, fmt: smp, none: 'no off-CPU samples' });
		}
	}
	if (D.heap) {
		metrics.push({ key: 'bytes', label: 'Heap: bytes allocated', g: D.heap, m: 0, fmt: fmtBytes, heap: true, none: 'no allocations' });
		metrics.push({ key: 'count', label: 'Heap: allocations', g: D.heap, m: 1, fmt: (v) => plural(v, 'allocation', 'allocations'), heap: true, none: 'no allocations' });
		metrics.push({ key: 'peak', label: 'Heap: bytes live at the peak', g: D.heap, m: 2, fmt: fmtBytes, heap: true, none: 'nothing was live at the peak' });
		metrics.push({ key: 'leaked', label: 'Heap: bytes leaked', g: D.heap, m: 3, fmt: fmtBytes, heap: true, none: 'nothing leaked' });
	}

	// samples that weigh differently (CPU-time timers at the tick, on- and
	// off-CPU spans) are shown by their time first
	// icicle by default: a deep profile opens with its root and widest frames
	// in view, not at the bottom of a tall canvas
	const state = { metric: D.cpu && D.cpu.timeFirst ? 1 : 0, thread: -1, zoom: 0, icicle: true };
	let self = new Float64Array(N), tot = new Float64Array(N);
	let match = null;        // per function: 1 when it matches the search
	let searchQuery = '';

	function selfFor(g, m, thread) {
		const s = new Float64Array(N);
		for (const w of g.weights) {
			if (thread >= 0 && w.t !== thread) continue;
			const n = w.n, v = w.w[m];
			let node = 0;
			for (let k = 0; k < n.length; k++) { node += n[k]; s[node] += v[k]; }
		}
		return s;
	}
	function recompute() {
		const M = metrics[state.metric];
		self = M ? selfFor(M.g, M.m, state.thread) : new Float64Array(N);
		tot = self.slice();
		for (let i = N - 1; i > 0; i--) tot[parent[i]] += tot[i];
		if (!(tot[state.zoom] > 0)) state.zoom = 0;
	}
	function threadTotal(M, t) {
		let s = 0;
		for (const w of M.g.weights) {
			if (w.t !== t) continue;
			const v = w.w[M.m];
			for (let k = 0; k < v.length; k++) s += v[k];
		}
		return s;
	}

	// ---- summary ----
	function buildSummary() {
		const m = D.meta;
		const exe = m.exe || (m.argv.length ? m.argv[0] : 'profile');
		$('title').textContent = exe.replace(/^.*\//, '') + ' (pid ' + m.pid + ')';
		const dl = $('summary-list');
		const add = (k, v, mono) => {
			dl.appendChild(el('dt', '', k));
			const dd = el('dd', mono ? 'mono' : '', v);
			dl.appendChild(dd);
			return dd;
		};
		add('Program', m.exe, true);
		add('Command', m.argv.length ? m.argv.join(' ') : m.cmdline, true);
		if (m.file) add('Profile', m.file, true);
		let rec = '';
		if (m.startWall) rec = new Date(m.startWall / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
		if (m.host) rec += (rec ? ' on ' : 'on ') + m.host;
		if (m.version) rec += (rec ? ', ' : '') + 'scorch ' + m.version;
		if (rec) add('Recorded', rec);
		add('Process', 'pid ' + m.pid + (m.ppid ? ', parent ' + m.ppid : ''));
		let ex;
		switch (m.exitKind) {
		case 'normal': ex = 'exited with status ' + m.exitValue; break;
		case 'signal': ex = 'killed by signal ' + m.exitValue + ' (' + (m.signal || '?') + ')'; break;
		case 'exec': ex = 'image replaced by exec'; break;
		default: ex = 'exit status unknown';
		}
		add('Duration', fmtDur(m.duration) + ', ' + ex);
		const names = D.threads.slice(0, 8).map((t) => t.name + ' (' + t.tid + ')').join(', ');
		add('Threads', D.threads.length + (D.threads.length ? ': ' + names + (D.threads.length > 8 ? ', ...' : '') : ''));
		if (D.cpu) {
			const c = D.cpu;
			let s = plural(c.samples, 'sample', 'samples');
			if (c.source) s += ' from ' + c.source;
			if (c.hz) s += ', ' + c.hz + ' Hz requested';
			if (c.achievedHz) s += ', ' + c.achievedHz.toFixed(1) + ' Hz achieved';
			if (c.cpuTimeNs) s += ' over ' + fmtDur(c.cpuTimeNs) + ' of process CPU time';
			add('CPU samples', s);
			if (c.wall) add('Off-CPU', plural(c.offcpu, 'sample', 'samples') + ' (' + fmtPct(c.offcpu, c.samples) + ') taken while blocked');
			if (m.filter) add('Matching filter', plural(c.matched, 'sample', 'samples'));
		}
		if (D.heap) {
			const h = D.heap;
			if (m.heapEstimated) add('Estimated', m.heapEstimated + ': every heap figure is an estimate');
			add('Allocations', plural(h.allocations, 'block', 'blocks') + ', ' + fmtBytes(h.bytes) + ' in total; ' +
				plural(h.frees, 'free', 'frees') + (h.failed ? '; ' + fmtCount(h.failed) + ' failed' : ''));
			add('Peak heap', fmtBytes(h.peakBytes) + ' in ' + plural(h.peakBlocks, 'block', 'blocks') + ' at ' + fmtDur(h.peakTime));
			add('Leaked', fmtBytes(h.leakedBytes) + ' in ' + plural(h.leakedBlocks, 'block', 'blocks'));
			if (h.peakRss) add('Peak RSS', fmtBytes(h.peakRss));
			add('Temporary', fmtCount(h.temporary) + ' (' + fmtPct(h.temporary, h.allocations) + ' of allocations) freed before the thread allocated again');
			add('Short-lived', fmtCount(h.shortLived) + ' lived less than ' + fmtDur(h.shortLivedNs));
			if (m.filter) add('Matching filter', plural(h.filteredAllocations, 'allocation', 'allocations') + ', ' + fmtBytes(h.filteredBytes));
		}
		if (m.filter) add('Filter', m.filter, true);
		const warn = $('warnings');
		const w = (t) => warn.appendChild(el('li', '', t));
		if (m.incomplete) w('Incomplete: the program was killed before scorch could flush its last events.');
		if (m.heapEstimated) w('Sampled heap profile: ' + m.heapEstimated + '; counts and bytes are estimated.');
		if (m.truncated) w('Truncated: ' + fmtCount(m.lostChunks) + ' chunks (' + fmtBytes(m.lostBytes) + ') of events were lost.');
		if (D.cpu && D.heap && D.cpu.samples && D.heap.calls)
			w('Heap tracking was on while sampling: allocation-heavy code looks slower than it is.');
	}

	// ---- controls ----
	const selMetric = $('metric'), selThread = $('thread');
	function fillMetrics() {
		metrics.forEach((M, i) => {
			const o = el('option', '', M.label);
			o.value = String(i);
			selMetric.appendChild(o);
		});
		selMetric.disabled = metrics.length < 2;
	}
	function fillThreads() {
		const M = metrics[state.metric];
		selThread.textContent = '';
		const per = D.threads.map((t, i) => (M ? threadTotal(M, i) : 0));
		const sum = per.reduce((a, b) => a + b, 0);
		const all = el('option', '', 'All threads' + (M ? ' \u2014 ' + M.fmt(sum) : ''));
		all.value = '-1';
		selThread.appendChild(all);
		const spans = new Map();
		if (D.zones) for (const L of zLanes) spans.set(L.t, L.n);
		D.threads.forEach((t, i) => {
			const v = per[i];
			let text = t.name + ' (' + t.tid + ')' + (M ? ' \u2014 ' + (v ? M.fmt(v) : 'none') : '');
			if (spans.get(i)) text += ', ' + plural(spans.get(i), 'zone span', 'zone spans');
			const o = el('option', '', text);
			o.value = String(i);
			selThread.appendChild(o);
		});
		selThread.value = String(state.thread);
		if (D.zones) {
			const zsel = $('zone-thread');
			zsel.textContent = '';
			for (const o of selThread.options) zsel.appendChild(o.cloneNode(true));
			zsel.value = selThread.value;
		}
	}

	// ---- the flamegraph ----
	const canvas = $('flame'), wrap = $('flame-wrap'), ctx = canvas.getContext('2d');
	const tip = $('tooltip'), details = $('details');
	let drawn = { n: 0, node: [], x: [], w: [], d: [], anc: [] };
	let canvasH = 0, canvasW = 0, charW = 7.2, lastDrawMs = 0, hover = -1;
	const cur = new Float64Array(D.maxDepth + 3);

	function hash(s) {
		let h = 2166136261;
		for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
		return h >>> 0;
	}
	function colorOf(i) {
		if (i === 0) return '#c9c3bb';
		const f = nodeFn[i];
		if (match && match[f]) return '#d946ef';
		// inlined frames keep the palette (their labels are in italics)
		// time blocked (scorch record --wall): blue among the warm colours
		if (funcName(f) === '[off-CPU]') return '#608cd6';
		const h = hash(funcName(f));
		return 'hsl(' + (h % 50) + ',' + (75 + (h >>> 8) % 20) + '%,' + (55 + (h >>> 16) % 12) + '%)';
	}

	// Fills `drawn` with what is visible: the zoomed node's ancestors at full
	// width, then its subtree, skipping every subtree narrower than MINW.
	function layout(W) {
		const dn = [], dx = [], dw = [], dd = [], da = [];
		const z = state.zoom, zt = tot[z];
		if (zt > 0) {
			const anc = [];
			for (let a = parent[z]; a >= 0; a = parent[a]) anc.push(a);
			for (let k = anc.length - 1; k >= 0; k--) {
				dn.push(anc[k]); dx.push(0); dw.push(W); dd.push(depth[anc[k]]); da.push(1);
			}
			const scale = W / zt, e = end[z];
			cur[depth[z]] = 0;
			let i = z;
			while (i < e) {
				const t = tot[i], d = depth[i], x = cur[d];
				cur[d] = x + t;
				const w = t * scale;
				if (w < MINW) { i = end[i]; continue; }
				cur[d + 1] = x;
				dn.push(i); dx.push(x * scale); dw.push(w); dd.push(d); da.push(0);
				i++;
			}
		}
		drawn = { n: dn.length, node: dn, x: dx, w: dw, d: dd, anc: da };
	}

	let labels = [];
	function rowY(d) { return state.icicle ? d * ROW : canvasH - (d + 1) * ROW; }

	function draw() {
		const t0 = performance.now();
		const W = Math.max(100, wrap.clientWidth);
		layout(W);
		let maxd = 0;
		for (let k = 0; k < drawn.n; k++) if (drawn.d[k] > maxd) maxd = drawn.d[k];
		// a graph deeper than the window gets rows down to 13 px (10 px labels)
		// so that more of it, root to leaves, is on one screen
		ROW = Math.max(13, Math.min(18, Math.floor(((window.innerHeight || 900) - 90) / (maxd + 1))));
		FONT = ROW >= 16 ? 12 : ROW - 3;
		const H = drawn.n ? (maxd + 1) * ROW : 0;
		const dpr = window.devicePixelRatio || 1;
		canvasW = W;
		canvasH = H;
		canvas.style.height = H + 'px';
		canvas.width = Math.round(W * dpr);
		canvas.height = Math.max(1, Math.round(H * dpr));
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, W, H);
		ctx.font = FONT + 'px ' + MONO;
		ctx.textBaseline = 'middle';
		charW = ctx.measureText('MMMMMMMMMM').width / 10 || 7.2;
		labels = new Array(drawn.n);
		for (let k = 0; k < drawn.n; k++) {
			const i = drawn.node[k], x = drawn.x[k], w = drawn.w[k], y = rowY(drawn.d[k]);
			ctx.globalAlpha = drawn.anc[k] ? 0.55 : 1;
			ctx.fillStyle = colorOf(i);
			ctx.fillRect(x, y, w > 2 ? w - 1 : w, ROW - 1);
			const chars = Math.floor((w - 6) / charW);
			labels[k] = '';
			if (chars >= 3) {
				const name = nodeName(i), inl = i && fInl[frame[i]];
				ctx.fillStyle = '#111';
				if (inl) ctx.font = 'italic ' + FONT + 'px ' + MONO;
				labels[k] = name.length <= chars ? name : name.slice(0, chars - 2) + '..';
				ctx.fillText(labels[k], x + 3, y + ROW / 2);
				if (inl) ctx.font = FONT + 'px ' + MONO;
			}
		}
		ctx.globalAlpha = 1;
		const empty = $('flame-empty');
		if (!drawn.n) {
			const M = metrics[state.metric];
			empty.textContent = M ? 'Nothing to draw: ' + M.none + (state.thread >= 0 ? ' on this thread.' : '.') +
				(D.meta.filter ? ' (The filter is on.)' : '') :
				'This profile has neither CPU samples nor heap events.';
			empty.hidden = false;
		} else {
			empty.hidden = true;
		}
		$('reset').disabled = state.zoom === 0;
		lastDrawMs = performance.now() - t0;
	}

	function hit(mx, my) {
		const row = Math.floor(state.icicle ? my / ROW : (canvasH - my) / ROW);
		for (let k = 0; k < drawn.n; k++)
			if (drawn.d[k] === row && drawn.x[k] <= mx && mx < drawn.x[k] + drawn.w[k]) return k;
		return -1;
	}

	function describe(i) {
		const M = metrics[state.metric];
		const lines = [];
		if (i !== 0) {
			const f = nodeFn[i];
			const mod = modName(fnMod[f]), file = S[fnFile[f]];
			let where = mod ? 'in ' + mod : '';
			if (file) where += (where ? ', ' : '') + file;
			if (fInl[frame[i]]) where += (where ? ' ' : '') + '(inlined)';
			if (where) lines.push(where);
		}
		if (M) {
			let t = 'total ' + M.fmt(tot[i]) + ' (' + fmtPct(tot[i], tot[0]) + ' of all';
			if (state.zoom !== 0) t += ', ' + fmtPct(tot[i], tot[state.zoom]) + ' of view';
			lines.push(t + ')');
			lines.push('self ' + M.fmt(self[i]) + ' (' + fmtPct(self[i], tot[0]) + ')');
		}
		return lines;
	}

	function showTip(k, ev) {
		const i = drawn.node[k];
		tip.textContent = '';
		tip.appendChild(el('div', 'name', nodeName(i)));
		const full = i ? funcFull(nodeFn[i]) : '';
		if (full && full !== nodeName(i)) tip.appendChild(el('div', 'row full', full));
		const lines = describe(i);
		for (const l of lines) tip.appendChild(el('div', 'row', l));
		tip.hidden = false;
		const r = tip.getBoundingClientRect();
		let x = ev.clientX + 14, y = ev.clientY + 14;
		if (x + r.width > window.innerWidth - 4) x = Math.max(4, ev.clientX - r.width - 14);
		if (y + r.height > window.innerHeight - 4) y = Math.max(4, ev.clientY - r.height - 14);
		tip.style.left = x + 'px';
		tip.style.top = y + 'px';
		details.textContent = (full && full !== nodeName(i) ? full : nodeName(i)) + ' \u2014 ' + lines.join('; ');
	}

	canvas.addEventListener('mousemove', (ev) => {
		const r = canvas.getBoundingClientRect();
		const k = hit(ev.clientX - r.left, ev.clientY - r.top);
		hover = k;
		if (k < 0) { tip.hidden = true; return; }
		showTip(k, ev);
	});
	canvas.addEventListener('mouseleave', () => { tip.hidden = true; hover = -1; });
	canvas.addEventListener('click', (ev) => {
		const r = canvas.getBoundingClientRect();
		const k = hit(ev.clientX - r.left, ev.clientY - r.top);
		if (k < 0) return;
		zoomTo(drawn.node[k]);
	});

	function zoomTo(i) {
		const t0 = performance.now();
		state.zoom = tot[i] > 0 ? i : 0;
		tip.hidden = true;
		draw();
		updateSearchResult();
		details.textContent = state.zoom ? 'zoomed to ' + nodeName(state.zoom) + ' \u2014 ' + describe(state.zoom).join('; ') : '';
		api.lastZoomMs = performance.now() - t0;
	}

	// ---- search ----
	const search = $('search'), searchCase = $('search-case');
	function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'); }
	function applySearch() {
		const q = search.value;
		searchQuery = q;
		if (!q) {
			match = null;
			search.classList.remove('bad');
			search.title = '';
		} else {
			const flags = searchCase.checked ? '' : 'i';
			let re;
			try {
				re = new RegExp(q, flags);
				search.classList.remove('bad');
				search.title = '';
			} catch (e) {
				re = new RegExp(escapeRe(q), flags);
				search.classList.add('bad');
				search.title = 'not a valid regular expression: searching for the text';
			}
			match = new Uint8Array(NF);
			for (let f = 0; f < NF; f++) if (re.test(funcName(f)) || re.test(funcFull(f))) match[f] = 1;
		}
		draw();
		updateSearchResult();
	}
	// The share of the view in frames that match, each stack counted once.
	function matchedValue() {
		if (!match) return 0;
		const z = state.zoom, e = end[z];
		let sum = 0;
		for (let i = z; i < e;) {
			if (i !== 0 && match[nodeFn[i]] && tot[i] > 0) { sum += tot[i]; i = end[i]; } else i++;
		}
		return sum;
	}
	function updateSearchResult() {
		const out = $('search-result');
		if (!match) { out.textContent = ''; return; }
		const M = metrics[state.metric], v = matchedValue();
		out.textContent = 'Matched: ' + fmtPct(v, tot[state.zoom]) + (M ? ' (' + M.fmt(v) + ')' : '');
	}
	let searchTimer = 0;
	search.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(applySearch, 120); });
	search.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { clearTimeout(searchTimer); applySearch(); } });
	searchCase.addEventListener('change', applySearch);

	// ---- tables ----
	// A sortable table: cols [{label, num, cls, get(row), fmt(v)}]; rows any.
	function makeTable(tbl, more, cols, sortCol, onRow) {
		const t = { tbl, more, cols, rows: [], sort: sortCol, asc: false, limit: 100, onRow };
		t.render = () => renderTable(t);
		return t;
	}
	function renderTable(t) {
		const { tbl, cols } = t;
		tbl.textContent = '';
		const thead = el('thead'), hr = el('tr');
		cols.forEach((c, ci) => {
			const th = el('th', (c.num ? '' : 'text') + (ci === t.sort ? ' sorted' + (t.asc ? ' asc' : '') : ''), c.label);
			th.addEventListener('click', () => {
				if (t.sort === ci) t.asc = !t.asc; else { t.sort = ci; t.asc = !c.num; }
				renderTable(t);
			});
			hr.appendChild(th);
		});
		thead.appendChild(hr);
		tbl.appendChild(thead);
		const c = cols[t.sort];
		const rows = t.rows.slice();
		rows.sort((a, b) => {
			const x = c.get(a), y = c.get(b);
			let r = c.num ? y - x : String(x).localeCompare(String(y));
			if (t.asc) r = -r;
			return r || (cols[0].get(a) < cols[0].get(b) ? -1 : 1);
		});
		const tb = el('tbody');
		const n = Math.min(rows.length, t.limit);
		for (let k = 0; k < n; k++) {
			const tr = el('tr');
			for (const col of cols) {
				const v = col.get(rows[k]);
				const td = el('td', (col.num ? '' : 'text ') + (col.cls || ''), col.fmt ? col.fmt(v, rows[k]) : String(v));
				if (col.num) td.title = col.title ? col.title(v) : fmtCount(v);
				else if (col.tip) td.title = col.tip(rows[k]);
				tr.appendChild(td);
			}
			if (t.onRow) tr.addEventListener('click', () => t.onRow(rows[k]));
			tb.appendChild(tr);
		}
		tbl.appendChild(tb);
		t.more.textContent = '';
		if (rows.length > n) {
			t.more.appendChild(document.createTextNode('Showing ' + n + ' of ' + fmtCount(rows.length) + '. '));
			const b = el('button', '', 'Show ' + Math.min(rows.length - n, 500) + ' more');
			b.type = 'button';
			b.addEventListener('click', () => { t.limit += 500; renderTable(t); });
			t.more.appendChild(b);
		}
	}
	function searchExact(name) {
		search.value = '^' + escapeRe(name) + '$';
		searchCase.checked = true;
		applySearch();
		$('flame-section').scrollIntoView({ block: 'start' });
	}

	const funcTable = makeTable($('funcs'), $('funcs-more'), [
		{ label: 'Function', cls: 'fn', get: (r) => funcName(r.f), tip: (r) => funcFull(r.f) },
		{ label: 'Module', get: (r) => modName(fnMod[r.f]) },
		{ label: 'Self', num: true, get: (r) => r.self, fmt: (v) => metricFmt(v) },
		{ label: 'Self %', num: true, get: (r) => r.self, fmt: (v) => fmtPct(v, tot[0]) },
		{ label: 'Total', num: true, get: (r) => r.total, fmt: (v) => metricFmt(v) },
		{ label: 'Total %', num: true, get: (r) => r.total, fmt: (v) => fmtPct(v, tot[0]) },
	], 2, (r) => searchExact(funcName(r.f)));
	function metricFmt(v) { const M = metrics[state.metric]; return M ? M.fmt(v) : String(v); }

	// Self and total per function for the current metric and thread; a
	// function counts once per stack in its total, however deep it recurses.
	function funcRows() {
		const fs = new Float64Array(NF), ft = new Float64Array(NF), on = new Int32Array(NF);
		const path = new Int32Array(D.maxDepth + 2);
		let sp = 0;
		for (let i = 1; i < N; i++) {
			while (sp > 0 && end[path[sp - 1]] <= i) on[nodeFn[path[--sp]]]--;
			if (!(tot[i] > 0)) { i = end[i] - 1; continue; }
			const f = nodeFn[i];
			fs[f] += self[i];
			if (on[f] === 0) ft[f] += tot[i];
			on[f]++;
			path[sp++] = i;
		}
		const rows = [];
		for (let f = 0; f < NF; f++) if (ft[f] > 0) rows.push({ f, self: fs[f], total: ft[f] });
		return rows;
	}
	function updateFuncTable() {
		const M = metrics[state.metric];
		funcTable.rows = M ? funcRows() : [];
		const th = state.thread >= 0 ? D.threads[state.thread] : null;
		$('funcs-sub').textContent = M ? 'by ' + M.label.replace(/^Heap: /, '') + (th ? ', thread ' + th.name + ' (' + th.tid + ')' : ', all threads') : '';
		funcTable.render();
	}

	let siteTable = null;
	function siteRows() {
		const h = D.heap, n = h.sites.name.length;
		const acc = [0, 1, 2, 3].map(() => new Float64Array(n));
		for (const w of h.siteWeights) {
			if (state.thread >= 0 && w.t !== state.thread) continue;
			for (let m = 0; m < 4; m++) {
				let s = 0;
				const v = w.w[m];
				for (let k = 0; k < w.n.length; k++) { s += w.n[k]; acc[m][s] += v[k]; }
			}
		}
		const rows = [];
		for (let s = 0; s < n; s++)
			if (acc[1][s] > 0) rows.push({ s, bytes: acc[0][s], count: acc[1][s], peak: acc[2][s], leaked: acc[3][s] });
		return rows;
	}
	function buildSiteTable() {
		const h = D.heap;
		// the short name shown (demangle_short()), the full one on hover
		const siteShort = h.sites.short || h.sites.name;
		const loc = (s) => { const f = S[h.sites.file[s]]; return f ? f + (h.sites.line[s] ? ':' + h.sites.line[s] : '') : ''; };
		siteTable = makeTable($('sites'), $('sites-more'), [
			{ label: 'Site', cls: 'fn', get: (r) => S[siteShort[r.s]], tip: (r) => S[h.sites.name[r.s]] },
			{ label: 'Location', get: (r) => loc(r.s) },
			{ label: 'Module', get: (r) => modName(h.sites.module[r.s]) },
			{ label: 'Bytes', num: true, get: (r) => r.bytes, fmt: fmtBytes },
			{ label: 'Allocations', num: true, get: (r) => r.count, fmt: fmtCount },
			{ label: 'Peak', num: true, get: (r) => r.peak, fmt: fmtBytes },
			{ label: 'Leaked', num: true, get: (r) => r.leaked, fmt: fmtBytes },
		], 3, (r) => searchExact(S[h.sites.name[r.s]]));
		$('sites-block').hidden = false;
	}
	function updateSiteTable() {
		if (!siteTable) return;
		const M = metrics[state.metric];
		if (M && M.heap) siteTable.sort = 3 + M.m;
		siteTable.asc = false;
		siteTable.rows = siteRows();
		const th = state.thread >= 0 ? D.threads[state.thread] : null;
		$('sites-sub').textContent = th ? 'allocated by thread ' + th.name + ' (' + th.tid + ')' : 'all threads';
		siteTable.render();
	}

	// ---- heap over time ----
	// RSS is drawn on the heap's scale, unless it would flatten the heap to nothing
	const chart = { drawn: false, showRss: !!(D.heap && D.heap.rss.length && D.heap.peakRss <= 10 * D.heap.peakBytes) };
	function drawChart() {
		const h = D.heap;
		if (!h) return;
		const cv = $('chart'), c = cv.getContext('2d');
		const W = Math.max(200, $('chart-wrap').clientWidth), H = 260;
		const dpr = window.devicePixelRatio || 1;
		cv.width = Math.round(W * dpr);
		cv.height = Math.round(H * dpr);
		c.setTransform(dpr, 0, 0, dpr, 0, 0);
		c.clearRect(0, 0, W, H);
		const L = 78, R = 14, T = 22, B = 26;
		const tl = h.timeline, rss = chart.showRss ? h.rss : [];
		let tmax = h.endTime || 1, vmax = h.peakBytes;
		for (let k = 0; k < tl.length; k += 2) { if (tl[k] > tmax) tmax = tl[k]; if (tl[k + 1] > vmax) vmax = tl[k + 1]; }
		for (let k = 0; k < rss.length; k += 2) { if (rss[k] > tmax) tmax = rss[k]; if (rss[k + 1] > vmax) vmax = rss[k + 1]; }
		const vstep = niceStep(Math.max(vmax * 1.08, 1), 4, 1024), tstep = niceStep(tmax, 6, 1000);
		vmax = Math.ceil(Math.max(vmax * 1.08, 1) / vstep) * vstep;
		const X = (t) => L + (W - L - R) * t / tmax, Y = (v) => H - B - (H - T - B) * v / vmax;
		const css = getComputedStyle(document.documentElement);
		const fg = css.getPropertyValue('--dim').trim() || '#666', line = css.getPropertyValue('--line').trim() || '#ddd';
		c.font = '11px ' + MONO;
		c.fillStyle = fg;
		c.strokeStyle = line;
		c.lineWidth = 1;
		c.textBaseline = 'middle';
		for (let v = 0; v <= vmax + vstep / 2; v += vstep) {
			const y = Math.round(Y(v)) + 0.5;
			c.beginPath(); c.moveTo(L, y); c.lineTo(W - R, y); c.stroke();
			c.textAlign = 'right';
			c.fillText(fmtBytes(v), L - 6, y);
		}
		c.textAlign = 'center';
		c.textBaseline = 'top';
		const ticks = [];
		for (let t = 0; t <= tmax; t += tstep) {
			ticks.push(fmtTick(t, tstep));
			c.fillText(ticks[ticks.length - 1], Math.min(W - R - 20, Math.max(L + 10, X(t))), H - B + 6);
		}
		chart.ticks = ticks;
		// heap: a step function, filled
		const heapColor = css.getPropertyValue('--heap').trim() || '#ea580c';
		const rssColor = css.getPropertyValue('--rss').trim() || '#2563eb';
		if (tl.length) {
			c.beginPath();
			c.moveTo(X(tl[0]), Y(0));
			let prev = 0;
			for (let k = 0; k < tl.length; k += 2) {
				c.lineTo(X(tl[k]), Y(prev));
				c.lineTo(X(tl[k]), Y(tl[k + 1]));
				prev = tl[k + 1];
			}
			c.lineTo(X(tmax), Y(prev));
			c.lineTo(X(tmax), Y(0));
			c.closePath();
			c.globalAlpha = 0.25;
			c.fillStyle = heapColor;
			c.fill();
			c.globalAlpha = 1;
			c.strokeStyle = heapColor;
			c.lineWidth = 1.5;
			c.stroke();
		}
		if (rss.length) {
			c.beginPath();
			for (let k = 0; k < rss.length; k += 2) (k ? c.lineTo : c.moveTo).call(c, X(rss[k]), Y(rss[k + 1]));
			c.strokeStyle = rssColor;
			c.lineWidth = 1.5;
			c.stroke();
			if (rss.length < 40) {
				c.fillStyle = rssColor;
				for (let k = 0; k < rss.length; k += 2) { c.beginPath(); c.arc(X(rss[k]), Y(rss[k + 1]), 2.5, 0, 2 * Math.PI); c.fill(); }
			}
		}
		// the peak
		const px = X(h.peakTime), py = Y(h.peakBytes);
		c.setLineDash([4, 3]);
		c.strokeStyle = '#dc2626';
		c.lineWidth = 1;
		c.beginPath(); c.moveTo(px, T - 6); c.lineTo(px, H - B); c.stroke();
		c.setLineDash([]);
		c.fillStyle = '#dc2626';
		c.beginPath(); c.arc(px, py, 4, 0, 2 * Math.PI); c.fill();
		const label = 'peak ' + fmtBytes(h.peakBytes) + ' at ' + fmtDur(h.peakTime);
		c.font = '12px ' + MONO;
		c.textBaseline = 'bottom';
		const lw = c.measureText(label).width;
		c.textAlign = px + 8 + lw < W - R ? 'left' : 'right';
		c.fillText(label, c.textAlign === 'left' ? px + 8 : px - 8, Math.max(T + 4, py - 4));
		Object.assign(chart, { drawn: true, width: W, height: H, peakX: px, peakY: py, label,
			peakBytes: h.peakBytes, peakTime: h.peakTime, heapPoints: tl.length / 2, rssPoints: rss.length / 2,
			X, Y, tmax, vmax });
		if (!chart.legend) {
			const lg = $('chart-legend');
			const item = (cls, text) => { const s = el('span'); s.appendChild(el('span', 'key ' + cls)); s.appendChild(document.createTextNode(text)); lg.appendChild(s); };
			item('k-heap', 'heap: live requested bytes (' + fmtBytes(h.peakBytes) + ' at the peak)');
			if (h.rss.length) {
				// RSS can dwarf the heap: it can be hidden to see the heap's shape
				const lab = el('label', 'check'), cb = el('input');
				cb.type = 'checkbox';
				cb.checked = chart.showRss;
				cb.id = 'show-rss';
				cb.addEventListener('change', () => { chart.showRss = cb.checked; drawChart(); });
				lab.appendChild(cb);
				lab.appendChild(el('span', 'key k-rss'));
				lab.appendChild(document.createTextNode('RSS (peak ' + fmtBytes(h.peakRss) +
					(chart.showRss ? ')' : '; hidden at first: on the same scale it would flatten the heap)')));
				lg.appendChild(lab);
			}
			item('k-peak', label);
			chart.legend = true;
		}
	}
	// A time axis label: t ns since the start of the run, in the unit of the
	// step ("0 ms", "20 ms", ...), with the decimals the step needs.
	function fmtTick(t, step) {
		const u = step >= 1e9 ? [1e9, 's'] : step >= 1e6 ? [1e6, 'ms'] : step >= 1e3 ? [1e3, '\u00b5s'] : [1, 'ns'];
		const d = Math.max(0, Math.ceil(-Math.log10(step / u[0]) - 1e-9));
		return (t / u[0]).toFixed(Math.min(d, 6)) + ' ' + u[1];
	}
	// A round axis step (1, 2 or 5 times a power of 10, within units of `base`)
	// giving at most n steps up to max.
	function niceStep(max, n, base) {
		let unit = 1;
		while (max / unit >= base) unit *= base;
		const raw = max / unit / n;
		if (!(raw > 0) || !isFinite(raw)) return unit;
		// from the power of 10 at or below max/n, so a run of 1.6 s gets
		// 0.5 s steps (4 labels), not 1 s steps (2 labels)
		for (let m = Math.pow(10, Math.floor(Math.log10(raw))); ; m *= 10)
			for (const k of [1, 2, 5]) {
				const s = k * m * unit;
				if (s >= 1 && max / s <= n) return s;
			}
	}
	// the value of a step series at time t
	function seriesAt(s, t) {
		let lo = 0, hi = s.length / 2 - 1, v = 0;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (s[2 * mid] <= t) { v = s[2 * mid + 1]; lo = mid + 1; } else hi = mid - 1;
		}
		return v;
	}
	function chartHover(ev) {
		if (!chart.drawn) return;
		const r = ev.target.getBoundingClientRect();
		const x = ev.clientX - r.left;
		const t = (x - 78) / (chart.width - 78 - 14) * chart.tmax;
		if (t < 0 || t > chart.tmax) { tip.hidden = true; return; }
		tip.textContent = '';
		tip.appendChild(el('div', 'name', fmtDur(t)));
		tip.appendChild(el('div', 'row', 'heap ' + fmtBytes(seriesAt(D.heap.timeline, t))));
		if (D.heap.rss.length && chart.showRss) tip.appendChild(el('div', 'row', 'RSS ' + fmtBytes(seriesAt(D.heap.rss, t))));
		tip.hidden = false;
		tip.style.left = (ev.clientX + 14) + 'px';
		tip.style.top = (ev.clientY + 14) + 'px';
	}

	function buildHistogram() {
		const h = D.heap, tbl = $('hist');
		let first = -1, last = -1, maxc = 0;
		h.hist.forEach((b, k) => { if (b[2] > 0) { if (first < 0) first = k; last = k; if (b[2] > maxc) maxc = b[2]; } });
		const head = el('tr');
		['Size', '', 'Allocations', '%', 'Bytes'].forEach((t) => head.appendChild(el('th', '', t)));
		const thead = el('thead');
		thead.appendChild(head);
		tbl.appendChild(thead);
		const tb = el('tbody');
		let total = 0;
		h.hist.forEach((b) => { total += b[2]; });
		for (let k = first; k >= 0 && k <= last; k++) {
			const [lo, hi, count, bytes] = h.hist[k];
			const tr = el('tr');
			const range = lo === hi ? fmtCount(lo) + ' B' : hi < 1024 ? lo + ' \u2013 ' + hi + ' B' : pow2Label(lo) + ' \u2013 <' + pow2Label(hi + 1);
			tr.appendChild(el('td', 'range', range));
			const bc = el('td', 'barcell'), bar = el('div', 'bar');
			bar.style.width = (count ? Math.max(0.5, 100 * count / maxc) : 0) + '%';
			bc.appendChild(bar);
			tr.appendChild(bc);
			tr.appendChild(el('td', '', fmtCount(count)));
			tr.appendChild(el('td', '', fmtPct(count, total)));
			tr.appendChild(el('td', '', fmtBytes(bytes)));
			tb.appendChild(tr);
		}
		tbl.appendChild(tb);
	}

	// ---- zones: the timeline per thread, the counters, the zone table ----
	// Spans come per thread in start order with their depth, so a span's
	// subtree (the spans inside it) is the index range [i, zend[i]). Drawing
	// walks the visible spans only: a span narrower than a pixel is not drawn
	// alone but merged with its neighbours on the same row into one grey
	// cluster (its whole subtree skipped and counted), so a redraw costs the
	// visible pixels, not the trace.
	const Z = D.zones;
	const ZROW = 17, ZHDR = 17, ZAXIS = 22, ZGAP = 8, ZMAXROWS = 200, ZMAXH = 30000, ZMINW = 1, ZMINRANGE = 10;
	const zs = { t0: 0, t1: 1, full: 1, back: [], hl: -1, shown: [], drawn: [], clusters: [], marks: [], W: 0, H: 0,
		cut: 0, deep: 0, lastDrawMs: 0, drag: null };
	let zLanes = [], zRowsAll = null, zCounters = [], zoneTable = null;
	const zName = (z) => (z >= 0 && z < Z.names.name.length ? S[Z.names.name[z]] : '?');
	const zWhere = (z) => { const f = S[Z.names.file[z]]; return f ? f + (Z.names.line[z] ? ':' + Z.names.line[z] : '') : ''; };
	const threadLabel = (t) => (t >= 0 && t < D.threads.length ? D.threads[t].name + ' (' + D.threads[t].tid + ')' : 'thread ' + t);

	// Typed arrays per lane (thread), subtree ends, the sparse fields as maps.
	function prepZones() {
		const byThread = new Map();
		let tmax = D.meta.duration || 0;
		const sparse = (a, k) => {
			const m = new Map();
			for (let j = 0, i = 0; j < a.length; j += k + 1) { i += a[j]; m.set(i, k === 1 ? a[j + 1] : [a[j + 1], a[j + 2]]); }
			return m;
		};
		for (const L of Z.lanes) {
			const n = L.dur.length;
			const s = new Float64Array(n), e = new Float64Array(n), dp = new Int32Array(n), nm = new Int32Array(n), zend = new Int32Array(n);
			let t = 0, maxd = -1;
			for (let i = 0; i < n; i++) {
				t += L.start[i];
				s[i] = t;
				e[i] = t + L.dur[i];
				dp[i] = L.depth[i];
				nm[i] = L.name[i];
				if (dp[i] > maxd) maxd = dp[i];
				if (e[i] > tmax) tmax = e[i];
			}
			const st = new Int32Array(n + 1);
			let sp = 0;
			for (let i = 0; i < n; i++) {
				while (sp > 0 && dp[st[sp - 1]] >= dp[i]) zend[st[--sp]] = i;
				st[sp++] = i;
			}
			while (sp > 0) zend[st[--sp]] = n;
			byThread.set(L.t, { t: L.t, n, s, e, dp, nm, zend, maxd, mem: sparse(L.mem, 2), flags: sparse(L.flags, 1),
				dropped: sparse(L.dropped, 1), mt: [], mn: [] });
		}
		Z.lanes = null;
		const M = Z.marks;
		for (let k = 0, t = 0; k < M.time.length; k++) {
			t += M.time[k];
			let L = byThread.get(M.thread[k]);
			if (!L) {
				L = { t: M.thread[k], n: 0, s: [], e: [], dp: [], nm: [], zend: [], maxd: -1, mem: new Map(), flags: new Map(), dropped: new Map(), mt: [], mn: [] };
				byThread.set(L.t, L);
			}
			L.mt.push(t);
			L.mn.push(M.name[k]);
			if (t > tmax) tmax = t;
		}
		zLanes = [...byThread.values()].sort((a, b) => a.t - b.t);
		for (const C of Z.counters) {
			const n = C.time.length, T = new Float64Array(n), V = new Float64Array(n);
			let t = 0, mn = Infinity, mx = -Infinity, last = NaN;
			for (let k = 0; k < n; k++) {
				t += C.time[k];
				T[k] = t;
				V[k] = C.value[k] === null ? NaN : C.value[k];
				if (V[k] < mn) mn = V[k];
				if (V[k] > mx) mx = V[k];
				last = V[k];
				if (t > tmax) tmax = t;
			}
			zCounters.push({ C, T, V, series: { points: n, min: mn, max: mx, last } });
		}
		zRowsAll = Z.rows.find((r) => r.t === -1);
		zs.full = Math.max(tmax, 1);
		zs.t0 = 0;
		zs.t1 = zs.full;
	}

	function zColor(z) {
		const h = hash(zName(z));
		return 'hsl(' + (h % 360) + ',' + (55 + (h >>> 9) % 20) + '%,' + (64 + (h >>> 17) % 10) + '%)';
	}
	// A round step (1, 2 or 5 times a power of ten ns, at least 1 ns) giving
	// at most about n steps over span.
	function zStep(span, n) {
		const raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
		for (const k of [1, 2, 5, 10]) if (k * p >= raw) return Math.max(1, k * p);
		return Math.max(1, 10 * p);
	}
	// Axis labels in the unit of the view's end, with the decimals the step needs.
	function zTick(t, step) {
		const units = [[1e9, 's'], [1e6, 'ms'], [1e3, 'us'], [1, 'ns']];
		let u = units[3];
		for (const x of units) if (zs.t1 >= x[0]) { u = x; break; }
		const dec = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / u[0]) - 1e-9)));
		return (t / u[0]).toFixed(dec) + ' ' + u[1];
	}
	function zLanesSelected() { return state.thread >= 0 ? zLanes.filter((L) => L.t === state.thread) : zLanes; }

	// Lays out the visible spans of one shown lane (sl: lane, top y, rows) in
	// a view W px wide: zs.drawn gets the spans a pixel wide or more, zs.clusters
	// the merged runs of narrower ones.
	function zLayoutLane(sl, W) {
		const L = sl.L, { s, e, dp, nm, zend } = L, t0 = zs.t0, t1 = zs.t1, scale = W / (t1 - t0);
		// open[d]: the cluster being merged on row d. Any span closes those of
		// the rows below its own: a cluster never reaches across to the spans
		// of another parent, so that its index range [lo, hi) holds exactly
		// its spans and their subtrees.
		const open = [];
		const flush = (d) => { if (open[d]) { zs.clusters.push(open[d]); open[d] = null; } };
		let i = 0;
		while (i < L.n) {
			if (s[i] > t1) break;
			const d = dp[i];
			while (open.length > d + 1) { flush(open.length - 1); open.length--; }
			if (d >= sl.rows) { flush(d); zs.deep += zend[i] - i; i = zend[i]; continue; }
			if (e[i] < t0) { flush(d); i = zend[i]; continue; }
			const x0 = (s[i] - t0) * scale, x1 = (e[i] - t0) * scale;
			if (x1 - x0 < ZMINW) {
				const o = open[d];
				if (o && x0 <= o.x1 + 1) {
					if (x1 > o.x1) o.x1 = x1;
					if (e[i] > o.te) o.te = e[i];
					o.hi = zend[i];
					o.count += zend[i] - i;
				} else {
					flush(d);
					open[d] = { sl, d, lo: i, hi: zend[i], x0, x1, ts: s[i], te: e[i], count: zend[i] - i };
				}
				i = zend[i];
				continue;
			}
			flush(d);
			const x = Math.max(x0, 0), w = Math.min(x1, W) - x;
			zs.drawn.push({ sl, i, x, w, d, y: sl.y + ZHDR + d * ZROW });
			i++;
		}
		for (let d = 0; d < open.length; d++) flush(d);
	}

	function zoneDraw() {
		const t0p = performance.now();
		const wrapEl = $('zone-wrap'), cv = $('zone-canvas'), c = cv.getContext('2d');
		const W = Math.max(100, wrapEl.clientWidth);
		const lanes = zLanesSelected();
		zs.shown = [];
		zs.drawn = [];
		zs.clusters = [];
		zs.marks = [];
		zs.cut = 0;
		zs.deep = 0;
		let y = ZAXIS;
		for (const L of lanes) {
			const rows = Math.min(L.maxd + 1, ZMAXROWS), h = ZHDR + rows * ZROW;
			if (y + h > ZMAXH && zs.shown.length) { zs.cut++; continue; }
			zs.shown.push({ L, y, rows, h });
			y += h + ZGAP;
		}
		const H = zs.shown.length ? y - ZGAP : 0;
		const dpr = window.devicePixelRatio || 1;
		zs.W = W;
		zs.H = H;
		cv.style.height = H + 'px';
		cv.width = Math.round(W * dpr);
		cv.height = Math.max(1, Math.round(H * dpr));
		c.setTransform(dpr, 0, 0, dpr, 0, 0);
		c.clearRect(0, 0, W, H);
		const css = getComputedStyle(document.documentElement);
		const dim = css.getPropertyValue('--dim').trim() || '#666', line = css.getPropertyValue('--line').trim() || '#ddd';
		const fg = css.getPropertyValue('--fg').trim() || '#111', panel = css.getPropertyValue('--panel').trim() || '#fff';
		c.font = '11px ' + MONO;
		c.textBaseline = 'middle';
		const cw = c.measureText('MMMMMMMMMM').width / 10 || 6.6;
		// the time axis and its grid
		const span = zs.t1 - zs.t0, step = zStep(span, Math.max(2, Math.floor(W / 130)));
		c.strokeStyle = line;
		c.fillStyle = dim;
		c.lineWidth = 1;
		c.textAlign = 'left';
		for (let t = Math.ceil(zs.t0 / step) * step; t <= zs.t1; t += step) {
			const x = Math.round((t - zs.t0) * W / span) + 0.5;
			c.beginPath(); c.moveTo(x, ZAXIS - 6); c.lineTo(x, H); c.stroke();
			const lab = zTick(t, step), lw = c.measureText(lab).width;
			c.fillText(lab, Math.min(Math.max(x + 3, 2), W - lw - 2), ZAXIS / 2 - 1);
		}
		for (const sl of zs.shown) {
			c.globalAlpha = 0.07;
			c.fillStyle = fg;
			c.fillRect(0, sl.y, W, ZHDR);
			c.globalAlpha = 1;
			zLayoutLane(sl, W);
		}
		// spans
		c.font = '11px ' + MONO;
		for (const r of zs.drawn) {
			const L = r.sl.L, z = L.nm[r.i];
			c.globalAlpha = zs.hl >= 0 && z !== zs.hl ? 0.25 : 1;
			c.fillStyle = zColor(z);
			c.fillRect(r.x, r.y, r.w > 2 ? r.w - 1 : r.w, ZROW - 1);
			if (L.flags.has(r.i) && r.w > 3) {
				c.fillStyle = '#dc2626';
				c.fillRect(r.x + r.w - 3, r.y, 2, ZROW - 1);
			}
			const chars = Math.floor((r.w - 6) / cw);
			if (chars >= 3) {
				const nmT = zName(z), du = fmtDur(L.e[r.i] - L.s[r.i]);
				const full = nmT + ' ' + du;
				c.fillStyle = '#111';
				c.fillText(full.length <= chars ? full : nmT.length <= chars ? nmT : nmT.slice(0, chars - 2) + '..', r.x + 3, r.y + ZROW / 2);
			}
		}
		c.globalAlpha = 1;
		// clusters of spans narrower than a pixel
		c.fillStyle = dim;
		for (const o of zs.clusters) {
			const x = Math.max(o.x0, 0), w = Math.max(Math.min(o.x1, W) - x, 1);
			o.x = x;
			o.w = w;
			o.y = o.sl.y + ZHDR + o.d * ZROW;
			c.globalAlpha = 0.55;
			c.fillRect(x, o.y + 2, w, ZROW - 5);
		}
		c.globalAlpha = 1;
		// marks: ticks through the lane, grouped per pixel, named in the header
		for (const sl of zs.shown) {
			const L = sl.L, groups = [];
			for (let k = 0; k < L.mt.length; k++) {
				const t = L.mt[k];
				if (t < zs.t0 || t > zs.t1) continue;
				const x = (t - zs.t0) * W / span, g = groups[groups.length - 1];
				if (g && x - g.x < 1) { g.ks.push(k); continue; }
				groups.push({ sl, x, ks: [k] });
			}
			for (let g = 0; g < groups.length; g++) {
				const G = groups[g], x = Math.round(G.x) + 0.5;
				c.strokeStyle = '#7c3aed';
				c.globalAlpha = 0.45;
				c.beginPath(); c.moveTo(x, sl.y); c.lineTo(x, sl.y + sl.h); c.stroke();
				c.globalAlpha = 1;
				c.fillStyle = '#7c3aed';
				c.beginPath(); c.moveTo(x - 4, sl.y + 1); c.lineTo(x + 4, sl.y + 1); c.lineTo(x, sl.y + 7); c.closePath(); c.fill();
				const names = new Set(G.ks.map((k) => L.mn[k]));
				G.label = names.size === 1 ? zName(L.mn[G.ks[0]]) + (G.ks.length > 1 ? ' \u00d7' + G.ks.length : '') : G.ks.length + ' marks';
				const room = (g + 1 < groups.length ? groups[g + 1].x : W) - x - 10;
				const chars = Math.floor(room / cw);
				if (chars >= 2) {
					c.fillStyle = '#7c3aed';
					c.textAlign = 'left';
					c.fillText(G.label.length <= chars ? G.label : G.label.slice(0, chars - 1) + '\u2026', x + 6, sl.y + ZHDR / 2);
				}
				zs.marks.push(G);
			}
			// the thread's name on top, left
			const tl = threadLabel(L.t);
			c.font = '600 11px ' + MONO;
			const tw = c.measureText(tl).width;
			c.fillStyle = panel;
			c.globalAlpha = 0.85;
			c.fillRect(0, sl.y, tw + 10, ZHDR);
			c.globalAlpha = 1;
			c.fillStyle = fg;
			c.textAlign = 'left';
			c.fillText(tl, 4, sl.y + ZHDR / 2);
			c.font = '11px ' + MONO;
		}
		const empty = $('zone-empty');
		const notes = [];
		if (!zs.shown.length) notes.push(state.thread >= 0 ? 'No zones or marks on this thread.' : 'No zone spans or marks to draw.');
		if (zs.deep) notes.push(fmtCount(zs.deep) + ' spans deeper than ' + ZMAXROWS + ' levels are not drawn.');
		if (zs.cut) notes.push(plural(zs.cut, 'more thread is', 'more threads are') + ' not drawn (the timeline would be too tall): pick one with the thread selector.');
		empty.textContent = notes.join(' ');
		empty.hidden = !notes.length;
		$('zone-back').disabled = !zs.back.length;
		$('zone-reset').disabled = zs.t0 === 0 && zs.t1 === zs.full;
		const rs = zStep(span, 10);
		$('zone-range').textContent = zTick(zs.t0, rs) + ' \u2013 ' + zTick(zs.t1, rs) + ' (' + fmtDur(span) + ' shown)';
		zs.lastDrawMs = performance.now() - t0p;
	}

	// What is under (mx, my) on the timeline canvas.
	function zoneHit(mx, my) {
		for (const sl of zs.shown) {
			if (my < sl.y || my >= sl.y + sl.h) continue;
			if (my < sl.y + ZHDR) {
				let best = null, bd = 5;
				for (const G of zs.marks) if (G.sl === sl && Math.abs(G.x - mx) < bd) { best = G; bd = Math.abs(G.x - mx); }
				return best ? { mark: best } : null;
			}
			const d = Math.floor((my - sl.y - ZHDR) / ZROW);
			// clusters, then spans of a pixel or two, first and from a
			// pixel away: they would be hard to hit next to a wide
			// neighbour; of two clusters (or two narrow spans) within
			// reach, the nearer, not the first listed
			const gap = (o) => (mx < o.x ? o.x - mx : mx > o.x + o.w ? mx - o.x - o.w : 0);
			let best = null, bg = 1.0001;
			for (const o of zs.clusters) if (o.sl === sl && o.d === d && gap(o) < bg) { best = { cluster: o }; bg = gap(o); }
			if (best) return best;
			for (const r of zs.drawn) if (r.sl === sl && r.d === d && r.w < 3 && gap(r) < bg) { best = { span: r }; bg = gap(r); }
			if (best) return best;
			for (const r of zs.drawn) if (r.sl === sl && r.d === d && r.x <= mx && mx < r.x + r.w) return { span: r };
			return null;
		}
		return null;
	}
	// A span's self time as the zone analysis defines it: its duration less
	// the time of the spans directly inside it (cut at its end) and of the
	// calls --calls-min dropped inside it.
	function zSelf(L, i) {
		const d = L.dp[i], e = L.e[i];
		let away = L.dropped.get(i) || 0;
		for (let k = i + 1; k < L.zend[i]; k = L.zend[k]) {
			if (L.dp[k] !== d + 1) continue;
			const ce = Math.min(L.e[k], e);
			if (ce > L.s[k]) away += ce - L.s[k];
		}
		const dur = e - L.s[i];
		return dur > away ? dur - away : 0;
	}
	const FLAG_TEXT = [[1, 'unwound: ended by longjmp or an exception'], [2, 'still open when its thread exited'],
		[8, 'unfinished: never ended (drawn to the end of its thread)']];
	function zFlags(f) { return FLAG_TEXT.filter((x) => f & x[0]).map((x) => x[1]); }
	// Per name, the spans of a cluster: its index range holds them and their subtrees.
	function clusterNames(o) {
		if (o.names) return o.names;
		const L = o.sl.L, m = new Map();
		for (let k = o.lo; k < o.hi; k++) m.set(L.nm[k], (m.get(L.nm[k]) || 0) + 1);
		o.names = m;
		return m;
	}
	function zDescribe(h) {
		if (h.span) {
			const r = h.span, L = r.sl.L, i = r.i, z = L.nm[i];
			const lines = [];
			const where = zWhere(z);
			lines.push((Z.names.kind[z] === 1 ? 'function' : 'zone') + (where ? ' at ' + where : ''));
			lines.push('thread ' + threadLabel(L.t) + ', depth ' + L.dp[i]);
			lines.push('from ' + fmtCount(L.s[i]) + ' ns to ' + fmtCount(L.e[i]) + ' ns');
			lines.push('duration ' + fmtDur(L.e[i] - L.s[i]) + ' (' + fmtCount(L.e[i] - L.s[i]) + ' ns), self ' + fmtDur(zSelf(L, i)));
			const mem = L.mem.get(i) || [0, 0];
			lines.push(plural(mem[0], 'allocation', 'allocations') + ', ' + fmtBytes(mem[1]) + ' requested inside');
			if (L.dropped.has(i)) lines.push(fmtDur(L.dropped.get(i)) + ' in calls below --calls-min inside');
			for (const f of zFlags(L.flags.get(i) || 0)) lines.push(f);
			return { name: zName(z), lines };
		}
		if (h.cluster) {
			const o = h.cluster, m = [...clusterNames(o)].sort((a, b) => b[1] - a[1] || (zName(a[0]) < zName(b[0]) ? -1 : 1));
			const lines = m.slice(0, 6).map(([z, n]) => zName(z) + ' \u00d7' + fmtCount(n));
			if (m.length > 6) lines.push('and ' + plural(m.length - 6, 'more name', 'more names'));
			const cs = zStep(Math.max(o.te - o.ts, 1), 4);
			lines.push(zTick(o.ts, cs) + ' \u2013 ' + zTick(o.te, cs) + '; click to zoom in');
			return { name: plural(o.count, 'span', 'spans') + ' narrower than a pixel', lines };
		}
		const G = h.mark, L = G.sl.L;
		const lines = G.ks.slice(0, 8).map((k) => zName(L.mn[k]) + ' at ' + fmtCount(L.mt[k]) + ' ns');
		if (G.ks.length > 8) lines.push('and ' + plural(G.ks.length - 8, 'more mark', 'more marks'));
		return { name: G.label + ' (' + threadLabel(L.t) + ')', lines };
	}
	function zShowTip(h, ev) {
		const dsc = zDescribe(h);
		tip.textContent = '';
		tip.appendChild(el('div', 'name', dsc.name));
		for (const l of dsc.lines) tip.appendChild(el('div', 'row', l));
		tip.hidden = false;
		const r = tip.getBoundingClientRect();
		let x = ev.clientX + 14, y = ev.clientY + 14;
		if (x + r.width > window.innerWidth - 4) x = Math.max(4, ev.clientX - r.width - 14);
		if (y + r.height > window.innerHeight - 4) y = Math.max(4, ev.clientY - r.height - 14);
		tip.style.left = x + 'px';
		tip.style.top = y + 'px';
		$('zone-details').textContent = dsc.name + ' \u2014 ' + dsc.lines.join('; ');
	}
	function zoomTime(a, b, remember = true) {
		if (b - a < ZMINRANGE) { const m = (a + b) / 2; a = m - ZMINRANGE / 2; b = m + ZMINRANGE / 2; }
		a = Math.max(0, a);
		b = Math.min(zs.full, b);
		if (b <= a) return;
		if (remember) zs.back.push([zs.t0, zs.t1]);
		zs.t0 = a;
		zs.t1 = b;
		tip.hidden = true;
		zRedraw();
	}
	function zRedraw() { zoneDraw(); drawCounters(); }

	// ---- counters: one small plot each, on the timeline's time axis ----
	function fmtVal(v) {
		if (!Number.isFinite(v)) return String(v);
		if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
		return String(Number(v.toPrecision(6)));
	}
	function buildCounters() {
		const box = $('counters');
		for (const K of zCounters) {
			const C = K.C, d = el('div', 'counter'), h = el('div', 'chead');
			h.appendChild(el('span', 'cname', zName(C.name)));
			const stats = el('span', 'cstats');
			const stat = (label, v) => { const s = el('span', 'stat', label + ' ' + fmtVal(v)); s.title = String(v); s.dataset.k = label; stats.appendChild(s); };
			stat('min', C.min);
			stat('max', C.max);
			stat('last', C.last);
			stat('mean', C.mean);
			stats.appendChild(el('span', 'stat', plural(C.values, 'value', 'values')));
			h.appendChild(stats);
			d.appendChild(h);
			const cv = el('canvas', 'cplot');
			d.appendChild(cv);
			box.appendChild(d);
			K.canvas = cv;
			cv.addEventListener('mousemove', (ev) => counterHover(K, ev));
			cv.addEventListener('mouseleave', () => { tip.hidden = true; });
		}
		$('counters-sub').textContent = 'all threads, on the timeline\u2019s time axis';
		$('counters-block').hidden = !zCounters.length;
	}
	function drawCounters() {
		for (const K of zCounters) drawCounter(K);
	}
	function drawCounter(K) {
		const cv = K.canvas, c = cv.getContext('2d');
		const W = Math.max(100, $('zone-wrap').clientWidth), H = 64, T = 6, B = 6;
		const dpr = window.devicePixelRatio || 1;
		cv.style.height = H + 'px';
		cv.width = Math.round(W * dpr);
		cv.height = Math.round(H * dpr);
		c.setTransform(dpr, 0, 0, dpr, 0, 0);
		c.clearRect(0, 0, W, H);
		const css = getComputedStyle(document.documentElement);
		const dim = css.getPropertyValue('--dim').trim() || '#666', line = css.getPropertyValue('--line').trim() || '#ddd';
		const color = css.getPropertyValue('--counter').trim() || '#0f766e';
		let lo = K.series.min, hi = K.series.max;
		if (!(hi > lo)) { lo = Number.isFinite(lo) ? lo - 1 : 0; hi = Number.isFinite(hi) ? hi + 1 : 1; }
		const span = zs.t1 - zs.t0;
		const X = (t) => (t - zs.t0) * W / span, Y = (v) => H - B - (H - T - B) * (v - lo) / (hi - lo);
		c.strokeStyle = line;
		c.lineWidth = 1;
		for (const v of [lo, hi]) { const y = Math.round(Y(v)) + 0.5; c.beginPath(); c.moveTo(0, y); c.lineTo(W, y); c.stroke(); }
		const TT = K.T, V = K.V, n = TT.length;
		// the last value at or before the view's start, then every one in view
		let a = 0, b = n - 1, k0 = 0;
		while (a <= b) { const m = (a + b) >> 1; if (TT[m] <= zs.t0) { k0 = m; a = m + 1; } else b = m - 1; }
		// a step line; values sharing a pixel column become one vertical stroke
		c.strokeStyle = color;
		c.lineWidth = 1.5;
		c.beginPath();
		let col = null, cx = 0, ymin = 0, ymax = 0, ylast = 0, plotted = 0;
		const flushCol = () => { c.lineTo(cx, ymin); c.lineTo(cx, ymax); c.lineTo(cx, ylast); };
		for (let k = k0; k < n; k++) {
			const v = V[k];
			if (Number.isNaN(v)) continue;
			const x = Math.max(0, Math.min(W, X(TT[k]))), y = Y(v), px = Math.floor(x);
			plotted++;
			if (col === null) {
				c.moveTo(x, y);
				col = px; cx = x; ymin = ymax = ylast = y;
			} else if (px === col) {
				if (y < ymin) ymin = y;
				if (y > ymax) ymax = y;
				ylast = y;
			} else {
				flushCol();
				c.lineTo(x, ylast);
				col = px; cx = x; ymin = ymax = ylast = y;
			}
			if (TT[k] > zs.t1) break;
		}
		if (col !== null) {
			flushCol();
			c.lineTo(Math.max(cx, Math.min(W, X(zs.full))), ylast);
		}
		c.stroke();
		if (plotted && plotted <= 60) {
			c.fillStyle = color;
			for (let k = k0; k < n; k++) {
				if (TT[k] > zs.t1) break;
				if (Number.isNaN(V[k]) || TT[k] < zs.t0) continue;
				c.beginPath(); c.arc(X(TT[k]), Y(V[k]), 2.5, 0, 2 * Math.PI); c.fill();
			}
		}
		c.font = '10px ' + MONO;
		c.fillStyle = dim;
		c.textAlign = 'left';
		c.textBaseline = 'top';
		c.fillText(fmtVal(K.series.max), 3, 1);
		c.textBaseline = 'bottom';
		c.fillText(fmtVal(K.series.min), 3, H - 1);
		K.drawn = { width: W, height: H, lo, hi, plotted };
	}
	function counterHover(K, ev) {
		const r = K.canvas.getBoundingClientRect();
		const t = zs.t0 + (ev.clientX - r.left) / r.width * (zs.t1 - zs.t0);
		let a = 0, b = K.T.length - 1, k = -1;
		while (a <= b) { const m = (a + b) >> 1; if (K.T[m] <= t) { k = m; a = m + 1; } else b = m - 1; }
		tip.textContent = '';
		tip.appendChild(el('div', 'name', zName(K.C.name)));
		tip.appendChild(el('div', 'row', k >= 0 ? fmtVal(K.V[k]) + ' since ' + fmtDur(K.T[k]) : 'no value yet at ' + fmtDur(t)));
		tip.hidden = false;
		tip.style.left = (ev.clientX + 14) + 'px';
		tip.style.top = (ev.clientY + 14) + 'px';
	}

	// ---- the zone table: the zone analysis's figures, all threads or one ----
	function zRows() {
		const R = Z.rows.find((r) => r.t === state.thread) || (state.thread < 0 ? zRowsAll : null);
		if (!R) return [];
		const out = [];
		for (let k = 0; k < R.name.length; k++) {
			out.push({ z: R.name[k], calls: R.calls[k], dropped: R.dropped[k], total: R.total[k], self: R.self[k], mean: R.mean[k],
				min: R.min[k], max: R.max[k], p50: R.p50[k], p95: R.p95[k], p99: R.p99[k], allocs: R.allocs[k], bytes: R.bytes[k],
				selfAllocs: R.selfAllocs[k], selfBytes: R.selfBytes[k], unwound: R.unwound[k], unfinished: R.unfinished[k] });
		}
		return out;
	}
	function buildZoneTable() {
		const nsTitle = (v) => fmtCount(v) + ' ns';
		const dur = (label, key) => ({ label, num: true, get: (r) => r[key], fmt: fmtDur, title: nsTitle });
		const notes = (r) => {
			const n = [];
			if (r.dropped) n.push(fmtCount(r.dropped) + ' below --calls-min');
			if (r.unwound) n.push(fmtCount(r.unwound) + ' unwound');
			if (r.unfinished) n.push(fmtCount(r.unfinished) + ' unfinished');
			return n.join(', ');
		};
		zoneTable = makeTable($('ztable'), $('ztable-more'), [
			{ label: 'Zone', cls: 'fn', get: (r) => zName(r.z) },
			{ label: 'Location', get: (r) => zWhere(r.z) },
			{ label: 'Calls', num: true, get: (r) => r.calls, fmt: fmtCount },
			dur('Total', 'total'), dur('Self', 'self'), dur('Mean', 'mean'), dur('Min', 'min'), dur('Max', 'max'),
			dur('p50', 'p50'), dur('p95', 'p95'), dur('p99', 'p99'),
			{ label: 'Allocations', num: true, get: (r) => r.allocs, fmt: fmtCount },
			{ label: 'Bytes', num: true, get: (r) => r.bytes, fmt: fmtBytes, title: (v) => fmtCount(v) + ' B' },
			{ label: 'Notes', get: notes },
		], 3, (r) => highlightZone(r.z));
	}
	function updateZoneTable() {
		if (!zoneTable) return;
		zoneTable.rows = zRows();
		const th = state.thread >= 0 ? D.threads[state.thread] : null;
		let sub = th ? 'thread ' + th.name + ' (' + th.tid + ')' : 'all threads';
		if (th && zRowsAll && Z.totals.dropped) sub += '; calls below --calls-min have no thread and count under all threads only';
		if (th && !zoneTable.rows.length) sub += ': no zones';
		if (D.meta.filter) sub += '; zones matching the filter';
		$('ztable-sub').textContent = sub;
		zoneTable.render();
	}
	function highlightZone(z) {
		zs.hl = zs.hl === z ? -1 : z;
		zoneDraw();
		let n = 0;
		for (const r of zs.drawn) if (r.sl.L.nm[r.i] === z) n++;
		$('zone-details').textContent = zs.hl < 0 ? '' : 'highlighting ' + zName(z) + ': ' + plural(n, 'span', 'spans') + ' drawn in this view';
		$('zone-wrap').scrollIntoView({ block: 'nearest' });
	}

	function buildZoneSummary() {
		const t = Z.totals, R = zRowsAll;
		let s = plural(t.spans, 'span', 'spans') + ' of ' + plural(R ? R.name.length : 0, 'zone', 'zones');
		if (t.dropped) s += ' (and ' + plural(t.dropped, 'call', 'calls') + ' below --calls-min, counted without spans)';
		if (t.marks) s += ', ' + plural(t.marks, 'mark', 'marks');
		if (t.counterValues) s += ', ' + plural(t.counterValues, 'counter value', 'counter values');
		$('zones-sub').textContent = s;
		const ul = $('zone-errors');
		const add = (text) => ul.appendChild(el('li', '', text));
		if (t.unwound) add(plural(t.unwound, 'span was', 'spans were') + ' ended by longjmp or an exception (unwound; marked red at their end).');
		if (t.unfinished) add(plural(t.unfinished, 'span', 'spans') + ' never ended (still open when recording stopped).');
		for (const e of Z.errors) {
			const given = e.given >= 0 ? zName(e.given) : '?';
			let m = 'scorch_zone_end("' + given + '") ';
			if (e.kind === 'mismatched_end') m += 'while "' + zName(e.innermost) + '" was the innermost open zone';
			else m += e.innermost >= 0 ? 'with no zone of that name open (innermost: "' + zName(e.innermost) + '"): ignored' : 'with no zone open: ignored';
			add(m + '; ' + plural(e.count, 'time', 'times') + ', first at ' + fmtDur(e.first) + ' on thread ' + threadLabel(e.thread));
		}
		return s;
	}

	function zoneInit() {
		const t0 = performance.now();
		prepZones();
		buildCounters();
		buildZoneTable();
		const summary = buildZoneSummary();
		$('zones-section').hidden = false;
		$('nav-zones').hidden = false;
		const cv = $('zone-canvas'), sel = $('zone-sel');
		const pos = (ev) => { const r = cv.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
		cv.addEventListener('mousedown', (ev) => {
			if (ev.button !== 0) return;
			zs.drag = { x: pos(ev)[0], moved: false };
			ev.preventDefault();
		});
		window.addEventListener('mousemove', (ev) => {
			if (!zs.drag) return;
			const x = Math.max(0, Math.min(zs.W, pos(ev)[0]));
			if (Math.abs(x - zs.drag.x) > 3) zs.drag.moved = true;
			if (zs.drag.moved) {
				sel.hidden = false;
				sel.style.left = Math.min(x, zs.drag.x) + 'px';
				sel.style.width = Math.abs(x - zs.drag.x) + 'px';
				sel.style.height = zs.H + 'px';
			}
		});
		window.addEventListener('mouseup', (ev) => {
			const dr = zs.drag;
			if (!dr) return;
			zs.drag = null;
			sel.hidden = true;
			const [mx, my] = pos(ev);
			if (dr.moved) {
				const x = Math.max(0, Math.min(zs.W, mx)), span = zs.t1 - zs.t0;
				const a = zs.t0 + Math.min(x, dr.x) / zs.W * span, b = zs.t0 + Math.max(x, dr.x) / zs.W * span;
				zoomTime(a, b);
				return;
			}
			const h = zoneHit(mx, my);
			if (h && h.span) zoomTime(h.span.sl.L.s[h.span.i], h.span.sl.L.e[h.span.i]);
			else if (h && h.cluster) zoomTime(h.cluster.ts, h.cluster.te);
		});
		cv.addEventListener('mousemove', (ev) => {
			if (zs.drag && zs.drag.moved) return;
			const [mx, my] = pos(ev);
			const h = zoneHit(mx, my);
			if (!h) { tip.hidden = true; return; }
			zShowTip(h, ev);
		});
		cv.addEventListener('mouseleave', () => { tip.hidden = true; });
		$('zone-back').addEventListener('click', () => {
			const v = zs.back.pop();
			if (v) { zs.t0 = v[0]; zs.t1 = v[1]; zRedraw(); }
		});
		$('zone-reset').addEventListener('click', () => { zs.back = []; zs.t0 = 0; zs.t1 = zs.full; zRedraw(); });
		zs.prepMs = performance.now() - t0;
		return summary;
	}

	// ---- wiring ----
	function setMode(icicle) {
		state.icicle = icicle;
		$('mode-flame').classList.toggle('on', !icicle);
		$('mode-icicle').classList.toggle('on', icicle);
		draw();
	}
	function onSelection() {
		recompute();
		draw();
		updateSearchResult();
		updateFuncTable();
		updateSiteTable();
		if (D.zones) {
			$('zone-thread').value = String(state.thread);
			zoneDraw();
			updateZoneTable();
		}
	}
	selMetric.addEventListener('change', () => {
		state.metric = Number(selMetric.value);
		onSelection();
		fillThreads();
	});
	selThread.addEventListener('change', () => { state.thread = Number(selThread.value); onSelection(); });
	if (D.zones) $('zone-thread').addEventListener('change', () => {
		state.thread = Number($('zone-thread').value);
		selThread.value = String(state.thread);
		onSelection();
	});
	$('mode-flame').classList.toggle('on', !state.icicle);
	$('mode-icicle').classList.toggle('on', state.icicle);
	$('mode-flame').addEventListener('click', () => setMode(false));
	$('mode-icicle').addEventListener('click', () => setMode(true));
	$('reset').addEventListener('click', () => zoomTo(0));
	document.addEventListener('keydown', (ev) => {
		if (ev.target && (ev.target.tagName === 'INPUT' || ev.target.tagName === 'SELECT')) return;
		if (ev.key === 'Escape') zoomTo(0);
		else if (ev.key === '/') { ev.preventDefault(); search.focus(); }
	});
	let resizeQueued = false;
	window.addEventListener('resize', () => {
		if (resizeQueued) return;
		resizeQueued = true;
		requestAnimationFrame(() => { resizeQueued = false; draw(); drawChart(); if (D.zones) zRedraw(); });
	});

	// What the page shows, for tests and for the curious (read-only views).
	const api = {
		timing: {},
		lastZoomMs: 0,
		metrics: () => metrics.map((M) => M.key),
		state: () => ({ metric: metrics[state.metric] ? metrics[state.metric].key : null, thread: state.thread,
			zoom: nodeName(state.zoom), mode: state.icicle ? 'icicle' : 'flame', search: searchQuery }),
		nodes: () => N,
		width: () => canvasW,
		row: () => ROW,
		font: () => FONT,
		height: () => canvasH,
		rootValue: () => tot[0],
		viewValue: () => tot[state.zoom],
		matchedValue,
		lastDrawMs: () => lastDrawMs,
		drawn: () => {
			const out = [];
			for (let k = 0; k < drawn.n; k++) {
				const i = drawn.node[k];
				out.push({ name: nodeName(i), module: i ? modName(fnMod[nodeFn[i]]) : '', x: drawn.x[k], w: drawn.w[k],
					depth: drawn.d[k], y: rowY(drawn.d[k]), value: tot[i], self: self[i], ancestor: !!drawn.anc[k],
					inlined: i ? !!fInl[frame[i]] : false, highlighted: !!(i && match && match[nodeFn[i]]),
					label: labels[k] || '', full: i ? funcFull(nodeFn[i]) : 'all', color: colorOf(i) });
			}
			return out;
		},
		chart,
		zones: D.zones ? zonesApi() : null,
	};
	window.scorchReport = api;

	// What the zone section shows, for tests (read-only views).
	function zonesApi() {
		const span = (r) => {
			const L = r.sl.L, i = r.i;
			return { name: zName(L.nm[i]), thread: L.t, tid: D.threads[L.t] ? D.threads[L.t].tid : 0, depth: L.dp[i],
				x: r.x, w: r.w, y: r.y, start: L.s[i], end: L.e[i], self: zSelf(L, i), flags: L.flags.get(i) || 0,
				allocs: (L.mem.get(i) || [0, 0])[0], bytes: (L.mem.get(i) || [0, 0])[1], dimmed: zs.hl >= 0 && L.nm[i] !== zs.hl };
		};
		return {
			timing: {},
			lastDrawMs: () => zs.lastDrawMs,
			view: () => ({ t0: zs.t0, t1: zs.t1, full: zs.full, width: zs.W, height: zs.H, back: zs.back.length,
				lanes: zs.shown.map((sl) => ({ thread: sl.L.t, tid: D.threads[sl.L.t] ? D.threads[sl.L.t].tid : 0, y: sl.y, h: sl.h, rows: sl.rows })) }),
			drawn: () => zs.drawn.map(span),
			clusters: () => zs.clusters.map((o) => ({ thread: o.sl.L.t, depth: o.d, x: o.x, w: o.w, y: o.y, count: o.count,
				start: o.ts, end: o.te, names: Object.fromEntries([...clusterNames(o)].map(([z, n]) => [zName(z), n])) })),
			marks: () => zs.marks.map((G) => ({ thread: G.sl.L.t, x: G.x, y: G.sl.y, label: G.label, count: G.ks.length,
				names: G.ks.map((k) => zName(G.sl.L.mn[k])), times: G.ks.map((k) => G.sl.L.mt[k]) })),
			rows: () => zRows().map((r) => Object.assign({ name: zName(r.z) }, r)),
			counters: () => zCounters.map((K) => ({ name: zName(K.C.name), values: K.C.values, min: K.C.min, max: K.C.max,
				mean: K.C.mean, last: K.C.last, lastNs: K.C.lastNs, series: K.series, drawn: K.drawn })),
			highlighted: () => (zs.hl >= 0 ? zName(zs.hl) : null),
		};
	}

	// ---- hot code: `scorch annotate --json` of the hottest functions ----
	const codeBlock = $('scorch-annotate');
	const A = codeBlock ? JSON.parse(codeBlock.textContent) : null;
	const code = { fn: 0, view: 'source' };
	function codeInit() {
		const base = A.share_of === 'samples' ? A.total.samples : A.total.ns;
		const amt = (c) => (A.share_of === 'samples' ? c.samples : c.ns);
		const sel = $('code-func');
		// the short names the flamegraph shows, the full name on hover
		const shortOf = new Map();
		for (let f = 0; f < NF; f++) shortOf.set(funcFull(f), funcName(f));
		code.shortOf = shortOf;
		A.functions.forEach((f, i) => {
			const o = el('option', '', (shortOf.get(f.name) || f.name) + ' (' + f.module + ') \u2014 self ' +
				fmtPct(amt(f.self), base));
			o.title = f.name;
			o.value = String(i);
			sel.appendChild(o);
		});
		sel.addEventListener('change', () => { code.fn = +sel.value; code.view = codeDefaultView(A.functions[code.fn]); codeDraw(); });
		$('code-source').addEventListener('click', () => { code.view = 'source'; codeDraw(); });
		$('code-asm').addEventListener('click', () => { code.view = 'asm'; codeDraw(); });
		$('code-sub').textContent = 'the ' + plural(A.functions.length, 'hottest function', 'hottest functions') + ' by self';
		$('code-section').hidden = false;
		$('nav-code').hidden = false;
		code.base = base;
		code.amt = amt;
	}
	// A share cell, its background as hot as the share of the function's self.
	function codeCell(tr, c, fself) {
		c = c || { samples: 0, ns: 0 };      // zero counts are left out of the page
		const v = code.amt(c);
		const td = el('td', 'num', c.samples ? fmtPct(v, code.base) : '');
		if (c.samples) td.title = plural(c.samples, 'sample', 'samples');
		tr.appendChild(td);
		return fself > 0 ? v / fself : 0;
	}
	function heatRow(tr, h) {
		if (h > 0) tr.style.background = 'rgba(230, 90, 20, ' + (0.12 + 0.6 * Math.min(1, h)).toFixed(3) + ')';
		if (h >= 0.1) tr.classList.add('hot');
	}
	// Assembly first when there is no source to show (libc's functions).
	function codeDefaultView(f) {
		const src = f.source && f.source.some((l) => l.text !== null);
		return !src && f.assembly ? 'asm' : 'source';
	}
	function codeDraw() {
		const f = A.functions[code.fn];
		let hotRow = null, hotH = 0;
		const fself = code.amt(f.self);
		$('code-source').classList.toggle('on', code.view === 'source');
		$('code-asm').classList.toggle('on', code.view === 'asm');
		const head = $('code-head');
		head.textContent = '';
		const fn = el('span', 'mono fname', code.shortOf.get(f.name) || f.name);
		fn.title = f.name;
		head.appendChild(fn);
		head.appendChild(document.createTextNode(' in ' + f.module + (f.file ? ' \u2014 ' + f.file : '') + ': self ' +
			fmtPct(fself, code.base) + ' (' + plural(f.self.samples, 'sample', 'samples') + '), total ' +
			fmtPct(code.amt(f.total), code.base) + ' (' + plural(f.total.samples, 'sample', 'samples') + ')'));
		const tbl = $('code'), note = $('code-note');
		tbl.textContent = '';
		note.hidden = true;
		const hr = el('tr');
		const cols = code.view === 'source' ? ['Self', 'Total', 'Line', 'Source'] : ['Self', 'Total', 'Address', 'Instruction'];
		cols.forEach((c, i) => hr.appendChild(el('th', i < 3 ? 'num' : 'text', c)));
		const thead = el('thead');
		thead.appendChild(hr);
		tbl.appendChild(thead);
		const tb = el('tbody');
		let rows = 0;
		if (code.view === 'source') {
			let file = null, last = -1;
			for (const l of f.source) {
				if (l.file !== file || (last >= 0 && l.line !== last + 1)) {
					const tr = el('tr', 'sep');
					const td = el('td', 'text', l.file !== file ? (l.file || '(no line information)') : '\u2026');
					td.colSpan = 4;
					tr.appendChild(td);
					tb.appendChild(tr);
					file = l.file;
				}
				last = l.line;
				const tr = el('tr', 'line');
				const h = codeCell(tr, l.self, fself);
				codeCell(tr, l.total, fself);
				tr.appendChild(el('td', 'num ln', l.line ? String(l.line) : '?'));
				tr.appendChild(el('td', 'src', l.text === null ? '' : l.text));
				heatRow(tr, h);
				if (h > hotH) { hotH = h; hotRow = tr; }
				tb.appendChild(tr);
				rows++;
			}
			if (f.source.length && f.source.every((l) => l.text === null)) {
				note.textContent = 'The source is not in the profile and could not be read when the page was written.';
				note.hidden = false;
			}
		} else if (f.assembly) {
			const a = f.assembly;
			let row = null, file = null, line = 0;
			for (const ins of a.instructions) {
				if ('line' in ins) { file = ins.file; line = ins.line; }   // left out where unchanged
				const key = file === null ? null : file + ':' + line;
				if (key !== null && key !== row) {
					const tr = el('tr', 'sep');
					const src = f.source.find((l) => l.file === file && l.line === line);
					const td = el('td', 'text', file.replace(/^.*\//, '') + ':' + line + (src && src.text ? '  ' + src.text.trim() : ''));
					td.colSpan = 4;
					tr.appendChild(td);
					tb.appendChild(tr);
				}
				row = key === null ? row : key;
				const tr = el('tr', 'ins');
				const h = codeCell(tr, ins.self, fself);
				codeCell(tr, ins.total, fself);
				tr.appendChild(el('td', 'num ln', ins.addr.toString(16)));
				tr.appendChild(el('td', 'src', ins.asm + (ins.target ? '  <' + ins.target + '>' : '')));
				heatRow(tr, h);
				if (h > hotH) { hotH = h; hotRow = tr; }
				tb.appendChild(tr);
				rows++;
			}
			head.appendChild(document.createTextNode('; ' + a.arch + ' ' + a.syntax.toUpperCase().replace('ATT', 'AT&T') +
				', ' + fmtPct(code.amt(a.self), code.base) + ' of the samples ran in this code'));
		} else {
			note.textContent = 'No assembly: ' + (f.assembly_missing || 'not kept') + '.';
			note.hidden = false;
		}
		tbl.appendChild(tb);
		// the hottest line or instruction in view, in the code's own scroll box
		const wrap = $('code-wrap');
		if (hotRow && wrap) wrap.scrollTop = Math.max(0, hotRow.offsetTop - wrap.clientHeight / 2);
		api.code = { fn: f.name, view: code.view, rows, hottest: hotRow ? hotRow.rowIndex : -1, scrollTop: wrap ? wrap.scrollTop : 0 };
	}

	// ---- start ----
	buildSummary();
	fillMetrics();
	if (D.heap) {
		$('heap-section').hidden = false;
		$('nav-heap').hidden = false;
		buildSiteTable();
		buildHistogram();
		$('chart').addEventListener('mousemove', chartHover);
		$('chart').addEventListener('mouseleave', () => { tip.hidden = true; });
	}
	if (D.zones) {
		const zsum = zoneInit();
		const dl = $('summary-list');
		dl.appendChild(el('dt', '', 'Zones'));
		dl.appendChild(el('dd', '', zsum));
		if (Z.totals.mismatched) $('warnings').appendChild(el('li', '', plural(Z.totals.mismatched, 'mismatched scorch_zone_end() call', 'mismatched scorch_zone_end() calls') + ': see Zones.'));
	}
	if (A && A.functions && A.functions.length) {
		codeInit();
		code.view = codeDefaultView(A.functions[0]);
		codeDraw();
	}
	const T2 = performance.now();
	recompute();
	fillThreads();
	draw();
	const T3 = performance.now();
	updateFuncTable();
	updateSiteTable();
	drawChart();
	if (D.zones) {
		const z0 = performance.now();
		zRedraw();
		updateZoneTable();
		api.zones.timing = { prepMs: zs.prepMs, firstDrawMs: zs.lastDrawMs, drawAndTableMs: performance.now() - z0 };
	}
	const T4 = performance.now();
	api.timing = { parseMs: T1 - T0, buildMs: T2 - T1, firstDrawMs: T3 - T2, tablesMs: T4 - T3, scriptMs: T4 - T0, readyAt: T4 };
	document.documentElement.dataset.ready = '1';
})();
