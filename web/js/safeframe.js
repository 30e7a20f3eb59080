// SafeFrame for the web: the JavaScript API over safeframe.wasm (crate web/wasm, plain C-style
// exports). Runs unchanged in Node >= 20, a page, a dedicated worker and an extension's offscreen
// document or service worker. No dependencies.
//
//   import { loadSafeFrame, SafeFrameError } from './safeframe.js';
//   const sf = await loadSafeFrame(wasmBytes);
//   const filter = sf.createFilter({ pack: { manifest, model, signature } });
//   const verdict = filter.classifyEncoded(jpegBytes);   // { action, category, scores, rule, ms }
//   // With a PDQ blocklist: matching frames are blocked as `known`, verdict.match = { entry, distance, label }
//   const guarded = sf.createFilter({ pack, blocklist: listBytes, blocklistOptions: { maxDistance: 31 } });
//
// Every rule (limits, pack trust, policies, fail-closed, the change gate) lives in the Rust core;
// this file only moves bytes in and out of wasm memory and parses the JSON results.

/** An error from SafeFrame: `kind` and `code` are the core's error table (the same names and
 * numbers as the C, Kotlin and Swift bindings), `message` says what to do. */
export class SafeFrameError extends Error {
  constructor({ kind, code, message }) {
    super(message);
    this.name = 'SafeFrameError';
    this.kind = kind;
    this.code = code;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());

async function wasmBytesOf(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  if (typeof Response !== 'undefined' && source instanceof Response) return source.arrayBuffer();
  if (typeof source === 'string' || source instanceof URL) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`cannot fetch ${source}: HTTP ${response.status}`);
    return response.arrayBuffer();
  }
  throw new TypeError('loadSafeFrame: give the wasm as an ArrayBuffer, a Uint8Array, a Response or a URL');
}

function bytesOf(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return encoder.encode(value);
  throw new SafeFrameError({ kind: 'InvalidArgument', code: 1, message: `${what}: expected bytes (Uint8Array or ArrayBuffer)` });
}

function isPixels(value) {
  return value !== null && typeof value === 'object' && 'data' in value && 'width' in value && 'height' in value;
}

/** Loads the wasm module and returns the SafeFrame object (`createFilter`, `createModel`,
 * `pdqHash`, `memoryBytes`, `version`). */
export async function loadSafeFrame(wasm) {
  const bytes = await wasmBytesOf(wasm);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return new SafeFrame(instance.exports);
}

class SafeFrame {
  #x;
  #broken = null;
  #registry;

  constructor(exports) {
    this.#x = exports;
    this.#registry = typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry((handle) => { try { exports.sf_handle_free(handle); } catch { /* instance gone */ } })
      : null;
    const info = this.#call(() => exports.sf_version()).result;
    this.version = info.version;
    /** Every error kind and its code: `[{kind, code}]`, the same as every other door's. */
    this.errorKinds = info.errors;
  }

  // --- plumbing -----------------------------------------------------------------------------

  /** Copies `bytes` into wasm memory: [ptr, len] (len 0: nothing allocated). */
  #copyIn(bytes) {
    if (!bytes || bytes.byteLength === 0) return [0, 0];
    const ptr = this.#x.sf_alloc(bytes.byteLength);
    if (ptr === 0) throw new SafeFrameError({ kind: 'Internal', code: 16, message: `out of wasm memory for ${bytes.byteLength} bytes` });
    new Uint8Array(this.#x.memory.buffer, ptr, bytes.byteLength).set(bytes);
    return [ptr, bytes.byteLength];
  }

