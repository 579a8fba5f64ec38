/* SVG for flame graphs and flame charts (flame-svg.h). The page is plain
 * SVG 1.1 with an embedded style sheet and a small script of our own; a
 * frame is <g class="f"><title>tooltip</title><rect/><text>label</text></g>,
 * the tooltip's first line being the full frame name, which is where the
 * script reads it from (textContent), so names are only ever text. */
#include "flame-svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/demangle.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "term.h"

#define ROW 16           /* px per frame row */
#define FONT 12          /* px */
#define XPAD 10          /* px left and right of the frames */
#define CHAR_W (FONT * 0.59)

static const char css[] =
	"text{font-family:Verdana,Helvetica,sans-serif;font-size:12px;fill:#000}\n"
	"#title{font-size:17px;text-anchor:middle}\n"
	"#subtitle{text-anchor:middle;fill:#444}\n"
	"#search,#matched{text-anchor:end}\n"
	"#search,#unzoom{cursor:pointer}\n"
	"#search:hover,#unzoom:hover{fill:#a00}\n"
	".off,.hide{display:none}\n"
	"g.f{cursor:pointer}\n"
	"g.f text{pointer-events:none}\n"
	"g.f:hover rect{stroke:#000;stroke-width:.6}\n"
	"g.i text{font-style:italic}\n"
	"#axis line{stroke:#666;stroke-width:1}\n"
	"#axis text{font-size:11px;fill:#333;text-anchor:middle}\n"
	"g.m rect{stroke:#888;stroke-width:.5}\n"
	"g.u rect{stroke:#a00;stroke-width:1;stroke-dasharray:2 2}\n"
	"g.mk{cursor:default}\n"
	"g.mk line{stroke:rgb(20,20,150);stroke-width:1.5}\n"
	"g.mk:hover line{stroke:rgb(230,0,230);stroke-width:2.5}\n"
	"g.ctr polyline{fill:none;stroke-width:1.3}\n"
	".clab{font-size:10px;fill:#333;pointer-events:none}\n"
	".lanehdr{font-weight:bold}\n"
	"#sinput{width:100%;box-sizing:border-box;font:12px Verdana,sans-serif;padding:1px 3px}\n";

/* The script: zoom, reset, search, hover details. Names come from each
 * frame's <title> as textContent and go back only through textContent. */
