// SafeFrame service worker: keeps exactly one offscreen document per browser profile alive.
// The offscreen document loads the wasm filter and the packs once and answers every tab.
const OFFSCREEN = 'offscreen.html';
let creating = null;

async function ensureOffscreen() {
  const url = chrome.runtime.getURL(OFFSCREEN);
  const existing = await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'], documentUrls: [url] });
  if (existing.length) return;
  if (!creating) {
    creating = chrome.offscreen.createDocument({
      url: OFFSCREEN,
      reasons: ['WORKERS', 'BLOBS'],
      justification: 'Runs the on-device image classifier (WebAssembly) once for all tabs.',
    }).catch(e => { if (!String(e).includes('single offscreen')) throw e; })
      .finally(() => { creating = null; });
  }
  await creating;
}

chrome.runtime.onInstalled.addListener(async () => {
  const s = await chrome.storage.local.get(['enabled', 'preset', 'allowSites', 'videoFps']);
  const defaults = { enabled: true, preset: 'child', allowSites: [], videoFps: 4 };
  const missing = {};
  for (const [k, v] of Object.entries(defaults)) if (s[k] === undefined) missing[k] = v;
  if (Object.keys(missing).length) await chrome.storage.local.set(missing);
  await ensureOffscreen();
});
chrome.runtime.onStartup.addListener(() => { ensureOffscreen(); });

chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
  if (!msg || msg.target !== 'sw') return false;
  if (msg.type === 'ensure') {
    ensureOffscreen().then(() => sendResponse({ ok: true }), e => sendResponse({ ok: false, error: String(e) }));
    return true;
  }
  if (msg.type === 'settings') {
    chrome.storage.local.get(['enabled', 'preset', 'allowSites', 'videoFps']).then(sendResponse, () => sendResponse({}));
    return true;
  }
  return false;
});

chrome.storage.onChanged.addListener(async (changes, area) => {
  if (area !== 'local' || !changes.preset) return;
  await ensureOffscreen();
  chrome.runtime.sendMessage({ target: 'offscreen', type: 'setPreset', preset: changes.preset.newValue || 'child' }).catch(() => {});
});

ensureOffscreen();
