// Logs in to the Aspire dashboard with its login URL, opens one trace's page and saves a screenshot of it, with
// Debian's chromium (playwright-core drives it; no browser of its own is downloaded). Used by dashboard-screenshot.sh.
//   node dashboard-screenshot.mjs <login url> <trace page url> <png>
import { chromium } from 'playwright-core';

const [login, trace, png] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(login); // the token sets the dashboard's cookie
  await page.waitForLoadState('networkidle');
  await page.goto(trace);
  // The trace's page is rendered over the dashboard's live connection: wait for the spans of both services.
  for (const service of ['gateway', 'inference']) {
    await page.getByText(service, { exact: false }).first().waitFor({ timeout: 120_000 });
  }
  // The inference span's details show the route attributes (platform.domain, platform.variant, platform.model_version).
  await page.getByText(/^generate /).first().click();
  await page.getByText('platform.domain').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(2_000);
  await page.screenshot({ path: png });
} finally {
  await browser.close();
}