static const char js[] =
	"\"use strict\";\n"
	"(function () {\n"
	"var NS = \"http://www.w3.org/2000/svg\", HL = \"rgb(230,0,230)\";\n"
	"var svg = document.documentElement;\n"
	"var FS = +svg.getAttribute(\"data-fs\"), XPAD = +svg.getAttribute(\"data-xpad\");\n"
	"var FW = +svg.getAttribute(\"data-fw\"), TY = +svg.getAttribute(\"data-ty\");\n"
	"var CHART = svg.getAttribute(\"data-mode\") === \"chart\", ICICLE = svg.getAttribute(\"data-icicle\") === \"1\";\n"
	"var T0 = +svg.getAttribute(\"data-t0\") || 0, T1 = +svg.getAttribute(\"data-t1\") || 0;\n"
	"var FW0 = FW, K = 1, cur = null, axis = null, PREC = CHART ? 6 : 3;\n"
	"var all = [], lanes = [], marks = [], ctrs = [], details, matched, unzoom, sbtn, sfo, sinput, timer = 0, searching = false;\n"
	"function $(id) { return document.getElementById(id); }\n"
	"function fit(name, w) {\n"
	"  var n = Math.floor((w - 6) / (FS * 0.59));\n"
	"  if (n < 3) return \"\";\n"
	"  return name.length <= n ? name : name.slice(0, n - 2) + \"..\";\n"
	"}\n"
	"function place(e, x, w) {\n"
	"  e.r.setAttribute(\"x\", x.toFixed(PREC));\n"
	"  e.r.setAttribute(\"width\", w.toFixed(PREC));\n"
	"  var s = fit(e.name, w);\n"
	"  if (!s && !e.t) return;\n"
	"  if (!e.t) { e.t = document.createElementNS(NS, \"text\"); e.g.appendChild(e.t); }\n"
	"  e.t.setAttribute(\"x\", (x + 3).toFixed(2));\n"
	"  e.t.setAttribute(\"y\", (e.y + TY).toFixed(1));\n"
	"  e.t.textContent = s;\n"
	"}\n"
	"function X(x) { return XPAD + (x - XPAD) * K; }\n"
	"function tOf(x) { return T0 + (x - XPAD) / FW0 * (T1 - T0); }\n"
	"function niceStep(span, n) {\n"
	"  var raw = span / n, p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), m = raw / p;\n"
	"  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;\n"
	"}\n"
	"function fmtT(t, step) {\n"
	"  var u = step >= 1e9 ? [1e9, \"s\"] : step >= 1e6 ? [1e6, \"ms\"] : step >= 1e3 ? [1e3, \"\\u00b5s\"] : [1, \"ns\"];\n"
	"  var d = Math.max(0, Math.ceil(-Math.log(step / u[0]) / Math.LN10 - 1e-9));\n"
	"  return (t / u[0]).toFixed(Math.min(d, 6)) + \" \" + u[1];\n"
	"}\n"
	"/* The time ruler of a chart: ticks at a round step over [ta, tb] ns since\n"
	"   the start of the run, in the unit of the step. */\n"
	"function drawAxis(ta, tb) {\n"
	"  if (!axis || !(tb > ta)) return;\n"
	"  while (axis.firstChild) axis.removeChild(axis.firstChild);\n"
	"  var y = +axis.getAttribute(\"data-y\"), step = niceStep(tb - ta, Math.max(2, Math.floor(FW / 110)));\n"
	"  function ln(x1, y1, x2, y2) { var l = document.createElementNS(NS, \"line\"); l.setAttribute(\"x1\", x1); l.setAttribute(\"y1\", y1); l.setAttribute(\"x2\", x2); l.setAttribute(\"y2\", y2); axis.appendChild(l); }\n"
	"  ln(XPAD, y + 16, XPAD + FW, y + 16);\n"
	"  for (var t = Math.ceil(ta / step) * step; t <= tb + step * 1e-9; t += step) {\n"
	"    var x = XPAD + (t - ta) / (tb - ta) * FW;\n"
	"    ln(x.toFixed(2), y + 11, x.toFixed(2), y + 16);\n"
	"    var tx = document.createElementNS(NS, \"text\");\n"
	"    tx.setAttribute(\"x\", Math.min(Math.max(x, XPAD + 20), XPAD + FW - 20).toFixed(2));\n"
	"    tx.setAttribute(\"y\", y + 9);\n"
	"    tx.textContent = fmtT(t, step);\n"
	"    axis.appendChild(tx);\n"
	"  }\n"
	"}\n"
	"function zoom(z) {\n"
	"  cur = z;\n"
	"  var s = FW / z.w;\n"
	"  for (var i = 0; i < all.length; i++) {\n"
	"    var e = all[i], lo = Math.max(e.x, z.x), hi = Math.min(e.x + e.w, z.x + z.w), ov = hi - lo;\n"
	"    if (CHART ? ov < 0 || (ov === 0 && e.w > 0) : ov <= 0.5 * Math.min(e.w, z.w)) { e.g.classList.add(\"hide\"); continue; }\n"
	"    e.g.classList.remove(\"hide\");\n"
	"    place(e, XPAD + (lo - z.x) * s, ov * s);\n"
	"  }\n"
	"  for (i = 0; i < marks.length; i++) {\n"
	"    var m = marks[i], x = XPAD + (m.x - z.x) * s;\n"
	"    if (x < XPAD - 0.5 || x > XPAD + FW + 0.5) { m.g.classList.add(\"hide\"); continue; }\n"
	"    m.g.classList.remove(\"hide\");\n"
	"    m.g.setAttribute(\"transform\", \"translate(\" + x.toFixed(3) + \",0)\");\n"
	"  }\n"
	"  for (i = 0; i < ctrs.length; i++)\n"
	"    ctrs[i].setAttribute(\"transform\", \"translate(\" + (XPAD - z.x * s).toFixed(3) + \",0) scale(\" + s + \",1)\");\n"
	"  drawAxis(tOf(z.x), tOf(z.x + z.w));\n"
	"  unzoom.classList.remove(\"off\");\n"
	"}\n"
	"function reset() {\n"
	"  cur = null;\n"
	"  for (var i = 0; i < all.length; i++) {\n"
	"    var e = all[i];\n"
	"    e.g.classList.remove(\"hide\");\n"
	"    place(e, X(e.x), e.w * K);\n"
	"  }\n"
	"  for (i = 0; i < marks.length; i++) {\n"
	"    marks[i].g.classList.remove(\"hide\");\n"
	"    marks[i].g.setAttribute(\"transform\", \"translate(\" + X(marks[i].x).toFixed(3) + \",0)\");\n"
	"  }\n"
	"  for (i = 0; i < ctrs.length; i++)\n"
	"    if (K === 1) ctrs[i].removeAttribute(\"transform\");\n"
	"    else ctrs[i].setAttribute(\"transform\", \"translate(\" + (XPAD * (1 - K)).toFixed(3) + \",0) scale(\" + K + \",1)\");\n"
	"  drawAxis(T0, T1);\n"
	"  unzoom.classList.add(\"off\");\n"
	"}\n"
	"/* A graph deeper than the window gets thinner rows (down to 11 px, labels\n"
	"   9 px) so that its root and as much as fits above it are in view. */\n"
	"function fitHeight() {\n"
	"  var rows = +svg.getAttribute(\"data-rows\"), top = +svg.getAttribute(\"data-top\"), bot = +svg.getAttribute(\"data-bottom\");\n"
	"  if (CHART || !rows || !window.innerHeight) return;\n"
	"  var R0 = FS + 4, r = Math.max(11, Math.min(R0, Math.floor((window.innerHeight - top - bot) / rows)));\n"
	"  if (r >= R0) return;\n"
	"  var H0 = top + rows * R0 + bot, H = top + rows * r + bot, fs = Math.min(FS, r - 2);\n"
	"  for (var i = 0; i < all.length; i++) {\n"
	"    var e = all[i], d = ICICLE ? (e.y - top) / R0 : (H0 - bot - e.y) / R0 - 1;\n"
	"    e.y = ICICLE ? top + d * r : H - bot - (d + 1) * r;\n"
	"    e.r.setAttribute(\"y\", e.y.toFixed(1));\n"
	"    e.r.setAttribute(\"height\", r - 1);\n"
	"  }\n"
	"  TY = r * 0.5 + fs * 0.35;\n"
	"  $(\"rowfont\").textContent = \"#frames g.f text{font-size:\" + fs + \"px}\";\n"
	"  FS = fs;\n"
	"  svg.setAttribute(\"height\", H);\n"
	"  svg.setAttribute(\"viewBox\", \"0 0 \" + svg.getAttribute(\"width\") + \" \" + H);\n"
	"  $(\"bgr\").setAttribute(\"height\", H);\n"
	"  details.setAttribute(\"y\", H - 10);\n"
	"  matched.setAttribute(\"y\", H - 10);\n"
	"  if (cur) zoom(cur); else reset();\n"
	"}\n"
	"/* Fits the drawing to the window's width: frames are laid out again at\n"
	"   the new width (text keeps its size), the headings move with it. */\n"
	"function fitWidth() {\n"
	"  var W = Math.max(400, Math.floor(window.innerWidth || 0)), H = +svg.getAttribute(\"height\");\n"
	"  if (!W || W === +svg.getAttribute(\"width\")) { if (!cur) drawAxis(T0, T1); return; }\n"
	"  svg.setAttribute(\"width\", W);\n"
	"  svg.setAttribute(\"viewBox\", \"0 0 \" + W + \" \" + H);\n"
	"  FW = W - 2 * XPAD;\n"
	"  K = FW / FW0;\n"
	"  svg.setAttribute(\"data-fw\", FW.toFixed(3));\n"
	"  $(\"bgr\").setAttribute(\"width\", W);\n"
	"  $(\"title\").setAttribute(\"x\", W / 2);\n"
	"  if ($(\"subtitle\")) $(\"subtitle\").setAttribute(\"x\", W / 2);\n"
	"  sbtn.setAttribute(\"x\", W - XPAD);\n"
	"  matched.setAttribute(\"x\", W - XPAD);\n"
	"  sfo.setAttribute(\"x\", W - XPAD - 260);\n"
	"  var cl = document.querySelectorAll(\"clipPath rect\");\n"
	"  for (var i = 0; i < cl.length; i++) cl[i].setAttribute(\"width\", FW);\n"
	"  var bg = document.querySelectorAll(\"g.ctr > rect\");\n"
	"  for (i = 0; i < bg.length; i++) bg[i].setAttribute(\"width\", FW);\n"
	"  var ls = document.querySelectorAll(\"#frames g.lane\");\n"
	"  for (i = 0; i < ls.length; i++) ls[i].setAttribute(\"data-total\", (lanes[i].total * K).toFixed(3));\n"
	"  if (cur) zoom(cur); else reset();\n"
	"}\n"
	"function unmark(e) { e.g.classList.remove(\"hl\"); e.r.setAttribute(\"fill\", e.fill); }\n"
	"function clearSearch() {\n"
	"  for (var i = 0; i < all.length; i++) if (all[i].g.classList.contains(\"hl\")) unmark(all[i]);\n"
	"  matched.textContent = \"\";\n"
	"  sbtn.textContent = \"Search\";\n"
	"  searching = false;\n"
	"}\n"
	"function search(src) {\n"
	"  var rx;\n"
	"  clearSearch();\n"
	"  if (!src) return;\n"
	"  try { rx = new RegExp(src); } catch (err) { matched.textContent = \"Bad regex\"; return; }\n"
	"  var hit = 0, tot = 0, n = 0;\n"
	"  for (var l = 0; l < lanes.length; l++) {\n"
	"    var iv = [], fr = lanes[l].fr;\n"
	"    for (var i = 0; i < fr.length; i++) {\n"
	"      var e = fr[i];\n"
	"      if (!rx.test(e.name)) continue;\n"
	"      e.g.classList.add(\"hl\");\n"
	"      e.r.setAttribute(\"fill\", HL);\n"
	"      iv.push([e.x, e.x + e.w]);\n"
	"      n++;\n"
	"    }\n"
	"    iv.sort(function (a, b) { return a[0] - b[0]; });\n"
	"    var end = -Infinity;\n"
	"    for (var k = 0; k < iv.length; k++) {\n"
	"      var a = Math.max(iv[k][0], end);\n"
	"      if (iv[k][1] > a) hit += iv[k][1] - a;\n"
	"      if (iv[k][1] > end) end = iv[k][1];\n"
	"    }\n"
	"    tot += lanes[l].total;\n"
	"  }\n"
	"  searching = true;\n"
	"  sbtn.textContent = \"Reset Search\";\n"
	"  matched.textContent = \"Matched: \" + (tot > 0 ? (100 * hit / tot).toFixed(1) : \"0.0\") + \"% (\" + n + \" frames)\";\n"
	"}\n"
	"function openSearch() {\n"
	"  sfo.classList.remove(\"hide\");\n"
	"  sinput.focus();\n"
	"  sinput.select();\n"
	"}\n"
	"function closeSearch() { sfo.classList.add(\"hide\"); sinput.blur(); }\n"
	"function frameOf(ev) {\n"
	"  var g = ev.target && ev.target.closest ? ev.target.closest(\"g.f\") : null;\n"
	"  return g && g.__e ? g.__e : null;\n"
	"}\n"
	"function init() {\n"
	"  details = $(\"details\"); matched = $(\"matched\"); unzoom = $(\"unzoom\");\n"
	"  sbtn = $(\"search\"); sfo = $(\"sfo\"); sinput = $(\"sinput\");\n"
	"  var ls = document.querySelectorAll(\"#frames g.lane\");\n"
	"  for (var l = 0; l < ls.length; l++) {\n"
	"    var lane = { total: +ls[l].getAttribute(\"data-total\"), fr: [] };\n"
	"    lanes.push(lane);\n"
	"    var gs = ls[l].querySelectorAll(\"g.f\");\n"
	"    for (var i = 0; i < gs.length; i++) {\n"
	"      var g = gs[i], r = g.querySelector(\"rect\"), tip = g.querySelector(\"title\").textContent;\n"
	"      var e = { g: g, r: r, t: g.querySelector(\"text\"), tip: tip, name: tip.split(\"\\n\")[0],\n"
	"        x: +r.getAttribute(\"x\"), w: +r.getAttribute(\"width\"), y: +r.getAttribute(\"y\"),\n"
	"        fill: r.getAttribute(\"fill\") };\n"
	"      g.__e = e;\n"
	"      all.push(e);\n"
	"      lane.fr.push(e);\n"
	"    }\n"
	"  }\n"
	"  var mk = document.querySelectorAll(\"#frames g.mk\");\n"
	"  for (l = 0; l < mk.length; l++) marks.push({ g: mk[l], x: +mk[l].getAttribute(\"data-x\") });\n"
	"  var cz = document.querySelectorAll(\"#frames g.cz\");\n"
	"  for (l = 0; l < cz.length; l++) ctrs.push(cz[l]);\n"
	"  axis = $(\"axis\");\n"
	"  fitWidth();\n"
	"  fitHeight();\n"
	"  window.addEventListener(\"resize\", fitWidth);\n"
	"  /* a flame graph's root is at the bottom: open there, where the answer is */\n"
	"  if (!CHART && !ICICLE) window.scrollTo(0, Math.max(document.documentElement.scrollHeight || 0, +svg.getAttribute(\"height\")));\n"
	"  var frames = $(\"frames\");\n"
	"  frames.addEventListener(\"click\", function (ev) { var e = frameOf(ev); if (e) zoom(e); });\n"
	"  frames.addEventListener(\"mouseover\", function (ev) {\n"
	"    var e = frameOf(ev), g = ev.target && ev.target.closest ? ev.target.closest(\"g.mk, g.ctr\") : null;\n"
	"    var tip = e ? e.tip : g ? g.querySelector(\"title\").textContent : null;\n"
	"    if (tip !== null) details.textContent = tip.split(\"\\n\").join(\"; \");\n"
	"  });\n"
	"  frames.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
	"  unzoom.addEventListener(\"click\", reset);\n"
	"  sbtn.addEventListener(\"click\", function () { if (searching) { clearSearch(); sinput.value = \"\"; closeSearch(); } else openSearch(); });\n"
	"  sinput.addEventListener(\"keydown\", function (ev) {\n"
	"    if (ev.key === \"Enter\") { clearTimeout(timer); search(sinput.value); ev.preventDefault(); }\n"
	"    else if (ev.key === \"Escape\") { clearSearch(); sinput.value = \"\"; closeSearch(); ev.preventDefault(); }\n"
	"    ev.stopPropagation();\n"
	"  });\n"
	"  sinput.addEventListener(\"input\", function () {\n"
	"    clearTimeout(timer);\n"
	"    timer = setTimeout(function () { search(sinput.value); }, 250);\n"
	"  });\n"
	"  document.addEventListener(\"keydown\", function (ev) {\n"
	"    if ((ev.ctrlKey || ev.metaKey) && (ev.key === \"f\" || ev.key === \"F\")) { ev.preventDefault(); openSearch(); }\n"
	"    else if (ev.key === \"/\") { ev.preventDefault(); openSearch(); }\n"
	"    else if (ev.key === \"Escape\") { if (searching) clearSearch(); else reset(); }\n"
	"  });\n"
	"}\n"
	"if (document.readyState === \"loading\") window.addEventListener(\"DOMContentLoaded\", init);\n"
	"else init();\n"
	"})();\n";

