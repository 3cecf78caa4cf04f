import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * What the browser suite runs on: the web app built with Vite, the real one-process platform
 * serving it, and Debian's Chromium driven by playwright-core, with every page's console watched.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const REPO = path.resolve(import.meta.dirname, '../..');
/** `SCREENSHOTS=1` refreshes docs/screenshots/; otherwise no screenshots are taken (they cost seconds under load). */
export const SHOTS = process.env.SCREENSHOTS ? path.join(REPO, 'docs/screenshots') : null;
export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 860 };

/** Console errors the app itself caused. Chrome also logs every 4xx answer as "Failed to load resource"; those are the API's expected answers. */
function watchConsole(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(`${page.url()} pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) return;
    errors.push(`${page.url()} console.${msg.type()}: ${msg.text()}`);
  });
}

/** The running web app as the suite sees it. */
export interface WebApp {
  /** The platform serving the API and the built app. */
  readonly sys: TestSystem;
  /** Console errors and page errors of every page opened with `newPage`. */
  readonly consoleErrors: string[];
  /** A page in a browser context of its own (its own cookies), with the app as its base URL. */
  newPage(viewport: { width: number; height: number }): Promise<Page>;
}

/**
 * Builds the web app and starts the platform (with `env` added to its settings) and Chromium
 * before the suite's first test; after its last, closes every page, checks every invariant and
 * removes the build.
 */
export function useWebApp(env: Record<string, string> = {}): WebApp {
  let sys: TestSystem;
  let browser: Browser;
  let distDir: string;
  const consoleErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (apt-get install -y chromium)`);
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    distDir = await mkdtemp(path.join(os.tmpdir(), 'campusg-web-'));
    const { build } = await import('vite');
    // Under vitest NODE_ENV is 'test', so this bundle keeps React's development checks (bigger, hence
    // the raised size limit): any warning they print fails the console check at the end.
    await build({
      root: path.join(REPO, 'apps/web'),
      logLevel: 'warn',
      build: { outDir: distDir, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2_000 },
    });
    sys = await startSystem({ WEB_DIST_DIR: distDir, ...env });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    if (sys) {
      await quiesce(sys.infra.db, sys.infra.transport);
      expect(await checkInvariants(sys.infra.db)).toEqual([]);
      await sys.close();
    }
    if (distDir) await rm(distDir, { recursive: true, force: true });
  });

  return {
    get sys() {
      return sys;
    },
    consoleErrors,
    async newPage(viewport) {
      const context = await browser.newContext({ baseURL: sys.url, viewport, locale: 'en-SG' });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      watchConsole(page, consoleErrors);
      return page;
    },
  };
}
