#!/usr/bin/env node
// The runner behind scripts/web-scan: scans image files inside headless Chromium through the
// wasm build (web/dist), printing one JSON object per image on stdout, as `safeframe scan --json`.
//
//   node web/scan/run.mjs [--model NAME] [--second-model NAME|none] [--policy child|teen|adult]
//                         [--dist DIR] PATH...
//
// Directories are walked recursively for image files and sorted as the CLI does (cli/src/scan.rs
// `collect`); files given by name are scanned as given. Each line: {"path","action","category",
// "scores":{drawing,hentai,neutral,porn,sexy},"rule","ms"} — ms is that image's classifyEncoded
// call (decode + models + policy), model load excluded — or {"path","error"}. Timing goes to
// stderr. Exit status as the CLI: 0 nothing flagged, 1 something flagged, 2 any error.
import { readdirSync, statSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serve } from '../tests/lib/serve.mjs';
import { launch } from '../tests/lib/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DIST = path.resolve(here, '../dist');
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp']);

/** As cli/src/decode.rs `is_image_file`: by extension, case-insensitive. */
export function isImageFile(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

// Rust's `Path` order: component by component, each compared as bytes.
function compareComponents(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const order = Buffer.compare(Buffer.from(a[i]), Buffer.from(b[i]));
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/**
 * The files `safeframe scan` would scan for `paths`, in its order and spelled as it prints
 * them: a directory is walked recursively (symbolic links inside it are not followed, unreadable
 * folders skipped) for image files, sorted; anything else is kept as given.
 */
export function collect(paths) {
  const files = [];
  for (const given of paths) {
    let isDir = false;
    try {
      isDir = statSync(given).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) {
      files.push(given);
      continue;
    }
    const found = [];
    const walk = (dir, parts) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        // As Rust's Path::join: a separator only when `dir` does not end with one.
        const child = dir.endsWith('/') ? `${dir}${entry.name}` : `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(child, [...parts, entry.name]);
        else if (entry.isFile() && isImageFile(entry.name)) found.push({ shown: child, parts: [...parts, entry.name] });
      }
    };
    walk(given, []);
    found.sort((a, b) => compareComponents(a.parts, b.parts));
    files.push(...found.map((f) => f.shown));
  }
  return files;
}

/** The sample at quantile `q` (nearest rank on (n-1)·q, as `safeframe bench`), or null. */
export function quantile(samples, q) {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.round((sorted.length - 1) * q)];
}

/**
 * Scans `files` (as returned by `collect`) in headless Chromium. `onLine(line)` gets each result
 * object in order. Returns the page's summary: {version, model, second, policy, modelLoadMs,
 * firstVerdictMs (since navigation start), browserMs (launch), ms: [per image]}.
 */
export async function scan(files, { dist = DEFAULT_DIST, model, second, policy, onLine = () => {}, onLog } = {}) {
  for (const need of ['safeframe.wasm', 'safeframe.js']) {
    await fs.access(path.join(dist, need)).catch(() => {
      throw new Error(`${path.join(dist, need)} is missing: run scripts/web-build`);
    });
  }
  for (const name of [model, second]) {
    if (!name || name === 'none') continue;
    const packs = path.join(dist, 'packs');
    if (!/^[\w.-]+$/.test(name) || !statSync(path.join(packs, name), { throwIfNoEntry: false })?.isDirectory()) {
      const known = readdirSync(packs, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      throw new Error(`no model pack '${name}' in ${packs} (there: ${known.join(', ') || 'none'})`);
    }
  }
  const listing = files.map((shown, i) => ({ path: shown, url: `/files/${i}` }));
  const server = await serve(
    { '/dist/': dist, '/scan/': here },
    {
      // Cross-origin isolation: finer performance.now() (5 µs instead of 100 µs).
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      routes: {
        '/files.json': (req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
          res.end(JSON.stringify(listing));
        },
        '/files/': async (req, res, url) => {
          const file = files[Number(url.pathname.slice('/files/'.length))];
          try {
            if (file === undefined) throw new Error('no such file index');
            const data = await fs.readFile(file);
            res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' });
            res.end(data);
          } catch (error) {
            res.writeHead(404, { 'Content-Type': 'text/plain', 'x-scan-error': '1' });
            res.end(`cannot read ${file}: ${error.code ?? error.message}`);
          }
        },
      },
    },
  );
  const started = performance.now();
  const browser = await launch();
  const browserMs = performance.now() - started;
  const ms = [];
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    let resolveDone;
    let fail;
    const finished = new Promise((resolve, reject) => {
      resolveDone = resolve;
      fail = reject;
    });
    finished.catch(() => {}); // awaited below; an early failure must not be "unhandled"
    await page.exposeFunction('__scanReport', (line) => {
      if (typeof line.ms === 'number' && !line.error) ms.push(line.ms);
      onLine(line);
    });
    await page.exposeFunction('__scanDone', (summary) => resolveDone(summary));
    await page.exposeFunction('__scanFail', (message) => fail(new Error(message)));
    page.on('pageerror', (error) => {
      consoleErrors.push(error.message);
      fail(error);
    });
    page.on('crash', () => fail(new Error('the page crashed')));
    page.on('console', (message) => {
      // A failed fetch logs "Failed to load resource"; the scan reports those itself.
      const text = message.text();
      if ((message.type() === 'error' || message.type() === 'warning') && !text.startsWith('Failed to load resource')) {
        consoleErrors.push(text);
        onLog?.(`page ${message.type()}: ${text}`);
      }
    });
    const query = new URLSearchParams();
    if (model) query.set('model', model);
    if (second) query.set('second', second);
    if (policy) query.set('policy', policy);
    await page.goto(`${server.url}scan/index.html?${query}`);
    if (!(await page.evaluate(() => window.__scanStarted === true))) {
      throw new Error(`the scan page did not start: ${consoleErrors.join('; ') || 'no error reported'}`);
    }
    const summary = await finished;
    return { ...summary, browserMs, browserVersion: browser.version(), ms };
  } finally {
    await browser.close();
    await server.close();
  }
}

const USAGE = 'usage: scripts/web-scan [--model NAME] [--second-model NAME|none] [--policy child|teen|adult] PATH...';

function parseArgs(argv) {
  const options = { paths: [] };
  const names = { '--model': 'model', '--second-model': 'second', '--policy': 'policy', '--dist': 'dist' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    if (names[flag]) {
      const value = inline ?? argv[(i += 1)];
      if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      options[names[flag]] = value;
    } else if (arg === '-h' || arg === '--help') {
      options.help = true;
    } else if (arg === '--') {
      options.paths.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else {
      options.paths.push(arg);
    }
  }
  if (options.policy && !['child', 'teen', 'adult'].includes(options.policy)) {
    throw new Error(`--policy ${options.policy}: use child, teen or adult`);
  }
  return options;
}

const fmt = (value) => (value == null ? '-' : `${value.toFixed(1)} ms`);

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`web-scan: ${error.message}`);
    return 2;
  }
  if (options.help || options.paths.length === 0) {
    (options.help ? console.log : console.error)(USAGE);
    return options.help ? 0 : 2;
  }
  const files = collect(options.paths);
  let errors = 0;
  let flagged = 0;
  const summary = await scan(files, {
    dist: options.dist ? path.resolve(options.dist) : DEFAULT_DIST,
    model: options.model,
    second: options.second,
    policy: options.policy,
    onLog: (text) => console.error(`web-scan: ${text}`),
    onLine: (line) => {
      if (line.error) errors += 1;
      else if (line.action !== 'allow') flagged += 1;
      process.stdout.write(`${JSON.stringify(line)}\n`);
    },
  });
  const s = summary;
  console.error(
    `web-scan: Chromium ${s.browserVersion} (launch ${fmt(s.browserMs)}), SafeFrame ${s.version}, ` +
      `${s.model}${s.second ? ` + ${s.second}` : ''}, policy ${s.policy}`,
  );
  console.error(
    `web-scan: model load ${fmt(s.modelLoadMs)} (wasm instantiated at ${fmt(s.wasmReadyMs)}, packs fetched at ` +
      `${fmt(s.packsFetchedMs)}, then createFilter ${fmt(s.createFilterMs)}); ` +
      `first verdict ${fmt(s.firstVerdictMs)} after page navigation start`,
  );
  console.error(
    `web-scan: ${files.length} images, ${flagged} flagged, ${errors} errors; per image median ${fmt(quantile(s.ms, 0.5))}, ` +
      `p95 ${fmt(quantile(s.ms, 0.95))}`,
  );
  return errors > 0 ? 2 : flagged > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`web-scan: ${error.message}`);
      process.exitCode = 2;
    },
  );
}