/* ---- escaping and text ---- */

/* Length of the valid UTF-8 sequence at s (1-4), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (!n || (c >= 0xe0 && n == 3 && c > 0xef))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
		return 0;   /* overlong, or a surrogate */
	if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

void flame_xml_escape(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		unsigned c = *p;
		if (!n) {
			sb_adds(sb, "\xef\xbf\xbd");
			p++;
			continue;
		}
		if (n > 1) {
			sb_add(sb, p, n);
			p += n;
			continue;
		}
		switch (c) {
		case '&': sb_adds(sb, "&amp;"); break;
		case '<': sb_adds(sb, "&lt;"); break;
		case '>': sb_adds(sb, "&gt;"); break;
		case '"': sb_adds(sb, "&quot;"); break;
		case '\'': sb_adds(sb, "&#39;"); break;
		case '\n': case '\t': sb_addc(sb, (char)c); break;
		default:
			sb_addc(sb, c < 0x20 || c == 0x7f ? '?' : (char)c);
		}
		p++;
	}
}

void flame_label(const char *name, double w, struct strbuf *out)
{
	long n = (long)floor((w - 6) / CHAR_W);
	if (n < 3)
		return;
	/* count characters, not bytes, as the script's string length does
	 * (close enough: it counts UTF-16 units) */
	size_t len = strlen(name), chars = 0, cut = len;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)name[i] & 0xc0) == 0x80)
			continue;
		if ((long)chars == n - 2 && cut == len)
			cut = i;
		chars++;
	}
	if ((long)chars <= n) {
		sb_adds(out, name);
		return;
	}
	sb_add(out, name, cut);
	sb_adds(out, "..");
}

/* ---- colours ---- */

static double unit_hash(const char *s, uint64_t seed)
{
	return (double)(hash_bytes(s, strlen(s), seed) >> 11) / 9007199254740992.0;
}

