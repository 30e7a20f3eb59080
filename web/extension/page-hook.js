// SafeFrame, page world (MAIN), document_start: tells the content script when a page draws on a
// <canvas>, so a changed picture is held (blurred) before it is painted instead of waiting for the
// next sample. It only dispatches an event on the canvas (once per canvas per task); all
// decisions stay in the content script's isolated world. A page can undo this hook: it is a
// speed-up over the periodic sampling, not the guarantee.
(() => {
  const EVT = 'safeframe:canvas-dirty';
  const pending = new Set();
  const fire = canvas => {
    if (!canvas || pending.has(canvas) || !canvas.isConnected) return;
    pending.add(canvas);
    queueMicrotask(() => pending.delete(canvas));
    canvas.dispatchEvent(new CustomEvent(EVT, { bubbles: true }));
  };
  const wrap = (proto, names) => {
    if (!proto) return;
    for (const name of names) {
      const orig = proto[name];
      if (typeof orig !== 'function') continue;
      Object.defineProperty(proto, name, {
        configurable: true, writable: true,
        value: { [name](...args) { const r = orig.apply(this, args); fire(this.canvas); return r; } }[name],
      });
    }
  };
  wrap(globalThis.CanvasRenderingContext2D && CanvasRenderingContext2D.prototype,
    ['drawImage', 'putImageData', 'fillRect', 'strokeRect', 'clearRect', 'fill', 'stroke', 'fillText', 'strokeText', 'reset']);
  const gl = ['drawArrays', 'drawElements', 'clear'];
  wrap(globalThis.WebGLRenderingContext && WebGLRenderingContext.prototype, gl);
  wrap(globalThis.WebGL2RenderingContext && WebGL2RenderingContext.prototype, [...gl, 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements']);
  wrap(globalThis.ImageBitmapRenderingContext && ImageBitmapRenderingContext.prototype, ['transferFromImageBitmap']);
})();
