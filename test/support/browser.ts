/**
 * Browser tests: playwright-core driving the system's Chromium (Debian's `chromium`, no browser
 * download), axe-core accessibility checks, screenshots and Content-Security-Policy violations.
 * Without Chromium the tests skip with the reason (in CI they fail, as `itWithTools` does).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { it } from 'vitest';
import { hasTool } from './tools.js';

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM = process.env.HALLMARK_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** The built UI the server serves (`npm run build`; `HALLMARK_TEST_WEB_DIST` for another build). */
export const WEB_DIST =
  process.env.HALLMARK_TEST_WEB_DIST ?? fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM) && !hasTool('chromium')) {
    return `needs chromium at ${CHROMIUM} (apt-get install chromium)`;
  }
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    return 'needs the built UI in dist/web (npm run build)';
  }
  return undefined;
}

/** `it`, or — without Chromium or the built UI — a skip with the reason (a failure in CI). */
export function itWithBrowser(): typeof it {
  const reason = browserUnavailable();
  if (reason === undefined) {
    return it;
  }
  if (process.env.CI === 'true') {
    return ((name: string) =>
      it(name, () => {
        throw new Error(`browser tests cannot run in CI: ${reason}`);
      })) as unknown as typeof it;
  }
  return ((name: string, ...rest: unknown[]) =>
    it.skip(`${name} [skipped: ${reason}]`, ...(rest as []))) as unknown as typeof it;
}

/** Starts headless Chromium (without its sandbox when running as root, as in CI containers). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: existsSync(CHROMIUM) ? CHROMIUM : 'chromium',
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** What a page reported while a test drove it. */
export interface PageWatch {
  /** Console errors and page errors, CSP violations among them. */
  readonly errors: string[];
  /** Content-Security-Policy violations only. */
  cspViolations(): string[];
}

/** Collects console errors, uncaught page errors and CSP violations of `page`. */
export function watchPage(page: Page): PageWatch {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return {
    errors,
    cspViolations: () => errors.filter((e) => /Content Security Policy/i.test(e)),
  };
}

/** The serious and critical accessibility violations axe finds on the page as it is. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact ?? ''}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

/**
 * Saves a screenshot of the whole page as `<dir>/<name>.png` and returns its path. PatternFly's
 * page scrolls its main area, not the document: the viewport grows for the shot to show it all.
 */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  const viewport = page.viewportSize();
  const hidden = await page.evaluate<number>(
    "Math.max(0, ...[...document.querySelectorAll('main, .pf-v6-c-page__main-container, .pf-v6-c-page__main, .pf-v6-c-page')].map((m) => m.scrollHeight - m.clientHeight))",
  );
  if (viewport !== null && hidden > 0) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height + hidden });
  }
  await page.screenshot({ path, fullPage: true });
  if (viewport !== null && hidden > 0) {
    await page.setViewportSize(viewport);
  }
  return path;
}

/** How far the page's content is wider than the window (0 when nothing scrolls sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>(
    "Math.max(0, ...[...document.querySelectorAll('html, body, main, .pf-v6-c-page__main-container')].map((e) => e.scrollWidth - e.clientWidth))",
  );
}