struct flame_rgb flame_color_hot(const char *name)
{
	/* flamegraph.pl's "hot": red high, green varied, a touch of blue */
	double v1 = unit_hash(name, 1), v2 = unit_hash(name, 2), v3 = unit_hash(name, 3);
	struct flame_rgb c = { (uint8_t)(205 + 50 * v3), (uint8_t)(230 * v1), (uint8_t)(55 * v2) };
	return c;
}

static uint8_t hsl_part(double p, double q, double t)
{
	if (t < 0)
		t += 1;
	if (t > 1)
		t -= 1;
	double v = t < 1.0 / 6 ? p + (q - p) * 6 * t : t < 0.5 ? q : t < 2.0 / 3 ? p + (q - p) * (2.0 / 3 - t) * 6 : p;
	return (uint8_t)lround(v * 255);
}

struct flame_rgb flame_color_module(const char *module, const char *name)
{
	if (!module || !*module) {
		uint8_t g = (uint8_t)(190 + 30 * unit_hash(name, 4));
		return (struct flame_rgb){ g, g, g };
	}
	double h = unit_hash(module, 5), s = 0.55 + 0.15 * unit_hash(module, 6);
	double l = 0.62 + 0.12 * unit_hash(name, 7);
	double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
	return (struct flame_rgb){ hsl_part(p, q, h + 1.0 / 3), hsl_part(p, q, h), hsl_part(p, q, h - 1.0 / 3) };
}

static const struct flame_rgb merged_fill = { 200, 200, 200 };

/* ---- writing ---- */

struct out {
	FILE *f;
	struct strbuf sb;           /* scratch: a tooltip or label before escaping */
	struct strbuf esc;
};

static void put_escaped(struct out *o, const char *s)
{
	sb_reset(&o->esc);
	flame_xml_escape(&o->esc, s);
	fwrite(o->esc.buf ? o->esc.buf : "", 1, o->esc.len, o->f);
}

/* "1,234 samples", "12,345 bytes (12.1 KiB)", "1.23 s" for ns */
static void add_amount(struct strbuf *sb, enum flame_weight w, uint64_t v)
{
	if (w == FLAME_CPU_NS) {
		term_duration(sb, v);
		sb_adds(sb, " of CPU");
		return;
	}
	term_count(sb, v);
	sb_addf(sb, " %s", flame_weight_unit(w));
	if (!strcmp(flame_weight_unit(w), "bytes") && v >= 1024) {
		sb_adds(sb, " (");
		term_bytes(sb, v);
		sb_addc(sb, ')');
	}
}

