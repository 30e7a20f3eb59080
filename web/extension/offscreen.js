// SafeFrame offscreen document: the one classifier of the browser profile.
// Loads safeframe.wasm and the packs listed in config.json once, and answers the content scripts
// of every tab: images by URL (fetched here with the extension's host permissions, decoded in wasm,
// cached by URL), pixels (data:/blob: images, canvases) and video frames (one stream per element,
// the core's change gate). Anything that goes wrong answers "block" (fail closed).
import { loadSafeFrame } from './safeframe.js';

const CACHE_MAX = 4096;            // verdicts kept by URL (LRU)
const FETCH_PARALLEL = 6;
const MAX_BYTES = 32 * 1024 * 1024;
const STREAM_IDLE_MS = 60_000;

let sf = null;
let packs = null;                  // config.json: { primary, second } pack folders
let filter = null;
let preset = 'child';
let loading = null;
const cache = new Map();           // url -> Promise<verdict>
const streams = new Map();         // key -> { stream, used, w, h }
const stats = { classified: 0, urls: 0, cacheHits: 0, frames: 0, errors: 0, loadMs: 0, classifyMs: 0 };

async function bytes(path) {
  const r = await fetch(chrome.runtime.getURL(path));
  if (!r.ok) throw new Error(`missing ${path}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function readPack(dir) {
  const [manifest, model] = await Promise.all([bytes(`${dir}/manifest.json`), bytes(`${dir}/model.onnx`)]);
  let signature;
  try { signature = await bytes(`${dir}/signature.json`); } catch (_) { signature = undefined; }
  return signature ? { manifest, model, signature } : { manifest, model };
}

async function load() {
  const t0 = performance.now();
  const config = JSON.parse(new TextDecoder().decode(await bytes('config.json')));
  // Offscreen documents only have chrome.runtime: the service worker tells us the preset.
  const s = await chrome.runtime.sendMessage({ target: 'sw', type: 'settings' }).catch(() => null);
  preset = (s && s.preset) || 'child';
  const t1 = performance.now();
  // Compile the module while the packs are read.
  let t2 = 0;
  const [module, pack, second] = await Promise.all([
    loadSafeFrame(chrome.runtime.getURL('safeframe.wasm')).then(m => { t2 = performance.now(); return m; }),
    readPack(config.primary),
    config.second ? readPack(config.second) : undefined,
  ]);
  sf = module;
  packs = config;
  const t3 = performance.now();
  await makeFilter({ pack, second });
  const t4 = performance.now();
  stats.loadMs = Math.round(t4 - t0);
  stats.load = { settingsMs: Math.round(t1 - t0), wasmMs: Math.round(t2 - t1), wasmAndPacksMs: Math.round(t3 - t1), filterMs: Math.round(t4 - t3) };
}

/** (Re)creates the filter for `preset`. The pack bytes are not kept in JS (24 MB for the shipped
 * packs): a preset change reads them again from the extension. */
async function makeFilter(bytes) {
  const { pack, second } = bytes || {
    pack: await readPack(packs.primary), second: packs.second ? await readPack(packs.second) : undefined,
  };
  const old = filter;
  filter = sf.createFilter({
    pack, ...(second ? { second } : {}),
    policy: preset, allowUnsigned: !!packs.allowUnsigned,
  });
  if (old) old.free();
  cache.clear();
  for (const s of streams.values()) s.stream.free();
  streams.clear();
}

function ready() {
  if (!loading) loading = load().catch(e => { loading = null; throw e; });
  return loading;
}

function block(kind, message) {
  stats.errors++;
  return { action: 'block', category: null, error: { kind, message: String(message) } };
}

// ------------------------------------------------------------------ fetch pool
let active = 0;
const queue = [];
function limited(fn) {
  return new Promise((resolve, reject) => {
    const run = () => { active++; fn().then(resolve, reject).finally(() => { active--; if (queue.length) queue.shift()(); }); };
    if (active < FETCH_PARALLEL) run(); else queue.push(run);
  });
}

async function classifyUrl(url) {
  const hit = cache.get(url);
  if (hit) { cache.delete(url); cache.set(url, hit); stats.cacheHits++; return hit; }
  const p = (async () => {
    let buf;
    try {
      buf = await limited(async () => {
        const r = await fetch(url, { credentials: 'include', cache: 'force-cache' });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const b = new Uint8Array(await r.arrayBuffer());
        if (b.length > MAX_BYTES) throw new Error('image too large');
        return b;
      });
    } catch (e) {
      cache.delete(url);           // network errors are not remembered
      return block('fetch', e.message || e);
    }
    try {
      stats.urls++; stats.classified++;
      const v = await filter.classifyEncoded(buf);
      stats.classifyMs += v.ms || 0;
      return strip(v);
    } catch (e) {
      return block(e.kind || 'decode', e.message || e);
    }
  })();
  cache.set(url, p);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
  return p;
}

function strip(v) {
  return { action: v.action, category: v.category ?? null, scores: v.scores, ms: v.ms, ...(v.error ? { error: v.error } : {}) };
}

function pixels(msg) {
  const bin = atob(msg.data);
  const data = new Uint8ClampedArray(bin.length);
  for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
  if (data.length !== msg.width * msg.height * 4) throw Object.assign(new Error('bad frame size'), { kind: 'layout' });
  return { data, width: msg.width, height: msg.height };
}

async function frame(msg, sender) {
  const key = `${sender.tab ? sender.tab.id : 'x'}:${sender.frameId ?? 0}:${msg.stream}`;
  let s = streams.get(key);
  if (s && (s.w !== msg.width || s.h !== msg.height)) { s.stream.free(); streams.delete(key); s = null; }
  if (!s) {
    s = { stream: filter.createStream({ hold: 'blur' }), w: msg.width, h: msg.height, used: 0 };
    streams.set(key, s);
  }
  s.used = Date.now();
  stats.frames++;
  const r = await s.stream.process(pixels(msg), Math.max(0, Math.round(msg.t || 0)));
  if (r.classified) stats.classified++;
  return { verdict: strip(r.verdict), classified: r.classified, reused: r.reused };
}

setInterval(() => {
  const now = Date.now();
  for (const [k, s] of streams) if (now - s.used > STREAM_IDLE_MS) { s.stream.free(); streams.delete(k); }
}, 15_000);

function memory() {
  const m = { jsHeapUsed: performance.memory ? performance.memory.usedJSHeapSize : null };
  m.wasmMemory = sf && typeof sf.memoryBytes === 'function' ? sf.memoryBytes() : null;
  return m;
}

async function handle(msg, sender) {
  await ready();
  switch (msg.type) {
    case 'classifyUrl': return classifyUrl(msg.url);
    case 'classifyPixels':
      try { stats.classified++; return strip(await filter.classifyPixels(pixels(msg))); }
      catch (e) { return block(e.kind || 'pixels', e.message || e); }
    case 'frame':
      try { return await frame(msg, sender); }
      catch (e) { return { verdict: block(e.kind || 'frame', e.message || e) }; }
    case 'endStream': {
      const key = `${sender.tab ? sender.tab.id : 'x'}:${sender.frameId ?? 0}:${msg.stream}`;
      const s = streams.get(key);
      if (s) { s.stream.free(); streams.delete(key); }
      return { ok: true };
    }
    case 'stats':
      if (msg.gc && typeof globalThis.gc === 'function') globalThis.gc();   // only with --js-flags=--expose-gc (tests)
      return { ...stats, cache: cache.size, streams: streams.size, preset, version: sf.version, ...memory() };
    case 'setPreset':
      if (msg.preset && msg.preset !== preset) { preset = msg.preset; await makeFilter(); }
      return { ok: true, preset };
    case 'clearCache': cache.clear(); return { ok: true };
    default: return block('message', `unknown request ${msg.type}`);
  }
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target !== 'offscreen') return false;
  handle(msg, sender).then(sendResponse, e => sendResponse(block('unavailable', e.message || e)));
  return true;
});


ready().catch(e => console.error('SafeFrame: classifier failed to load', e));
