// Shared by the extension test pages: the cross-origin base (second 127.0.0.1 port) comes in ?x=.
window.X = new URLSearchParams(location.search).get('x') || location.origin + '/';
/** URL of a generated PNG: top-left quadrant `tl`, the rest `rest` (hex RGB), w x h. */
window.gen = (base, tl, rest, w, h, tag) => `${base}gen/q/${tl}/${rest}/${w}x${h}/${tag}.png`;
/** Resolves when every element matched by `sel` carries a verdict (data-safeframe). */
window.verdicts = (sel, attr = 'data-safeframe') => new Promise(resolve => {
  const done = () => Array.from(document.querySelectorAll(sel)).every(e => {
    const v = e.getAttribute(attr);
    return v === 'allow' || v === 'blur' || v === 'block';
  });
  const tick = () => (done() ? resolve() : setTimeout(tick, 20));
  tick();
});
