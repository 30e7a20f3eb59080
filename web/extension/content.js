// SafeFrame content script: runs at document_start in every frame.
//
// content.css already hides every <img>, <video>, <canvas> and CSS background image. This script
// asks the extension's offscreen document (one model per browser profile) for a verdict on each
// and writes it on the element (data-safeframe / data-sf-bg). It never classifies anything itself:
// images go by URL (the extension fetches the bytes, so cross-origin images are classified too),
// data:/blob: images, canvases and video frames go as pixels.
//
// Invariant: an element carries an "allow"/"blur" verdict only for the exact source that verdict
// was given for. A MutationObserver callback runs before the next paint, so when a source changes
// the verdict attribute is removed before the new picture can be drawn.
(() => {
  'use strict';
  if (globalThis.__safeframeContent) return;
  globalThis.__safeframeContent = true;

  const ATTR = 'data-safeframe';
  const BG = 'data-sf-bg';
  const SHOWN = new Set(['allow', 'blur']);
  const FRAME_MAX_SIDE = 256;      // frames are scaled to fit this before they are sent
  // Scene change, between two model verdicts: at least CHANGED_CELLS of an 8x8 luma grid (1/8 of
  // the picture) changed by more than CELL_LUMA. A cut or a new picture in a quarter of the frame
  // trips it; ordinary motion mostly does not (each trip blurs until the next verdict).
  const CELL_LUMA = 32;
  const CHANGED_CELLS = 8;

  /** element -> { key, verdict } : what we wrote, so a page cannot forge a verdict attribute. */
  const imgState = new WeakMap();
  const bgState = new WeakMap();
  /** video/canvas -> sampler */
  const samplers = new Map();
  let nextStreamId = 1;
  let settings = { enabled: true, videoFps: 4 };
  let off = false;                 // filter off (site allowed or switched off with the PIN)
  let ready = false;

  // ---------------------------------------------------------------- messaging
  // The offscreen document may not exist yet (first start, or Chrome closed it), or may still be
  // starting: ask the service worker to create it and try again, for about 10 s in all.
  async function ask(msg) {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const r = await chrome.runtime.sendMessage({ target: 'offscreen', ...msg });
        if (r) return r;
      } catch (_) { /* no receiver yet */ }
      try { await chrome.runtime.sendMessage({ target: 'sw', type: 'ensure' }); } catch (_) {}
      await new Promise(r => setTimeout(r, Math.min(2000, 50 << attempt)));
    }
    return { action: 'block', error: { kind: 'unavailable', message: 'classifier unavailable' } };
  }

  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  // ---------------------------------------------------------------- <img>, <input type=image>
  function isImg(el) {
    return el.localName === 'img' || (el.localName === 'input' && (el.type || '').toLowerCase() === 'image');
  }

  function imgKey(el) {
    return el.localName === 'img' ? (el.currentSrc || el.src || '') : (el.src || '');
  }

  function resetImg(el) {
    imgState.delete(el);
    el.removeAttribute(ATTR);
  }

  function checkImg(el) {
    if (off) { markOff(el); return; }
    if (el.localName === 'img' && !el.complete) return;   // the document's load/error listeners call back
    const key = imgKey(el);
    const st = imgState.get(el);
    if (st && st.key === key) return;               // pending or done for this very source
    if (!key) { resetImg(el); return; }             // nothing to show
    imgState.set(el, { key, verdict: null });
    el.removeAttribute(ATTR);
    if (el.localName === 'img' && el.naturalWidth === 0) { apply(el, key, { action: 'block', error: { kind: 'load' } }); return; }
    let p;
    if (key.startsWith('blob:')) p = askPixels(el);
    else p = ask({ type: 'classifyUrl', url: key }).then(v => (v.error && el.localName === 'img') ? askPixels(el, v) : v);
    p.then(v => apply(el, key, v), () => apply(el, key, { action: 'block', error: { kind: 'internal' } }));
  }

  /** Pixels of a loaded image drawn into a canvas (fails closed when the canvas is tainted). */
  async function askPixels(el, previous) {
    const px = grab(el, el.naturalWidth, el.naturalHeight);
    if (!px) return previous || { action: 'block', error: { kind: 'tainted' } };
    return ask({ type: 'classifyPixels', ...px });
  }

  function apply(el, key, v) {
    const st = imgState.get(el);
    if (!st || st.key !== key || imgKey(el) !== key) return;   // source changed meanwhile
    const action = verdictAttr(v);
    st.verdict = action;
    setAttr(el, ATTR, action);
  }

  function verdictAttr(v) {
    if (!v || v.error) return 'block';
    if (v.action === 'allow' || v.action === 'warn') return 'allow';
    if (v.action === 'blur') return 'blur';
    return 'block';
  }

  // ---------------------------------------------------------------- pixels
  let scratch = null;
  function grab(src, w, h) {
    if (!w || !h) return null;
    const s = Math.min(1, FRAME_MAX_SIDE / Math.max(w, h));
    const cw = Math.max(1, Math.round(w * s)), ch = Math.max(1, Math.round(h * s));
    if (!scratch) scratch = document.createElement('canvas');
    scratch.width = cw; scratch.height = ch;
    const ctx = scratch.getContext('2d', { willReadFrequently: true });
    try {
      ctx.clearRect(0, 0, cw, ch);
      ctx.drawImage(src, 0, 0, cw, ch);
      const id = ctx.getImageData(0, 0, cw, ch);
      return { width: cw, height: ch, data: b64(id.data) };
    } catch (_) {
      return null;            // tainted (cross-origin without CORS) or not drawable
    }
  }

  function b64(u8) {
    let s = '';
    const CH = 0x8000;
    for (let i = 0; i < u8.length; i += CH) s += String.fromCharCode.apply(null, u8.subarray(i, i + CH));
    return btoa(s);
  }

  /** 8x8 luma signature of what a video/canvas shows now (drawn into 32x32, averaged per 4x4
   * block): a cheap local scene-change check, done on every presented video frame and after
   * every canvas draw. null when the element cannot be read. */
  let sigCanvas = null;
  function signature(el, w, h) {
    if (!w || !h) return null;
    if (!sigCanvas) { sigCanvas = document.createElement('canvas'); sigCanvas.width = 32; sigCanvas.height = 32; }
    const ctx = sigCanvas.getContext('2d', { willReadFrequently: true });
    let d;
    try {
      ctx.clearRect(0, 0, 32, 32);
      ctx.drawImage(el, 0, 0, 32, 32);
      d = ctx.getImageData(0, 0, 32, 32).data;
    } catch (_) { return null; }
    const sig = new Float32Array(64);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
      const i = (y * 32 + x) * 4;
      sig[(y >> 2) * 8 + (x >> 2)] += (0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]) / 16;
    }
    return sig;
  }
  /** How many of the 64 cells changed by more than CELL_LUMA (64 when either is unreadable). */
  function sigDiff(a, b) {
    if (!a || !b) return 64;
    let n = 0;
    for (let g = 0; g < 64; g++) if (Math.abs(a[g] - b[g]) > CELL_LUMA) n++;
    return n;
  }

  // ---------------------------------------------------------------- <video>, <canvas>
  class Sampler {
    constructor(el) {
      this.el = el;
      this.id = `${nextStreamId++}`;
      this.busy = false;
      this.sig = null;
      this.timer = null;
      this.gen = 0;              // bumped on seek/src change: a late verdict for an old frame is dropped
      this.checkQueued = false;
      if (el.localName === 'video') {
        // Every presented frame: a scene change holds the video blurred at once, then a sample.
        if (typeof el.requestVideoFrameCallback === 'function') {
          const onFrame = () => { if (samplers.get(el) !== this) return; this.check(); el.requestVideoFrameCallback(onFrame); };
          el.requestVideoFrameCallback(onFrame);
        }
        for (const ev of ['seeking', 'emptied', 'loadstart']) el.addEventListener(ev, () => this.hold());
        for (const ev of ['loadeddata', 'seeked', 'playing', 'canplay']) el.addEventListener(ev, () => this.sample());
        el.addEventListener('play', () => this.start());
        el.addEventListener('pause', () => { this.stop(); this.sample(); });
        el.addEventListener('ended', () => this.stop());
        if (el.readyState >= 2) this.sample(); else this.hold();
        if (!el.paused) this.start();
      } else {
        this.start();             // a canvas can be redrawn at any time: sample it at the same rate
        this.sample();
      }
    }
    size() {
      const el = this.el;
      return el.localName === 'video' ? [el.videoWidth, el.videoHeight] : [el.width, el.height];
    }
    /** Scene-change check between samples (after a canvas draw, on a new video frame). */
    check() {
      if (off || this.el.getAttribute(ATTR) === 'hold') { if (!this.busy && !off) this.sample(); return; }
      const sig = signature(this.el, ...this.size());
      if (sigDiff(sig, this.sig) >= CHANGED_CELLS) { this.hold(); this.sample(); }
    }
    /** A page drew on this canvas: check once, when the page's task is done (before the paint). */
    dirty() {
      if (this.checkQueued) return;
      this.checkQueued = true;
      queueMicrotask(() => { this.checkQueued = false; this.check(); });
    }
    hold() {
      this.gen++;
      this.sig = null;
      if (this.el.getAttribute(ATTR) !== 'block') setAttr(this.el, ATTR, 'hold');
      imgState.set(this.el, { key: 'stream', verdict: this.el.getAttribute(ATTR) });
    }
    start() {
      this.stop();
      const fps = Math.max(0.2, Math.min(30, Number(settings.videoFps) || 4));
      this.timer = setInterval(() => this.sample(), 1000 / fps);
    }
    stop() { if (this.timer) clearInterval(this.timer); this.timer = null; }
    async sample() {
      const el = this.el;
      if (off) { markOff(el); return; }
      if (this.busy || !el.isConnected) { if (!el.isConnected) this.dispose(); return; }
      const video = el.localName === 'video';
      if (video && el.readyState < 2) return;
      const [w, h] = this.size();
      const px = grab(el, w, h);
      if (!px) { setAttr(el, ATTR, 'block'); imgState.set(el, { key: 'stream', verdict: 'block' }); return; } // tainted: fail closed
      // The signature of the very pixels sent (the scratch canvas), not a second read of the
      // element: a playing video can present a new frame between two reads, and a grey frame
      // classified under a red frame's signature would let the red frame through as "allow".
      const sig = signature(scratch, px.width, px.height);
      if (sigDiff(sig, this.sig) >= CHANGED_CELLS) this.hold();      // scene change: blur until the verdict is back
      const gen = this.gen;
      this.busy = true;
      let r;
      try {
        r = await ask({ type: 'frame', stream: this.id, t: performance.now(), ...px });   // monotonic, also across seeks
      } finally { this.busy = false; }
      if (gen !== this.gen) { this.sample(); return; }             // seeked meanwhile: sample again
      const action = verdictAttr(r && r.verdict ? r.verdict : r);
      this.sig = sig;
      setAttr(el, ATTR, action);
      imgState.set(el, { key: 'stream', verdict: action });
    }
    dispose() {
      this.stop();
      samplers.delete(this.el);
      ask({ type: 'endStream', stream: this.id }).catch(() => {});
    }
  }

  function checkMedia(el) {
    if (off) { markOff(el); return; }
    if (!samplers.has(el)) samplers.set(el, new Sampler(el));
  }

  // ---------------------------------------------------------------- CSS backgrounds
  const URL_RE = /url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)]*?))\s*\)/g;

  /** Reads the real background images of many elements with one style recalculation. */
  function probeBackgrounds(els) {
    if (off) { els.forEach(markOff); return; }
    const list = [];
    for (const el of els) if (el.nodeType === 1) list.push([el, el.getAttribute(BG)]);
    if (!list.length) return;
    for (const [el] of list) el.setAttribute(BG, 'probe');
    const found = list.map(([el]) => {
      const cs = getComputedStyle(el);
      return [cs.backgroundImage, getComputedStyle(el, '::before').backgroundImage, getComputedStyle(el, '::after').backgroundImage].join(' ');
    });
    for (let i = 0; i < list.length; i++) {
      const [el, old] = list[i];
      if (old === null) el.removeAttribute(BG); else el.setAttribute(BG, old);
    }
    for (let i = 0; i < list.length; i++) {
      const el = list[i][0];
      const urls = [];
      let m;
      URL_RE.lastIndex = 0;
      while ((m = URL_RE.exec(found[i]))) urls.push(m[1] ?? m[2] ?? m[3]);
      const key = urls.join('\n');
      const st = bgState.get(el);
      if (st && st.key === key) { if (st.verdict) setAttr(el, BG, st.verdict); continue; }
      if (!urls.length) {
        // No image: gradients only or nothing. "none" stays under the hiding rule, so a stylesheet
        // that later gives it an image shows nothing until it is probed again.
        const v = found[i].includes('gradient(') ? 'allow' : 'none';
        bgState.set(el, { key, verdict: v });
        setAttr(el, BG, v);
        continue;
      }
      bgState.set(el, { key, verdict: null });
      setAttr(el, BG, 'pending');
      Promise.all(urls.map(u => ask({ type: 'classifyUrl', url: new URL(u, document.baseURI).href })))
        .then(vs => {
          const cur = bgState.get(el);
          if (!cur || cur.key !== key) return;
          const order = { allow: 0, blur: 1, block: 2 };
          const worst = vs.map(verdictAttr).reduce((a, b) => (order[b] > order[a] ? b : a), 'allow');
          cur.verdict = worst;
          setAttr(el, BG, worst);
        }, () => { const cur = bgState.get(el); if (cur && cur.key === key) { cur.verdict = 'block'; setAttr(el, BG, 'block'); } });
    }
  }

  // ---------------------------------------------------------------- discovery
  function markOff(el) {
    if (isImg(el) || el.localName === 'video' || el.localName === 'canvas') {
      imgState.set(el, { key: 'off', verdict: 'allow' });
      setAttr(el, ATTR, 'allow');
    }
    bgState.set(el, { key: 'off', verdict: 'allow' });
    setAttr(el, BG, 'allow');
  }

  function visit(el, bgs) {
    if (isImg(el)) checkImg(el);
    else if (el.localName === 'video' || el.localName === 'canvas') checkMedia(el);
    bgs.push(el);
  }

  function scan(root) {
    const bgs = [];
    if (root.nodeType === 1) visit(root, bgs);
    const all = root.querySelectorAll ? root.querySelectorAll('*') : [];
    for (const el of all) visit(el, bgs);
    probeBackgrounds(bgs);
  }

  /** Re-probes everything when style sheets change (a new sheet can give any element an image). */
  let restyleQueued = false;
  function restyleAll() {
    if (restyleQueued) return;
    restyleQueued = true;
    queueMicrotask(() => { restyleQueued = false; probeBackgrounds(Array.from(document.querySelectorAll('*'))); });
  }

  function onMutations(records) {
    if (!ready) return;
    const bgs = new Set();
    let restyle = false;
    for (const r of records) {
      if (r.type === 'childList') {
        for (const n of r.addedNodes) {
          if (n.nodeType !== 1) { if (r.target.localName === 'style') restyle = true; continue; }
          if (n.localName === 'style' || n.localName === 'link') restyle = true;
          const inner = [];
          visit(n, inner);
          for (const e of n.querySelectorAll('*')) visit(e, inner);
          inner.forEach(e => bgs.add(e));
        }
        for (const n of r.removedNodes) if (n.localName === 'style' || n.localName === 'link') restyle = true;
        continue;
      }
      const el = r.target, name = r.attributeName;
      if (name === ATTR) {
        // Only our own verdict may stand: a page writing data-safeframe gets it reverted.
        const st = imgState.get(el);
        const want = st ? st.verdict : null;
        if (off) continue;
        if (want == null) { if (el.hasAttribute(ATTR)) el.removeAttribute(ATTR); }
        else if (el.getAttribute(ATTR) !== want) el.setAttribute(ATTR, want);
        continue;
      }
      if (name === BG) {
        const st = bgState.get(el), v = el.getAttribute(BG);
        if (v === 'probe' || off) continue;     // our own probe, already undone
        const want = st ? (st.verdict || 'pending') : null;
        if (want == null) { if (v !== null) el.removeAttribute(BG); }
        else if (v !== want) el.setAttribute(BG, want);
        continue;
      }
      if (name === 'src' || name === 'srcset' || name === 'sizes' || name === 'type') {
        if (isImg(el)) { resetImg(el); checkImg(el); }
        else if (el.localName === 'source' && el.parentElement) {
          const p = el.parentElement;
          if (p.localName === 'picture') { const img = p.querySelector('img'); if (img) { resetImg(img); checkImg(img); } }
          else if (p.localName === 'video' && samplers.has(p)) samplers.get(p).hold();
        } else if (el.localName === 'video' && samplers.has(el)) samplers.get(el).hold();
        continue;
      }
      if (name === 'width' || name === 'height') continue;
      // style / class: the element and its subtree may have new backgrounds
      bgs.add(el);
      if (name === 'class' && el.firstElementChild) for (const e of el.querySelectorAll('*')) bgs.add(e);
    }
    if (restyle) restyleAll();
    else if (bgs.size) probeBackgrounds(Array.from(bgs));
  }

  const observer = new MutationObserver(onMutations);
  observer.observe(document, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: [ATTR, BG, 'src', 'srcset', 'sizes', 'style', 'class', 'type'],
  });
  // Style sheets that finish loading later, and images whose load event we need.
  // page-hook.js (page world) reports canvas draws; DOM events cross worlds synchronously.
  document.addEventListener('safeframe:canvas-dirty', e => {
    const c = e.target;
    if (!ready || !c || c.localName !== 'canvas') return;
    if (!samplers.has(c)) checkMedia(c); else samplers.get(c).dirty();
  }, true);
  const onLoad = e => {
    const t = e.target;
    if (!ready || !t || t.nodeType !== 1) return;
    if (t.localName === 'link') restyleAll();
    else if (isImg(t)) checkImg(t);
  };
  document.addEventListener('load', onLoad, true);
  document.addEventListener('error', onLoad, true);

  // ---------------------------------------------------------------- settings
  function siteAllowed(list) {
    const host = location.hostname;
    return (list || []).some(s => host === s || host.endsWith('.' + s));
  }

  function applySettings(s) {
    settings = { ...settings, ...s };
    const wasOff = off;
    off = settings.enabled === false || siteAllowed(settings.allowSites);
    if (off && !wasOff && ready) scan(document);
    if (!off && wasOff && ready) {
      // Back on: forget the free passes and check everything again.
      for (const el of document.querySelectorAll('*')) {
        el.removeAttribute(BG); bgState.delete(el);
        if (el.hasAttribute(ATTR)) resetImg(el);
      }
      samplers.forEach(s => s.dispose());
      scan(document);
    }
    samplers.forEach(s => { if (s.timer) s.start(); });
  }

  chrome.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local') return;
    const s = {};
    for (const [k, v] of Object.entries(changes)) s[k] = v.newValue;
    if (s.preset !== undefined) {
      // New policy: every verdict is stale.
      for (const el of document.querySelectorAll('*')) {
        if (el.hasAttribute(BG)) { el.removeAttribute(BG); bgState.delete(el); }
        if (imgState.has(el) && !samplers.has(el)) resetImg(el);
      }
    }
    applySettings(s);
    if (s.preset !== undefined) scan(document);
  });

  chrome.storage.local.get(['enabled', 'allowSites', 'videoFps']).then(s => {
    applySettings(s || {});
  }, () => {}).finally(() => {
    ready = true;
    scan(document);
  });
})();