  #free(...buffers) {
    for (const [ptr, len] of buffers) if (len) this.#x.sf_free(ptr, len);
  }

  #copyOut([ptr, len], target) {
    if (len) target.set(new Uint8Array(this.#x.memory.buffer, ptr, len));
  }

  /** Runs one export and returns its JSON result, throwing its error. A wasm trap (a bug) makes
   * the instance unusable: every later call throws `Internal`. */
  #call(run) {
    if (this.#broken) throw new SafeFrameError({ kind: 'Internal', code: 16, message: this.#broken });
    let code;
    try {
      code = run();
    } catch (error) {
      if (error instanceof SafeFrameError) throw error;
      this.#broken = `the SafeFrame wasm instance stopped (${error?.message ?? error}); load it again`;
      throw new SafeFrameError({ kind: 'Internal', code: 16, message: this.#broken });
    }
    const result = JSON.parse(decoder.decode(new Uint8Array(this.#x.memory.buffer, this.#x.sf_result_ptr(), this.#x.sf_result_len())));
    if (code < 0) throw new SafeFrameError(result);
    return { code, result };
  }

  #track(owner, handle) {
    this.#registry?.register(owner, handle, owner);
  }

  #release(owner, handle) {
    this.#registry?.unregister(owner);
    if (!this.#broken) this.#x.sf_handle_free(handle);
  }

  #pack(pack, what) {
    if (!pack || typeof pack !== 'object') {
      throw new SafeFrameError({ kind: 'InvalidArgument', code: 1, message: `${what}: expected { manifest, model, signature? }` });
    }
    const files = [
      bytesOf(pack.manifest, `${what}.manifest`),
      bytesOf(pack.model, `${what}.model`),
      pack.signature == null ? null : bytesOf(pack.signature, `${what}.signature`),
    ];
    return files.map((bytes) => this.#copyIn(bytes));
  }

  /** The pixels of `{data, width, height}` (ImageData works) as bytes. */
  #pixels(image) {
    if (!isPixels(image)) {
      throw new SafeFrameError({ kind: 'InvalidArgument', code: 1, message: 'expected pixels { data: RGBA bytes, width, height } (ImageData works)' });
    }
    return bytesOf(image.data, 'pixels.data');
  }

  // --- the API ------------------------------------------------------------------------------

  /** A filter: the primary pack, an optional second-opinion pack, a policy (preset name or JSON
   * text, default `child`), `allowUnsigned` and `failOpen` (both false by default), and an
   * optional PDQ `blocklist` (the bytes of a text or binary list, or the text, as `scan --blocklist`
   * reads; frames that match it are blocked with category `known` and a `match`, whatever the
   * models say; streams of this filter match it too) with `blocklistOptions` `{ maxDistance
   * (0-256, default 31), minQuality (0-100, default 50), allowLowQuality (false), dihedral
   * (true) }`. A list that does not parse throws `InvalidBlocklist`. */
  createFilter({ pack, second, policy, allowUnsigned = false, failOpen = false, blocklist, blocklistOptions } = {}) {
    const json = { policy: policy ?? null, allowUnsigned: !!allowUnsigned, failOpen: !!failOpen };
    if (blocklistOptions != null) json.blocklistOptions = blocklistOptions;
    const buffers = [this.#copyIn(encoder.encode(JSON.stringify(json)))];
    try {
      buffers.push(...this.#pack(pack, 'pack'));
      buffers.push(...(second ? this.#pack(second, 'second') : [[0, 0], [0, 0], [0, 0]]));
      buffers.push(blocklist == null ? [0, 0] : this.#copyIn(bytesOf(blocklist, 'blocklist')));
      const args = buffers.flat();
      const { code } = this.#call(() => this.#x.sf_filter_new(...args));
      return new Filter(this, code);
    } finally {
      this.#free(...buffers);
    }
  }

  /** A bare model (any pack, also a second-opinion one): raw scores per label, no policy. */
  createModel({ pack, allowUnsigned = false } = {}) {
    const buffers = [this.#copyIn(encoder.encode(JSON.stringify({ allowUnsigned: !!allowUnsigned })))];
    try {
      buffers.push(...this.#pack(pack, 'pack'));
      const args = buffers.flat();
      const { code } = this.#call(() => this.#x.sf_model_new(...args));
      return new Model(this, code);
    } finally {
      this.#free(...buffers);
    }
  }

  /** The PDQ hash of pixels (`{data, width, height}`, RGBA) or of encoded image bytes:
   * `{ hash: 64 hex characters, quality }`. */
  pdqHash(input) {
    if (isPixels(input)) {
      const buffer = this.#copyIn(this.#pixels(input));
      try {
        return this.#call(() => this.#x.sf_pdq_rgba(buffer[0], buffer[1], input.width >>> 0, input.height >>> 0)).result;
      } finally {
        this.#free(buffer);
      }
    }
    const buffer = this.#copyIn(bytesOf(input, 'pdqHash'));
    try {
      return this.#call(() => this.#x.sf_pdq_encoded(...buffer)).result;
    } finally {
      this.#free(buffer);
    }
  }

  /** The wasm instance's memory size in bytes now (it grows, never shrinks). */
  memoryBytes() {
    return this.#x.memory.buffer.byteLength;
  }

  // --- used by Filter, Model and Stream -----------------------------------------------------

  _encoded(handle, bytes) {
    const buffer = this.#copyIn(bytesOf(bytes, 'bytes'));
    try {
      return this.#timed(() => this.#x.sf_classify_encoded(handle, ...buffer));
    } finally {
      this.#free(buffer);
    }
  }

  _rgba(handle, image) {
    const buffer = this.#copyIn(this.#pixels(image));
    try {
      return this.#timed(() => this.#x.sf_classify_rgba(handle, ...buffer, image.width >>> 0, image.height >>> 0));
    } finally {
      this.#free(buffer);
    }
  }

  /** Runs `run` on a copy of the pixels and copies the redacted pixels back. */
  _inPlace(image, run) {
    const data = this.#pixels(image);
    const buffer = this.#copyIn(data);
    try {
      const out = this.#timed(() => run(buffer));
      this.#copyOut(buffer, data);
      return out;
    } finally {
      this.#free(buffer);
    }
  }

  _filterRgba(handle, image) {
    return this._inPlace(image, ([ptr, len]) => this.#x.sf_filter_rgba(handle, ptr, len, image.width >>> 0, image.height >>> 0));
  }

  _streamNew(filter, options) {
    const buffer = this.#copyIn(encoder.encode(JSON.stringify(options ?? {})));
    try {
      return this.#call(() => this.#x.sf_stream_new(filter, ...buffer)).code;
    } finally {
      this.#free(buffer);
    }
  }

  _streamProcess(handle, image, timestampMs) {
    const out = this._inPlace(image, ([ptr, len]) =>
      this.#x.sf_stream_process(handle, ptr, len, image.width >>> 0, image.height >>> 0, Number(timestampMs)));
    out.verdict.ms = out.ms;
    delete out.ms;
    return out;
  }

  _plain(run) {
    return this.#call(run).result;
  }

  _exports() {
    return this.#x;
  }

  #timed(run) {
    const start = now();
    const { result } = this.#call(run);
    result.ms = now() - start;
    return result;
  }

  _track(owner, handle) { this.#track(owner, handle); }
  _release(owner, handle) { this.#release(owner, handle); }
}

class Handle {
  #sf;
  #handle;

  constructor(sf, handle) {
    this.#sf = sf;
    this.#handle = handle;
    sf._track(this, handle);
  }

  get _sf() { return this.#sf; }

  get _handle() {
    if (this.#handle === 0) throw new SafeFrameError({ kind: 'InvalidArgument', code: 1, message: `this ${this.constructor.name.toLowerCase()} was freed` });
    return this.#handle;
  }

  /** Releases the wasm memory now (a FinalizationRegistry does it otherwise, eventually). */
  free() {
    if (this.#handle !== 0) {
      this.#sf._release(this, this.#handle);
      this.#handle = 0;
    }
  }
}

class Filter extends Handle {
  /** Decodes PNG/JPEG/GIF/BMP/WebP bytes in wasm (the CLI's decoder and limits, EXIF
   * orientation applied, alpha dropped) and classifies them: a Verdict. */
  classifyEncoded(bytes) { return this._sf._encoded(this._handle, bytes); }

  /** Classifies RGBA pixels `{data, width, height}` without changing them: a Verdict. */
  classifyPixels(image) { return this._sf._rgba(this._handle, image); }

  /** Classifies RGBA pixels and redacts them in place (blur or block per the policy; blocked
   * when they cannot be classified, unless failOpen): the Verdict applied. */
  filterPixels(image) { return this._sf._filterRgba(this._handle, image); }

  /** An inline stream on this filter's models and policy: `{ changeThreshold, tiles, maxAgeMs,
   * hold: 'blur'|'block' }`, all optional (the core's defaults). */
  createStream(options = {}) {
    const { changeThreshold, tiles, maxAgeMs, hold } = options;
    const json = {};
    if (changeThreshold !== undefined) json.changeThreshold = changeThreshold;
    if (tiles !== undefined) json.tiles = tiles;
    if (maxAgeMs !== undefined) json.maxAgeMs = maxAgeMs;
    if (hold !== undefined) json.hold = hold;
    return new Stream(this._sf, this._sf._streamNew(this._handle, json));
  }
}

class Model extends Handle {
  /** The labels, in output order. */
  get labels() { return this._sf._plain(() => this._sf._exports().sf_model_labels(this._handle)); }

  /** `{ labels, scores, ms }` of encoded image bytes. */
  classifyEncoded(bytes) { return this._sf._encoded(this._handle, bytes); }

  /** `{ labels, scores, ms }` of RGBA pixels. */
  classifyPixels(image) { return this._sf._rgba(this._handle, image); }
}

class Stream extends Handle {
  /** Processes one RGBA frame (redacted in place) at `timestampMs`:
   * `{ verdict, classified, reused }`. */
  process(image, timestampMs) { return this._sf._streamProcess(this._handle, image, timestampMs); }

  /** The stream's counters (frames, classified, reused, held, blurred, blocked, errors, ...). */
  counters() { return this._sf._plain(() => this._sf._exports().sf_stream_counters(this._handle)); }
}

/** Browser only: the pixels of an ImageBitmap, <img>, <video>, <canvas> or VideoFrame as
 * ImageData, drawn on an (Offscreen)Canvas at the source's own size. */
export function pixelsOf(source) {
  if (isPixels(source) && !(typeof HTMLCanvasElement !== 'undefined' && source instanceof HTMLCanvasElement)) return source;
  const width = source.naturalWidth || source.videoWidth || source.displayWidth || source.width;
  const height = source.naturalHeight || source.videoHeight || source.displayHeight || source.height;
  if (!width || !height) {
    throw new SafeFrameError({ kind: 'InvalidFrame', code: 2, message: 'the source has no pixels yet (not loaded, or 0x0)' });
  }
  const canvas = typeof OffscreenCanvas === 'function'
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(source, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}
