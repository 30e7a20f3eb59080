// SafeFrame options: preset, per-site allow list, video sampling rate and a PIN.
// Every change that weakens the filter (off, allowing a site, a less strict preset, a new PIN)
// needs the PIN when one is set. The PIN is kept as a salted SHA-256, never in clear.
const $ = id => document.getElementById(id);
const STRICT = { child: 0, teen: 1, adult: 2 };
let current = {};

async function hashPin(pin, salt) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${salt}:${pin}`));
  return Array.from(new Uint8Array(d), b => b.toString(16).padStart(2, '0')).join('');
}

async function pinOk() {
  if (!current.pinHash) return true;
  const ok = (await hashPin($('pin').value, current.pinSalt)) === current.pinHash;
  if (!ok) say('Wrong or missing PIN: nothing changed.');
  return ok;
}

function say(text) { $('status').textContent = text; }

async function refresh() {
  current = await chrome.storage.local.get(['enabled', 'preset', 'allowSites', 'videoFps', 'pinHash', 'pinSalt']);
  $('enabled').checked = current.enabled !== false;
  $('preset').value = current.preset || 'child';
  $('videoFps').value = current.videoFps || 4;
  const ul = $('sites');
  ul.replaceChildren();
  for (const site of current.allowSites || []) {
    const li = document.createElement('li');
    li.textContent = site;
    const b = document.createElement('button');
    b.textContent = 'Remove';
    b.onclick = async () => {    // removing a free pass makes the filter stricter: no PIN needed
      await chrome.storage.local.set({ allowSites: (current.allowSites || []).filter(s => s !== site) });
      say(`${site} is filtered again.`); refresh();
    };
    li.append(b);
    ul.append(li);
  }
}

$('enabled').onchange = async () => {
  const on = $('enabled').checked;
  if (!on && !(await pinOk())) { $('enabled').checked = true; return; }
  await chrome.storage.local.set({ enabled: on });
  say(on ? 'Filter on.' : 'Filter off.'); refresh();
};

$('preset').onchange = async () => {
  const next = $('preset').value, prev = current.preset || 'child';
  if (STRICT[next] > STRICT[prev] && !(await pinOk())) { $('preset').value = prev; return; }
  await chrome.storage.local.set({ preset: next });
  say(`Preset ${next}.`); refresh();
};

$('videoFps').onchange = async () => {
  const v = Math.max(0.2, Math.min(30, Number($('videoFps').value) || 4));
  if (v < (current.videoFps || 4) && !(await pinOk())) { refresh(); return; }
  await chrome.storage.local.set({ videoFps: v });
  say(`${v} video frames per second.`); refresh();
};

$('addSite').onclick = async () => {
  let site = $('site').value.trim().toLowerCase();
  try { if (site.includes('/')) site = new URL(site.includes('://') ? site : `https://${site}`).hostname; } catch (_) {}
  if (!site) return;
  if (!(await pinOk())) return;
  const list = new Set(current.allowSites || []);
  list.add(site);
  await chrome.storage.local.set({ allowSites: [...list] });
  $('site').value = '';
  say(`${site} is not filtered.`); refresh();
};

$('setPin').onclick = async () => {
  if (!(await pinOk())) return;
  const pin = $('newPin').value;
  if (!pin) { await chrome.storage.local.remove(['pinHash', 'pinSalt']); say('PIN removed.'); }
  else {
    const salt = Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('');
    await chrome.storage.local.set({ pinSalt: salt, pinHash: await hashPin(pin, salt) });
    say('PIN set.');
  }
  $('pin').value = ''; $('newPin').value = '';
  refresh();
};

refresh();
