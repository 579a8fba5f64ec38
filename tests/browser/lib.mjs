// Shared helpers of the browser tests: Debian's chromium driven headless by
// playwright-core. Each test is a node script that exits non-zero on failure
// and prints what it checked.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let failures = 0;
export function check(cond, what) {
	if (cond) {
		console.log(`ok   ${what}`);
	} else {
		failures++;
		console.log(`FAIL ${what}`);
	}
	return cond;
}
export function failed() { return failures; }

// Opens `file` (a path on disk) in a fresh page; page errors, console errors
// and any request that leaves file:// are collected in the returned arrays.
export async function openPage(file, { width = 1280, height = 800 } = {}) {
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
	});
	const page = await browser.newPage({ viewport: { width, height } });
	const errors = [];
	const network = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) network.push(r.url()); });
	page.on('dialog', (d) => { errors.push(`dialog opened: ${d.message()}`); d.dismiss(); });
	await page.goto(pathToFileURL(fs.realpathSync(file)).href);
	return { browser, page, errors, network };
}

// Ends the test: prints the count and sets the exit code.
export async function finish(browser) {
	if (browser) await browser.close();
	console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
	process.exit(failures ? 1 : 0);
}
