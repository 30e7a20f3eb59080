// Headless Chromium for the browser tools and tests: Debian's `chromium` (installed by
// scripts/setup-web) driven by playwright-core, with the flags this closed network needs.
//
//   const browser = await launch();                 // playwright Browser, fresh profile
//   const context = await chromium.launchPersistentContext(dir, {
//     executablePath: chromiumPath(), headless: true,
//     args: launchArgs([`--disable-extensions-except=${ext}`, `--load-extension=${ext}`]) });
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export { chromium };

/** The Chromium executable: $SAFEFRAME_CHROMIUM or /usr/bin/chromium; throws when missing. */
export function chromiumPath() {
  const file = process.env.SAFEFRAME_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(file)) {
    throw new Error(`${file} not found: run scripts/setup-web (it installs Debian's chromium)`);
  }
  return file;
}

/**
 * Command-line flags for headless Chromium here, then `extra`. Without the background-networking
 * flags Chromium keeps trying hosts this network refuses; --no-sandbox because tests run as root.
 */
export function launchArgs(extra = []) {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    ...extra,
  ];
}

/** A fresh, empty folder for a --user-data-dir (launchPersistentContext needs one). */
export function tempProfile(prefix = 'safeframe-chromium-') {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Launches headless Chromium (playwright gives it a fresh temporary profile). */
export function launch({ args = [], ...options } = {}) {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: launchArgs(args), ...options });
}
