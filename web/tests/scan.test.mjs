// scripts/web-scan against the native CLI on the same files: every image gets the same action
// and category, and every score agrees within 1e-4 (issue 19's target). Timings (web median and
// p95 per image, first verdict after page load, native per image) are reported, not asserted.
//
// Needs web/dist (scripts/web-build) and the native CLI at target/debug/safeframe (built by
// `cargo test --workspace`; SAFEFRAME_CLI overrides the path). scripts/test-web runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, quantile } from '../scan/run.mjs';
import { serve } from './lib/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CATEGORIES = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'];
const TOLERANCE = 1e-4;
const EVAL_SUBSET = 40;

/** Every 5th-or-so benign eval image (a fixed subset of 40) and every golden source image. */
function fixtureFiles() {
  const pick = (dir) =>
    readdirSync(path.join(root, dir))
      .filter((name) => /\.(png|jpe?g)$/i.test(name))
      .sort()
      .map((name) => `${dir}/${name}`);
  const evalFiles = pick('tests/fixtures/eval');
  const stride = Math.max(1, Math.floor(evalFiles.length / EVAL_SUBSET));
  const subset = evalFiles.filter((_, i) => i % stride === 0).slice(0, EVAL_SUBSET);
  return [...subset, ...pick('tests/fixtures/images')];
}

/** Runs a command in the repository root; resolves {code, stdout, stderr, ms}. */
function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - started,
      }),
    );
  });
}

function jsonLines(text) {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

const cli = process.env.SAFEFRAME_CLI || path.join(root, 'target/debug/safeframe');
const cliEnv = process.env.ORT_LIB ? { ORT_DYLIB_PATH: process.env.ORT_LIB } : {};

function needCli() {
  assert.ok(existsSync(cli), `${cli} is missing: build the CLI first (cargo build -p safeframe-cli)`);
}

test('web-scan lists and orders files as safeframe scan does', async (t) => {
  needCli();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'safeframe-collect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Rust sorts paths component by component: 'a/z.png' before 'a.png'; byte order puts 'B' before 'a'.
  for (const name of ['a/z.png', 'a.png', 'a.png.d/x.jpeg', 'B.PNG', 'c.gif', 'd.webp', 'e.bmp', '.png', 'f.txt', 'é.jpg']) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), 'not an image');
  }
  symlinkSync(path.join(dir, 'a.png'), path.join(dir, 'link.png'));
  const native = await run(cli, ['scan', '--json', `${dir}/`, dir], cliEnv);
  assert.equal(native.code, 2, native.stderr);
  assert.deepEqual(collect([`${dir}/`, dir]), jsonLines(native.stdout).map((line) => line.path));
});

test('the static server keeps requests inside its folders', async (t) => {
  const server = await serve({ '/dist/': path.join(root, 'web/scan') });
  t.after(() => server.close());
  // Raw request paths: fetch() would resolve the dot segments before sending them.
  const status = (rawPath) =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.port, path: rawPath }, (res) => resolve(res.resume().statusCode)).on('error', reject);
    });
  assert.equal(await status('/dist/index.html'), 200);
  for (const bad of ['/dist/../tests/scan.test.mjs', '/dist/%2e%2e/tests/scan.test.mjs', '/dist/..%2ftests/scan.test.mjs', '/dist/', '/nothing']) {
    assert.equal(await status(bad), 404, bad);
  }
});

test('web-scan matches safeframe scan --json on the same files', async (t) => {
  needCli();
  const env = cliEnv;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'safeframe-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = path.join(dir, 'broken.png');
  writeFileSync(broken, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  const files = [...fixtureFiles(), broken];
  assert.ok(files.length >= 60, `only ${files.length} fixture images found`);

  // A file that cannot be decoded is an error line and exit status 2, for both.
  const web = await run(path.join(root, 'scripts/web-scan'), files);
  assert.equal(web.code, 2, `web-scan exited ${web.code}:\n${web.stderr}`);
  const native = await run(cli, ['scan', '--json', ...files], env);
  assert.equal(native.code, 2, `safeframe scan exited ${native.code}:\n${native.stderr}`);
  // The native start-up (ONNX Runtime + both packs), to take out of its per-image time.
  const nativeOne = await run(cli, ['scan', '--json', files[0]], env);

  const webLines = jsonLines(web.stdout);
  const nativeLines = new Map(jsonLines(native.stdout).map((line) => [line.path, line]));
  assert.deepEqual(
    webLines.map((line) => line.path),
    [...nativeLines.keys()],
    'web-scan and the CLI list the same files in the same order',
  );
  let maxDelta = 0;
  let worst = null;
  for (const line of webLines) {
    const want = nativeLines.get(line.path);
    if (line.path === broken) {
      assert.ok(line.error && want.error, `${broken}: an error line from both`);
      continue;
    }
    assert.equal(want.error, undefined, `${line.path}: CLI error ${want.error}`);
    assert.equal(line.error, undefined, `${line.path}: web-scan error ${line.error}`);
    assert.equal(line.action, want.action, `${line.path}: action`);
    assert.equal(line.category, want.category, `${line.path}: category`);
    assert.deepEqual(Object.keys(line.scores).sort(), CATEGORIES, `${line.path}: score keys`);
    for (const category of CATEGORIES) {
      const delta = Math.abs(line.scores[category] - want.scores[category]);
      if (delta > maxDelta) [maxDelta, worst] = [delta, `${line.path} ${category}`];
      assert.ok(
        delta <= TOLERANCE,
        `${line.path}: ${category} web ${line.scores[category]} vs native ${want.scores[category]} (|Δ| ${delta})`,
      );
    }
    assert.ok(typeof line.ms === 'number' && line.ms >= 0, `${line.path}: ms`);
  }

  const ms = webLines.filter((line) => !line.error).map((line) => line.ms);
  const nativePerImage = (native.ms - nativeOne.ms) / Math.max(1, files.length - 2);
  t.diagnostic(`${files.length} images; max |Δp| web vs native ${maxDelta.toExponential(2)} (${worst ?? '-'})`);
  t.diagnostic(
    `headless Chromium (wasm): median ${quantile(ms, 0.5).toFixed(1)} ms, p95 ${quantile(ms, 0.95).toFixed(1)} ms per image`,
  );
  t.diagnostic(
    `native CLI (${path.relative(root, cli)}): ${nativePerImage.toFixed(1)} ms per image (wall of the scan less a one-image scan), start-up ${nativeOne.ms.toFixed(0)} ms`,
  );
  for (const line of web.stderr.split('\n').filter((l) => /model load|first verdict|Chromium/.test(l))) t.diagnostic(line);
});
