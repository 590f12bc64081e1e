// Headless Chromium for the end-to-end tests, driven by playwright-core.
// Uses the system Chromium (CHROME_PATH overrides); never downloads one.
import { chromium } from 'playwright-core';

// Without the networking flags Chromium stalls on a closed network.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
}

/**
 * Opens a page that records console messages, uncaught page errors and CSP
 * violations, so a test can assert that nothing escaped to the host page.
 */
export async function openPage(browser, url, { contextOptions = {} } = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const seen = { console: [], pageErrors: [] };
  page.on('console', (msg) => seen.console.push({ type: msg.type(), text: msg.text() }));
  page.on('pageerror', (err) => seen.pageErrors.push(err.message));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI }),
    );
  });
  await page.goto(url);
  return { context, page, seen, violations: () => page.evaluate(() => window.__violations) };
}

/** Console messages of one type that carry the widget's prefix. */
export const natterMessages = (seen, type) =>
  seen.console.filter((m) => m.type === type && m.text.startsWith('[Natter]')).map((m) => m.text);