static void add_pct(struct strbuf *sb, uint64_t part, uint64_t whole)
{
	sb_addf(sb, "%.2f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
}

struct page {
	unsigned width, height;
	double fw;                  /* frames' width */
	const char *mode;           /* "flame" or "chart" */
	bool icicle;
	unsigned rows, top, bottom; /* a graph's rows and margins, for the script's fitHeight() */
	const char *title, *subtitle, *doc_title;
	uint64_t t0, t1;            /* a chart's time axis, ns */
};

static void page_open(struct out *o, const struct page *pg)
{
	FILE *f = o->f;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
		"xmlns=\"http://www.w3.org/2000/svg\" data-mode=\"%s\" data-fs=\"%d\" "
		"data-xpad=\"%d\" data-fw=\"%.3f\" data-ty=\"%.1f\"",
		pg->width, pg->height, pg->width, pg->height, pg->mode, FONT, XPAD, pg->fw,
		ROW * 0.5 + FONT * 0.35);
	if (pg->icicle)
		fputs(" data-icicle=\"1\"", f);
	if (pg->rows)
		fprintf(f, " data-rows=\"%u\" data-top=\"%u\" data-bottom=\"%u\"", pg->rows, pg->top, pg->bottom);
	if (pg->t1 > pg->t0)
		fprintf(f, " data-t0=\"%llu\" data-t1=\"%llu\"", (unsigned long long)pg->t0,
			(unsigned long long)pg->t1);
	fputs(">\n", f);
	fputs("<!-- made by scorch (scorch flame / scorch diff) -->\n<title>", f);
	put_escaped(o, pg->doc_title);
	fprintf(f, "</title>\n<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", css);
	fprintf(f, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", js);
	fputs("<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
	      "<stop stop-color=\"#eeeeee\" offset=\"5%\"/><stop stop-color=\"#eeeeb0\" offset=\"95%\"/>"
	      "</linearGradient></defs>\n", f);
	fprintf(f, "<rect id=\"bgr\" x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#bg)\"/>\n",
		pg->width, pg->height);
	fprintf(f, "<text id=\"title\" x=\"%.1f\" y=\"24\">", pg->width / 2.0);
	put_escaped(o, pg->title);
	fputs("</text>\n", f);
	if (pg->subtitle && *pg->subtitle) {
		fprintf(f, "<text id=\"subtitle\" x=\"%.1f\" y=\"44\">", pg->width / 2.0);
		put_escaped(o, pg->subtitle);
		fputs("</text>\n", f);
	}
	fprintf(f, "<text id=\"unzoom\" class=\"off\" x=\"%d\" y=\"24\">Reset Zoom</text>\n", XPAD);
	fprintf(f, "<text id=\"search\" x=\"%u\" y=\"24\">Search</text>\n", pg->width - XPAD);
	fprintf(f, "<foreignObject id=\"sfo\" class=\"hide\" x=\"%u\" y=\"30\" width=\"260\" height=\"24\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"sinput\" type=\"text\" "
		"placeholder=\"regex; Enter searches, Esc closes\"/></foreignObject>\n",
		pg->width - XPAD - 260);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n", XPAD, pg->height - 10);
	fprintf(f, "<style id=\"rowfont\"></style>\n");
	fprintf(f, "<text id=\"matched\" x=\"%u\" y=\"%u\"></text>\n", pg->width - XPAD, pg->height - 10);
	fputs("<g id=\"frames\">\n", f);
}

static void page_close(struct out *o)
{
	fputs("</g>\n</svg>\n", o->f);
}

/* One frame: tooltip (already in o->sb), rect and label. x and w are
 * written with `prec` decimals: 3 for graphs, more for charts, where a
 * frame can be a few ns of a long recording and zooming scales it up. */
static void put_frame_prec(struct out *o, const char *name, const char *cls, double x, double y,
			   double w, struct flame_rgb fill, int prec)
{
	FILE *f = o->f;
	fprintf(f, "<g class=\"%s\"><title>", cls);
	put_escaped(o, o->sb.buf ? o->sb.buf : "");
	fprintf(f, "</title><rect x=\"%.*f\" y=\"%.1f\" width=\"%.*f\" height=\"%d\" "
		"fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\"/>", prec, x, y, prec, w, ROW - 1,
		fill.r, fill.g, fill.b);
	sb_reset(&o->sb);
	flame_label(name, w, &o->sb);
	if (o->sb.len) {
		fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + ROW * 0.5 + FONT * 0.35);
		put_escaped(o, o->sb.buf);
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
}

static void put_frame(struct out *o, const char *name, const char *cls, double x, double y,
		      double w, struct flame_rgb fill)
{
	put_frame_prec(o, name, cls, x, y, w, fill, 3);
}

/* Inlined frames keep their colour (the scale stays one scale); their
 * labels are in italics and their tooltips say "inlined". */
static struct flame_rgb frame_fill(const struct flame_svg_options *opt, const char *name,
				   const char *module)
{
	/* time blocked (analysis/merge.h: profile_mark_offcpu) stands out
	 * from the warm palette of code that ran: blue, as the legend says */
	if (!strcmp(name, "[off-CPU]"))
		return (struct flame_rgb){ 96, 140, 214 };
	return opt->colors == FLAME_COLORS_MODULE ? flame_color_module(module, name)
						  : flame_color_hot(name);
}

/* The names frames show: demangle_short()'s, or the whole name with
 * --names=full; computed once per interned name. */
struct shown {
	struct arena a;
	const char **v;
	const struct flame_tree *t;
	bool full;
};

static void shown_init(struct shown *sh, const struct flame_tree *t, bool full)
{
	memset(sh, 0, sizeof(*sh));
	sh->t = t;
	sh->full = full;
	sh->v = xcalloc(t->names.len + 1, sizeof(*sh->v));
}

static const char *shown_name(struct shown *sh, uint32_t id)
{
	const char *full = sh->t->names.data[id];
	if (sh->full || id >= sh->t->names.len)
		return full;
	if (!sh->v[id]) {
		const char *s = demangle_short(full, &sh->a);
		sh->v[id] = s ? s : full;
	}
	return sh->v[id];
}

static void shown_release(struct shown *sh)
{
	free(sh->v);
	arena_release(&sh->a);
}

/* A tooltip's first lines: the name shown, then the whole name when that
 * is longer (the script reads the first line as the frame's name). */
static void tip_names(struct strbuf *sb, const char *shown, const char *full)
{
	sb_adds(sb, shown);
	sb_addc(sb, '\n');
	if (strcmp(shown, full))
		sb_addf(sb, "%s\n", full);
}

static double minwidth_px(const struct flame_svg_options *opt)
{
	return opt->minwidth < 0 ? FLAME_SVG_MINWIDTH : opt->minwidth;
}

/* Tooltip of a tree node: name, weight and share, self, module, inlined. */
static void node_tip(struct strbuf *sb, const struct flame_tree *t, uint32_t node, const char *shown)
{
	const struct flame_node *n = &t->nodes.data[node];
	bool is_root = node == 0;
	const char *module = t->modules.data[n->module].name;
	uint64_t all = t->nodes.data[0].total;
	sb_reset(sb);
	tip_names(sb, shown, t->names.data[n->name]);
	if (t->diffed) {
		uint64_t ball = t->before_all;
		const struct flame_before *b = &t->before[node];
		sb_adds(sb, "after: ");
		add_pct(sb, n->total, all);
		sb_adds(sb, " (");
		add_amount(sb, t->weight, n->total);
		sb_adds(sb, ")\nbefore: ");
		add_pct(sb, b->total, ball);
		sb_adds(sb, " (");
		add_amount(sb, t->weight, b->total);
		double d = (all ? 100.0 * (double)n->total / (double)all : 0) -
			   (ball ? 100.0 * (double)b->total / (double)ball : 0);
		sb_addf(sb, ")\nchange: %+.2f points", d);
		if (!b->total && !is_root)
			sb_adds(sb, " (not in BEFORE)");
		if (n->self || b->self) {
			sb_adds(sb, "\nself: ");
			add_pct(sb, b->self, ball);
			sb_adds(sb, " -> ");
			add_pct(sb, n->self, all);
		}
	} else {
		add_amount(sb, t->weight, n->total);
		sb_adds(sb, ", ");
		add_pct(sb, n->total, all);
		if (n->self && !is_root) {
			sb_adds(sb, "\nself: ");
			add_amount(sb, t->weight, n->self);
			sb_adds(sb, ", ");
			add_pct(sb, n->self, all);
		}
	}
	if (*module)
		sb_addf(sb, "\nmodule: %s", module);
	if (n->flags & FLAME_INLINED)
		sb_adds(sb, "\ninlined");
}

static const char *default_title(const struct flame_tree *t, const struct flame_svg_options *o)
{
	if (t && t->diffed)
		return o->icicle ? "Differential Icicle Graph" : "Differential Flame Graph";
	if (!t)
		return "Flame Chart";
	return o->icicle ? "Icicle Graph" : "Flame Graph";
}

static void doc_title(struct strbuf *sb, const char *title, const char *subtitle)
{
	sb_addf(sb, "scorch: %s", title);
	if (subtitle && *subtitle)
		sb_addf(sb, " - %s", subtitle);
}

static int finish_out(struct out *o)
{
	sb_release(&o->sb);
	sb_release(&o->esc);
	/* the flush says why a write failed (ENOSPC on a full disk) */
	if (fflush(o->f) != 0)
		return errno ? -errno : -EIO;
	return ferror(o->f) ? -EIO : 0;
}

int flame_svg_write(FILE *f, const struct flame_tree *t, const struct flame_svg_options *opt,
		    struct flame_svg_stats *st)
{
	unsigned width = opt->width ? opt->width : FLAME_SVG_WIDTH;
	double fw = width - 2.0 * XPAD;
	struct flame_layout l;
	double min_frac = flame_min_frac_for(t, minwidth_px(opt) / fw, opt->max_frames);
	double minpx = min_frac * fw;
	flame_layout(t, min_frac, &l);

	unsigned top = opt->subtitle && *opt->subtitle ? 60 : 40, bottom = 34;
	unsigned rows = l.max_depth + 1;
	struct page pg = {
		.width = width, .height = top + rows * ROW + bottom, .fw = fw, .mode = "flame", .icicle = opt->icicle,
		.rows = rows, .top = top, .bottom = bottom,
		.title = opt->title ? opt->title : default_title(t, opt), .subtitle = opt->subtitle,
	};
	struct out o = { .f = f };
	struct strbuf dt = STRBUF_INIT;
	doc_title(&dt, pg.title, pg.subtitle);
	pg.doc_title = dt.buf;
	page_open(&o, &pg);

	/* a diff's colour scale: the largest change of share drawn */
	double scale = 0, all = (double)t->nodes.data[0].total, ball = (double)t->before_all;
	if (t->diffed)
		for (size_t i = 1; i < l.n; i++) {
			const struct flame_rect *r = &l.rects[i];
			if (r->node == FLAME_NONE)
				continue;
			const struct flame_node *n = &t->nodes.data[r->node];
			double d = fabs((all > 0 ? n->total / all : 0) -
					(ball > 0 ? t->before[r->node].total / ball : 0));
			if (d > scale)
				scale = d;
		}

	struct shown sh;
	shown_init(&sh, t, opt->full_names);
	fprintf(f, "<g class=\"lane\" data-total=\"%.3f\">\n", fw);
	for (size_t i = 0; i < l.n; i++) {
		const struct flame_rect *r = &l.rects[i];
		double x = XPAD + r->x * fw, w = r->w * fw;
		double y = opt->icicle ? top + (double)r->depth * ROW
				       : pg.height - bottom - (double)(r->depth + 1) * ROW;
		if (r->node == FLAME_NONE) {
			sb_reset(&o.sb);
			sb_addf(&o.sb, "[%u frames narrower than %.3g px, merged]\n", r->merged, minpx);
			add_amount(&o.sb, t->weight, r->weight);
			sb_adds(&o.sb, ", ");
			add_pct(&o.sb, r->weight, t->nodes.data[0].total);
			struct strbuf nm = STRBUF_INIT;
			sb_addf(&nm, "[%u frames narrower than %.3g px, merged]", r->merged, minpx);
			put_frame(&o, nm.buf, "f m", x, y, w, merged_fill);
			sb_release(&nm);
			continue;
		}
		const struct flame_node *n = &t->nodes.data[r->node];
		const char *name = shown_name(&sh, n->name);
		bool inl = n->flags & FLAME_INLINED;
		struct flame_rgb fill;
		if (t->diffed)
			fill = flame_diff_color(ball > 0 ? t->before[r->node].total / ball : 0,
						all > 0 ? n->total / all : 0, scale);
		else
			fill = frame_fill(opt, name, t->modules.data[n->module].name);
		node_tip(&o.sb, t, r->node, name);
		put_frame(&o, name, inl ? "f i" : "f", x, y, w, fill);
	}
	fputs("</g>\n", f);
	page_close(&o);
	if (st) {
		st->frames = l.n;
		st->pruned = l.pruned;
		st->depth = rows;
		st->minwidth = minpx;
	}
	shown_release(&sh);
	flame_layout_release(&l);
	sb_release(&dt);
	return finish_out(&o);
}

/* ---- flame charts ---- */

#define CROW (2 * ROW)   /* px of a counter's band */
#define CGAP 2           /* px between counter bands */
#define CHART_PREC 6     /* decimals of a chart frame's x and width */
#define AXIS_H 20        /* px of the time ruler, drawn by the script */

struct flame_rgb flame_color_zone(const char *name)
{
	/* blue-green, apart from the warm frames of samples */
	double v1 = unit_hash(name, 8), v2 = unit_hash(name, 9), v3 = unit_hash(name, 10);
	return (struct flame_rgb){ (uint8_t)(60 + 70 * v1), (uint8_t)(170 + 60 * v2),
				   (uint8_t)(185 + 60 * v3) };
}

/* "1.234567 s": a sampled frame's ends (samples are a period apart) */
static void add_time(struct strbuf *sb, uint64_t ns)
{
	sb_addf(sb, "%llu.%06llu s", (unsigned long long)(ns / 1000000000ull),
		(unsigned long long)(ns % 1000000000ull / 1000));
}

/* "1.234567891 s": a zone's ends and marks, to the ns they were taken */
static void add_time_ns(struct strbuf *sb, uint64_t ns)
{
	sb_addf(sb, "%llu.%09llu s", (unsigned long long)(ns / 1000000000ull),
		(unsigned long long)(ns % 1000000000ull));
}

/* The chart being written's shown names (zones keep theirs as written). */
static struct shown *chart_shown;

static const char *span_name(const struct flame_chart *c, const struct flame_span *s)
{
	if (chart_shown && !(s->flags & FLAME_ZONE) && c->lanes.data[s->lane].kind != FLAME_LANE_ZONES)
		return shown_name(chart_shown, s->name);
	return c->names->names.data[s->name];
}

/* The name drawn and searched for a merged span: "[12 short spans of fib,
 * merged]" when they share a name, "[12 short spans, merged]" otherwise. */
static void merged_name(struct strbuf *sb, const struct flame_chart *c, const struct flame_span *s)
{
	const char *nm = span_name(c, s);
	if (!strcmp(nm, "[merged]"))
		sb_addf(sb, "[%u short spans, merged]", s->merged);
	else
		sb_addf(sb, "[%u short spans of %s, merged]", s->merged, nm);
}

/* Tooltip of a zone span: name, duration and ends, self time, allocations,
 * where it is written, thread, depth, and how it ended when not normally. */
static void zone_tip(struct strbuf *sb, const struct flame_chart *c, const struct flame_span *s)
{
	const struct flame_lane *l = &c->lanes.data[s->lane];
	const struct sc_profile *p = c->p;
	const struct sc_zone *z = p && s->zone < p->nzones ? &p->zones[s->zone] : NULL;
	const struct sc_zone_name *zn = z && z->name < p->nzone_names ? &p->zone_names[z->name] : NULL;
	uint64_t d = s->end - s->start;
	sb_adds(sb, span_name(c, s));
	sb_addc(sb, '\n');
	term_duration(sb, d);
	sb_adds(sb, " from ");
	add_time_ns(sb, s->start);
	sb_adds(sb, " to ");
	add_time_ns(sb, s->end);
	sb_adds(sb, "\nself: ");
	term_duration(sb, s->self);
	sb_adds(sb, " (");
	add_pct(sb, s->self, d);
	sb_adds(sb, ")\n");
	if (z && z->allocs) {
		sb_adds(sb, "allocations: ");
		term_count(sb, z->allocs);
		sb_adds(sb, ", ");
		add_amount(sb, FLAME_BYTES, z->bytes);
	} else {
		sb_adds(sb, "no allocations");
	}
	if (zn && zn->file && *zn->file) {
		sb_addf(sb, "\n%s at %s", zn->kind == ZONE_KIND_FUNC ? "traced function" : "zone", zn->file);
		if (zn->line)
			sb_addf(sb, ":%u", zn->line);
	} else if (zn && zn->kind == ZONE_KIND_FUNC) {
		sb_adds(sb, "\ntraced function");
	}
	sb_addf(sb, "\nthread: %s (%u), depth %u", l->name, l->tid, s->depth);
	if (s->flags & FLAME_UNWOUND)
		sb_adds(sb, "\nunwound: left by longjmp or an exception");
	if (s->flags & FLAME_THREAD_EXIT)
		sb_adds(sb, "\nstill open when its thread exited");
	if (s->flags & FLAME_UNFINISHED)
		sb_adds(sb, "\nunfinished: never ended, drawn to the end of its thread or of the recording");
}

static void span_tip(struct strbuf *sb, const struct flame_chart *c, const struct flame_span *s)
{
	const struct flame_tree *nt = c->names;
	const struct flame_lane *l = &c->lanes.data[s->lane];
	sb_reset(sb);
	if (s->flags & FLAME_ZONE) {
		zone_tip(sb, c, s);
		return;
	}
	bool zones = l->kind == FLAME_LANE_ZONES;
	if (s->flags & FLAME_MERGED) {
		merged_name(sb, c, s);
		sb_addc(sb, '\n');
	} else {
		tip_names(sb, span_name(c, s), nt->names.data[s->name]);
	}
	term_duration(sb, s->end - s->start);
	sb_adds(sb, " from ");
	(zones ? add_time_ns : add_time)(sb, s->start);
	sb_adds(sb, " to ");
	(zones ? add_time_ns : add_time)(sb, s->end);
	sb_adds(sb, "\n");
	if (zones)
		sb_addf(sb, "%u zone spans, each shorter than the threshold", s->merged);
	else
		add_amount(sb, c->weight, s->weight);
	sb_addf(sb, "\nthread: %s (%u)", l->name, l->tid);
	const char *module = nt->modules.data[s->module].name;
	if (*module && !(s->flags & FLAME_MERGED))
		sb_addf(sb, "\nmodule: %s", module);
	if (s->flags & FLAME_INLINED)
		sb_adds(sb, "\ninlined");
}

/* The x of time t. */
static double chart_x(const struct flame_chart *c, double fw, uint64_t t)
{
	double span = (double)(c->t1 - c->t0);
	return XPAD + (double)(t - c->t0) / span * fw;
}

/* Rows of frames a lane draws: a zone lane with marks has at least one. */
static uint32_t lane_rows(const struct flame_lane *l, size_t marks)
{
	return l->kind == FLAME_LANE_ZONES && marks && !l->depth ? 1 : l->depth;
}

/* Lane header: what it shows; its tooltip adds what pruning left out. */
static void lane_header(struct out *o, const struct flame_chart *c, uint32_t li, double y,
			size_t drawn, size_t marks, uint64_t min_ns, size_t *pi)
{
	const struct flame_lane *l = &c->lanes.data[li];
	struct strbuf *sb = &o->sb;
	sb_reset(sb);
	sb_addf(sb, "thread %s (%u): ", l->name, l->tid);
	if (l->kind == FLAME_LANE_SAMPLES) {
		term_duration(sb, l->busy);
		sb_adds(sb, " sampled, ");
		add_amount(sb, c->weight, l->weight);
	} else {
		term_count(sb, l->spans);
		sb_adds(sb, l->spans == 1 ? " zone span" : " zone spans");
		if (drawn != l->spans) {
			sb_adds(sb, " (");
			term_count(sb, drawn);
			sb_adds(sb, " frames drawn)");
		}
		if (l->spans) {
			sb_adds(sb, ", ");
			term_duration(sb, l->busy);
			sb_adds(sb, " in the outermost");
		}
		if (l->nmarks) {
			sb_adds(sb, "; ");
			term_count(sb, l->nmarks);
			sb_adds(sb, l->nmarks == 1 ? " mark" : " marks");
			if (marks != l->nmarks)
				sb_addf(sb, " (%zu drawn)", marks);
		}
		if (l->ncounters)
			sb_addf(sb, "; %u counter%s", l->ncounters, l->ncounters == 1 ? "" : "s");
	}
	struct strbuf tip = STRBUF_INIT;
	sb_adds(&tip, sb->buf);
	size_t k = *pi, shown = 0;
	uint64_t more = 0, nmore = 0;
	if (k < c->pruned.len && c->pruned.data[k].lane == li) {
		sb_adds(&tip, "\nspans left out or merged as shorter than ");
		term_duration(&tip, min_ns);
		sb_adds(&tip, ":");
	}
	for (; k < c->pruned.len && c->pruned.data[k].lane == li; k++) {
		const struct flame_pruned *pr = &c->pruned.data[k];
		if (shown++ < 30) {
			sb_adds(&tip, "\n");
			term_count(&tip, pr->spans);
			sb_addf(&tip, " %s", c->names->names.data[pr->name]);
		} else {
			more += pr->spans;
			nmore++;
		}
	}
	if (nmore) {
		sb_adds(&tip, "\n");
		term_count(&tip, more);
		sb_addf(&tip, " of %llu more names", (unsigned long long)nmore);
	}
	*pi = k;
	FILE *f = o->f;
	fputs("<g class=\"lh\"><title>", f);
	put_escaped(o, tip.buf);
	fprintf(f, "</title><text class=\"lanehdr\" x=\"%d\" y=\"%.1f\">", XPAD, y + ROW - 4);
	put_escaped(o, sb->buf);
	fputs("</text></g>\n", f);
	sb_release(&tip);
}

/* A mark (or a group of them): a tick across the zone rows. */
static void put_mark(struct out *o, const struct flame_chart *c, const struct flame_mark *m,
		     double x, double y, double h)
{
	const struct flame_lane *l = &c->lanes.data[m->lane];
	struct strbuf *sb = &o->sb;
	sb_reset(sb);
	sb_adds(sb, c->names->names.data[m->name]);
	if (m->count == 1) {
		sb_adds(sb, "\nmark at ");
		add_time_ns(sb, m->time);
	} else {
		sb_addf(sb, "\n%u marks from ", m->count);
		add_time_ns(sb, m->time);
		sb_adds(sb, " to ");
		add_time_ns(sb, m->last);
	}
	sb_addf(sb, "\nthread: %s (%u)", l->name, l->tid);
	fprintf(o->f, "<g class=\"mk\" data-x=\"%.*f\" data-count=\"%u\" transform=\"translate(%.*f,0)\"><title>",
		CHART_PREC, x, m->count, CHART_PREC, x);
	put_escaped(o, sb->buf);
	fprintf(o->f, "</title><line x1=\"0\" x2=\"0\" y1=\"%.1f\" y2=\"%.1f\"/>"
		"<rect x=\"-2\" y=\"%.1f\" width=\"4\" height=\"%.1f\" fill=\"transparent\"/></g>\n",
		y, y + h, y, h);
}

/* A counter's values as a step line in a band of its own. The line is in
 * the chart's coordinates; the script zooms it with a transform of the
 * inner group, and the band's clip keeps it inside the frame area. More
 * values than four per pixel are thinned to the first, lowest, highest and
 * last of each quarter pixel. */
static void put_counter(struct out *o, const struct flame_chart *c, const struct flame_counter *k,
			double fw, double y, unsigned id)
{
	FILE *f = o->f;
	const struct flame_lane *l = &c->lanes.data[k->lane];
	const char *name = c->names->names.data[k->name];
	const struct flame_point *pt = &c->points.data[k->first];
	struct strbuf *sb = &o->sb;
	sb_reset(sb);
	sb_addf(sb, "%s\ncounter: ", name);
	term_count(sb, k->n);
	sb_adds(sb, k->n == 1 ? " value" : " values");
	if (k->n) {
		sb_adds(sb, " from ");
		add_time_ns(sb, pt[0].time);
		sb_adds(sb, " to ");
		add_time_ns(sb, pt[k->n - 1].time);
	}
	sb_addf(sb, "\nmin %.15g, max %.15g, last %.15g\nthread: %s (%u)", k->min, k->max, k->last,
		l->name, l->tid);
	fprintf(f, "<clipPath id=\"cc%u\"><rect x=\"%d\" y=\"%.1f\" width=\"%.3f\" height=\"%d\"/></clipPath>\n",
		id, XPAD, y, fw, CROW);
	fprintf(f, "<g class=\"ctr\" clip-path=\"url(#cc%u)\"><title>", id);
	put_escaped(o, sb->buf);
	fprintf(f, "</title><rect x=\"%d\" y=\"%.1f\" width=\"%.3f\" height=\"%d\" fill=\"#fff\" "
		"fill-opacity=\"0.55\"/>", XPAD, y, fw, CROW);
	struct flame_rgb col = flame_color_module(name, name);
	col = (struct flame_rgb){ (uint8_t)(col.r / 2), (uint8_t)(col.g / 2), (uint8_t)(col.b / 2) };
	fprintf(f, "<g class=\"cz\"><polyline stroke=\"rgb(%u,%u,%u)\" vector-effect=\"non-scaling-stroke\" "
		"points=\"", col.r, col.g, col.b);
	double range = k->max - k->min, top = y + 3, h = CROW - 6, py = 0;
	bool thin = (double)k->n > 4 * fw, any = false;
#define YOF(v) (range > 0 ? top + h - ((v) - k->min) / range * h : top + h / 2)
	for (size_t i = 0; i < k->n;) {
		double bx = chart_x(c, fw, pt[i].time), b = floor(bx * 4);
		double first = pt[i].value, lo = first, hi = first, last = first;
		size_t j = i + 1;
		for (; thin && j < k->n && floor(chart_x(c, fw, pt[j].time) * 4) == b; j++) {
			last = pt[j].value;
			lo = last < lo ? last : lo;
			hi = last > hi ? last : hi;
		}
		/* a step: along the previous value, then to this one */
		if (any)
			fprintf(f, "%.3f,%.2f ", bx, py);
		fprintf(f, "%.3f,%.2f ", bx, YOF(first));
		if (j - i > 1)
			fprintf(f, "%.3f,%.2f %.3f,%.2f %.3f,%.2f ", bx, YOF(lo), bx, YOF(hi), bx, YOF(last));
		py = YOF(last);
		any = true;
		i = j;
	}
#undef YOF
	if (any)
		fprintf(f, "%.3f,%.2f", XPAD + fw, py);
	fputs("\"/></g><text class=\"clab\" ", f);
	fprintf(f, "x=\"%d\" y=\"%.1f\">", XPAD + 3, y + 11);
	sb_reset(sb);
	sb_addf(sb, "%s (%.6g .. %.6g)", name, k->min, k->max);
	put_escaped(o, sb->buf);
	fputs("</text></g>\n", f);
}

int flame_svg_write_chart(FILE *f, struct flame_chart *c, const struct flame_svg_options *opt,
			  struct flame_svg_stats *st)
{
	unsigned width = opt->width ? opt->width : FLAME_SVG_WIDTH;
	double fw = width - 2.0 * XPAD;
	double span = c->t1 > c->t0 ? (double)(c->t1 - c->t0) : 1;
	uint64_t asked = (uint64_t)ceil(minwidth_px(opt) / fw * span);
	uint64_t min_ns = flame_chart_min_ns_for(c, asked, opt->max_frames);
	size_t pruned = min_ns ? flame_chart_prune(c, min_ns) : 0;
	flame_chart_finish(c);
	struct shown sh;
	shown_init(&sh, c->names, opt->full_names);
	chart_shown = &sh;

	/* spans and marks per lane, for the headers and the page height */
	size_t nl = c->lanes.len;
	size_t *drawn = xcalloc(nl + 1, sizeof(*drawn)), *nmarks = xcalloc(nl + 1, sizeof(*nmarks));
	for (size_t i = 0; i < c->spans.len; i++)
		drawn[c->spans.data[i].lane]++;
	for (size_t i = 0; i < c->marks.len; i++)
		nmarks[c->marks.data[i].lane]++;
	/* a row for the time ruler under the headings */
	unsigned top = (opt->subtitle && *opt->subtitle ? 60 : 40) + AXIS_H, bottom = 34, gap = 8;
	unsigned h = top + bottom;
	uint32_t rows = 0;
	for (size_t i = 0; i < nl; i++) {
		const struct flame_lane *l = &c->lanes.data[i];
		h += (lane_rows(l, nmarks[i]) + 1) * ROW + l->ncounters * (CROW + CGAP) + gap;
		rows += lane_rows(l, nmarks[i]) + 1 + 2 * l->ncounters;
	}
	struct page pg = {
		.width = width, .height = h, .fw = fw, .mode = "chart",
		.title = opt->title ? opt->title : default_title(NULL, opt), .subtitle = opt->subtitle,
		.t0 = c->t0, .t1 = c->t1,
	};
	struct out o = { .f = f };
	struct strbuf dt = STRBUF_INIT;
	doc_title(&dt, pg.title, pg.subtitle);
	pg.doc_title = dt.buf;
	page_open(&o, &pg);

	fprintf(f, "<g id=\"axis\" data-y=\"%u\"></g>\n", top - AXIS_H);
	double y0 = top;
	size_t s = 0, m = 0, k = 0, pi = 0;
	unsigned nctr = 0;
	for (size_t li = 0; li < nl; li++) {
		const struct flame_lane *l = &c->lanes.data[li];
		bool zones = l->kind == FLAME_LANE_ZONES;
		uint32_t lrows = lane_rows(l, nmarks[li]);
		lane_header(&o, c, (uint32_t)li, y0, drawn[li], nmarks[li], min_ns, &pi);
		fprintf(f, "<g class=\"lane\" data-kind=\"%s\" data-total=\"%.3f\">\n",
			zones ? "zones" : "samples", (double)l->busy / span * fw);
		for (; s < c->spans.len && c->spans.data[s].lane == li; s++) {
			const struct flame_span *sp = &c->spans.data[s];
			double x = chart_x(c, fw, sp->start);
			double w = (double)(sp->end - sp->start) / span * fw;
			double y = y0 + ROW + (double)sp->depth * ROW;
			span_tip(&o.sb, c, sp);
			if (sp->flags & FLAME_MERGED) {
				struct strbuf nm = STRBUF_INIT;
				merged_name(&nm, c, sp);
				put_frame_prec(&o, nm.buf, zones ? "f z m" : "f m", x, y, w, merged_fill,
					       CHART_PREC);
				sb_release(&nm);
				continue;
			}
			const char *name = span_name(c, sp);
			if (sp->flags & FLAME_ZONE) {
				bool odd = sp->flags & (FLAME_UNWOUND | FLAME_UNFINISHED | FLAME_THREAD_EXIT);
				put_frame_prec(&o, name, odd ? "f z u" : "f z", x, y, w,
					       flame_color_zone(name), CHART_PREC);
				continue;
			}
			bool inl = sp->flags & FLAME_INLINED;
			put_frame_prec(&o, name, inl ? "f i" : "f", x, y, w,
				       frame_fill(opt, name, c->names->modules.data[sp->module].name),
				       CHART_PREC);
		}
		for (; m < c->marks.len && c->marks.data[m].lane == li; m++)
			put_mark(&o, c, &c->marks.data[m], chart_x(c, fw, c->marks.data[m].time),
				 y0 + ROW, (double)lrows * ROW);
		double cy = y0 + ROW + (double)lrows * ROW;
		for (; k < c->counters.len; k++) {
			/* counters are in lane order: made lane by lane, in time order */
			if (c->counters.data[k].lane != li)
				break;
			put_counter(&o, c, &c->counters.data[k], fw, cy + CGAP, nctr++);
			cy += CROW + CGAP;
		}
		fputs("</g>\n", f);
		y0 += (lrows + 1) * ROW + l->ncounters * (CROW + CGAP) + gap;
	}
	page_close(&o);
	if (st) {
		st->frames = c->spans.len;
		st->pruned = pruned;
		st->depth = rows;
		/* the width asked for, unless max_frames raised it (min_ns is
		 * rounded up to whole ns) */
		st->minwidth = min_ns == asked ? minwidth_px(opt) : (double)min_ns / span * fw;
		st->marks = c->marks.len;
		st->counters = c->counters.len;
	}
	chart_shown = NULL;
	shown_release(&sh);
	free(drawn);
	free(nmarks);
	sb_release(&dt);
	return finish_out(&o);
}
