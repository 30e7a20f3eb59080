// The page behind scripts/web-scan: loads the wasm build and the model packs from /dist/, then
// classifies every file that /files.json lists, one at a time, through filter.classifyEncoded.
//
// Each result goes to window.__scanReport(line) when the runner (web/scan/run.mjs) exposed it,
// otherwise it is appended to the page; the end goes to window.__scanDone(summary).
// Times come from performance.now(), whose origin is the start of this page's navigation.
import { loadSafeFrame } from '/dist/safeframe.js';

const DEFAULT_MODEL = 'nsfwjs-mobilenetv2mid-fp32';
const DEFAULT_SECOND = 'open-nsfw-int8';

window.__scanStarted = true;

const params = new URLSearchParams(location.search);
// As `safeframe scan`: the second opinion is open-nsfw-int8 unless --model was given.
const model = params.get('model') || DEFAULT_MODEL;
const secondName = params.get('second') ?? (params.has('model') ? 'none' : DEFAULT_SECOND);
const policy = params.get('policy') || 'child';

const out = document.getElementById('out');
const status = document.getElementById('status');

function report(line) {
  if (window.__scanReport) return window.__scanReport(line);
  out.textContent += `${JSON.stringify(line)}\n`;
  return undefined;
}

async function bytes(url, { optional = false } = {}) {
  const response = await fetch(url);
  if (optional && response.status === 404) return undefined;
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new Error(text && response.headers.get('x-scan-error') ? text : `${url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function loadPack(name) {
  const base = `/dist/packs/${encodeURIComponent(name)}/`;
  const [manifest, modelBytes, signature] = await Promise.all([
    bytes(`${base}manifest.json`),
    bytes(`${base}model.onnx`),
    bytes(`${base}signature.json`, { optional: true }),
  ]);
  return { manifest, model: modelBytes, ...(signature ? { signature } : {}) };
}

/** `x` (an f32 score) at f32's shortest round-trip precision, as the CLI prints its scores. */
function f32(x) {
  const want = Math.fround(x);
  for (let digits = 1; digits < 10; digits += 1) {
    const shorter = Number(want.toPrecision(digits));
    if (Math.fround(shorter) === want) return shorter;
  }
  return want;
}

function errorText(error) {
  return error?.message ?? String(error);
}

async function main() {
  const files = fetch('/files.json').then((r) => {
    if (!r.ok) throw new Error(`/files.json: HTTP ${r.status} (web/scan/run.mjs serves the list of files)`);
    return r.json();
  });
  files.catch(() => {}); // awaited below, after the model load
  const loadStart = performance.now();
  const stamp = (promise, key, at) => promise.then((value) => ((at[key] = performance.now()), value));
  const at = {};
  const [sf, pack, second] = await Promise.all([
    stamp(
      fetch('/dist/safeframe.wasm').then((response) => {
        if (!response.ok) throw new Error(`/dist/safeframe.wasm: HTTP ${response.status}`);
        return loadSafeFrame(response);
      }),
      'wasm',
      at,
    ),
    stamp(loadPack(model), 'pack', at),
    secondName === 'none' ? undefined : stamp(loadPack(secondName), 'second', at),
  ]);
  const fetched = performance.now();
  const filter = sf.createFilter({ pack, ...(second ? { second } : {}), policy });
  const loaded = performance.now();
  status.textContent = `SafeFrame ${sf.version}: ${model}${second ? ` + ${secondName}` : ''}, policy ${policy}`;

  const list = await files;
  let firstVerdict = null;
  for (const { path, url } of list) {
    let line;
    try {
      const data = await bytes(url);
      const start = performance.now();
      const verdict = filter.classifyEncoded(data);
      const ms = performance.now() - start;
      firstVerdict ??= performance.now();
      line = verdict.error
        ? { path, error: errorText(verdict.error) }
        : {
            path,
            action: verdict.action,
            category: verdict.category,
            scores: Object.fromEntries(Object.entries(verdict.scores).map(([k, v]) => [k, f32(v)])),
            rule: verdict.rule ?? null,
            ms: Math.round(ms * 1000) / 1000,
          };
    } catch (error) {
      line = { path, error: errorText(error) };
    }
    await report(line);
  }
  filter.free?.();
  return {
    version: sf.version,
    model,
    second: second ? secondName : null,
    policy,
    loadStartMs: loadStart,
    modelLoadMs: loaded - loadStart,
    // Within the load: wasm fetched + instantiated, packs fetched, then createFilter (the
    // engine parses and optimises the models).
    wasmReadyMs: at.wasm - loadStart,
    packsFetchedMs: Math.max(at.pack, at.second ?? 0) - loadStart,
    createFilterMs: loaded - fetched,
    loadedAtMs: loaded,
    firstVerdictMs: firstVerdict,
  };
}

main().then(
  (summary) => {
    if (window.__scanDone) window.__scanDone(summary);
    else status.textContent += ` — done, first verdict ${summary.firstVerdictMs?.toFixed(0)} ms after navigation start`;
  },
  (error) => {
    const message = `${errorText(error)}${error?.kind ? ` (${error.kind})` : ''}`;
    if (window.__scanFail) window.__scanFail(message);
    else status.textContent = `failed: ${message}`;
  },
);
