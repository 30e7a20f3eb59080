// The JavaScript API of the wasm build in Node (no browser): oracle verdicts, fail-closed, typed
// errors, pack trust, streams, PDQ, blocklists and memoryBytes. Reads web/dist (./scripts/web-build).
//   node --test web/tests/api.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafeFrameError } from '../dist/safeframe.js';
import {
  loadDist, distPack, fixture, rgbaOf, solid, maxScoreDiff, readPack, root,
} from './wasm-fixtures.mjs';

const sf = await loadDist();
const cases = JSON.parse(readFileSync(fixture('oracle', 'oracle-cases.json'), 'utf8'));
const oracle = distPack('oracle');

const RED = [255, 0, 0];
const GREY = [128, 128, 128];
// tests/src/doors.rs TWO_MODEL_POLICY: red (porn 0.95) needs the second model, grey does not.
const TWO_MODEL_POLICY = JSON.stringify({
  name: 'two-models',
  rules: [
    { categories: ['hentai'], threshold: 0.99, action: 'blur' },
    { when: [{ model: 'primary', labels: ['porn'], threshold: 0.3 }, { model: 'second', labels: ['porn'], threshold: 0.9 }], action: 'block' },
  ],
});

/** Expects `run` to throw a SafeFrameError of `kind`. */
function throwsKind(run, kind) {
  assert.throws(run, (error) => {
    assert.ok(error instanceof SafeFrameError, `not a SafeFrameError: ${error}`);
    assert.equal(error.kind, kind, error.message);
    assert.equal(typeof error.code, 'number');
    assert.ok(error.code > 0);
    return true;
  });
}

test('reports its version', () => {
  assert.match(sf.version, /^\d+\.\d+\.\d+/);
});

test('error kinds and codes are those of the C header (the bindings\' one error table)', () => {
  const header = readFileSync(join(root, 'bindings', 'include', 'safeframe.h'), 'utf8');
  const defined = new Map([...header.matchAll(/^#define SAFEFRAME_ERROR_([A-Z_]+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  const screaming = (kind) => kind.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  assert.equal(sf.errorKinds.length, defined.size);
  for (const { kind, code } of sf.errorKinds) assert.equal(defined.get(screaming(kind)), code, kind);
});

test('every oracle case gets the verdict and scores oracle-cases.json expects, under every preset', () => {
  for (const preset of ['child', 'teen', 'adult']) {
    const filter = sf.createFilter({ pack: oracle, policy: preset });
    for (const c of cases.cases) {
      const image = rgbaOf(c.image, c.width, c.height);
      const verdict = filter.classifyPixels(image);
      const want = c.expected[preset];
      assert.equal(verdict.action, want.action, `${preset} ${c.name}`);
      assert.equal(verdict.category, want.category, `${preset} ${c.name}`);
      assert.ok(maxScoreDiff(verdict.scores, c.expected_scores) <= cases.score_tolerance, `${c.name}: ${JSON.stringify(verdict.scores)}`);
      assert.ok(verdict.ms >= 0 && Number.isFinite(verdict.ms));
      assert.equal(verdict.error, undefined);
      assert.ok(verdict.rule === null || Number.isInteger(verdict.rule));
    }
    filter.free();
  }
});

test('filterPixels redacts in place: red is blocked (black), grey untouched', () => {
  const filter = sf.createFilter({ pack: oracle });
  const red = solid(RED);
  assert.equal(filter.filterPixels(red).action, 'block');
  for (let i = 0; i < red.data.length; i += 4) assert.deepEqual([...red.data.subarray(i, i + 4)], [0, 0, 0, 255]);
  const grey = solid(GREY);
  const before = Uint8Array.from(grey.data);
  assert.equal(filter.filterPixels(grey).action, 'allow');
  assert.deepEqual(Uint8Array.from(grey.data), before);
  // classifyPixels leaves the pixels alone.
  const red2 = solid(RED);
  assert.equal(filter.classifyPixels(red2).action, 'block');
  assert.deepEqual([...red2.data.subarray(0, 4)], [255, 0, 0, 255]);
  filter.free();
});

test('classifyEncoded decodes PNG bytes in wasm like the pixels', () => {
  const filter = sf.createFilter({ pack: oracle });
  // A benign fixture: the oracle reads its top-left quadrant's mean colour.
  const bytes = readFileSync(fixture('golden', 'pixels', readdirFirstPng()));
  const verdict = filter.classifyEncoded(bytes);
  assert.ok(['allow', 'warn', 'blur', 'block'].includes(verdict.action));
  assert.ok(Math.abs(Object.values(verdict.scores).reduce((a, b) => a + b, 0) - 1) < 1e-3);
  filter.free();
});

function readdirFirstPng() {
  const golden = JSON.parse(readFileSync(fixture('golden', 'nsfwjs-scores.json'), 'utf8'));
  return golden.images[0].file.replace(/^pixels\//, '');
}

test('a frame the models cannot classify is blocked (fail closed) or passed (failOpen), with the error', () => {
  const corrupt = { ...oracle, model: Uint8Array.from(oracle.model) };
  corrupt.model[corrupt.model.length - 1] ^= 1;
  for (const failOpen of [false, true]) {
    const filter = sf.createFilter({ pack: oracle, second: corrupt, policy: TWO_MODEL_POLICY, failOpen });
    assert.equal(filter.classifyPixels(solid(GREY)).action, 'allow', 'grey needs no second opinion');
    const red = solid(RED);
    const verdict = filter.filterPixels(red);
    assert.equal(verdict.action, failOpen ? 'allow' : 'block');
    assert.equal(verdict.category, null);
    // The second model loads on first need; its sha256 check fails then (ModelLoad, code 10).
    assert.equal(verdict.error.kind, 'ModelLoad');
    assert.equal(verdict.error.code, 10);
    assert.match(verdict.error.message, /sha256/);
    if (failOpen) {
      assert.deepEqual([...red.data.subarray(0, 4)], [255, 0, 0, 255], 'failing open changed the frame');
    } else {
      assert.ok(red.data.every((v, i) => i % 4 === 3 || v < 8), 'not blocked');
    }
    // classifyPixels: the same verdict, pixels untouched.
    const checked = filter.classifyPixels(solid(RED));
    assert.equal(checked.action, failOpen ? 'allow' : 'block');
    assert.equal(checked.error.kind, 'ModelLoad');
    filter.free();
  }
});

test('bad arguments throw typed errors', () => {
  const filter = sf.createFilter({ pack: oracle });
  throwsKind(() => filter.classifyEncoded(new TextEncoder().encode('not an image')), 'InvalidImage');
  throwsKind(() => filter.classifyEncoded(new Uint8Array(0)), 'InvalidImage');
  const png = readFileSync(fixture('golden', 'pixels', readdirFirstPng()));
  throwsKind(() => filter.classifyEncoded(png.subarray(0, png.length >> 1)), 'InvalidImage');
  throwsKind(() => filter.classifyPixels({ data: new Uint8Array(0), width: 0, height: 0 }), 'InvalidFrame');
  throwsKind(() => filter.classifyPixels({ data: new Uint8Array(16), width: 2, height: 3 }), 'InvalidFrame');
  throwsKind(() => filter.classifyPixels({ data: new Uint8Array(4), width: 20000, height: 1 }), 'FrameTooLarge');
  throwsKind(() => filter.filterPixels({ data: new Uint8Array(4), width: 20000, height: 1 }), 'FrameTooLarge');
  throwsKind(() => filter.classifyPixels('not pixels'), 'InvalidArgument');
  // A PNG header claiming 11264x9989 (over 100 MP, under the side limit) without pixel data:
  // refused from the header, before decoding.
  throwsKind(() => filter.classifyEncoded(pngWithoutPixels(11264, 9989)), 'FrameTooLarge');
  throwsKind(() => filter.classifyEncoded(pngWithoutPixels(20000, 10)), 'InvalidImage');
  throwsKind(() => sf.createFilter({ pack: oracle, policy: 'toddler' }), 'UnknownPreset');
  throwsKind(() => sf.createFilter({ pack: oracle, policy: '{"rules": 3}' }), 'InvalidPolicy');
  throwsKind(() => filter.createStream({ hold: 'warn' }), 'InvalidArgument');
  throwsKind(() => filter.createStream({ tiles: 0 }), 'InvalidArgument');
  filter.free();
  throwsKind(() => filter.classifyPixels(solid(GREY)), 'InvalidArgument');
});

/** A PNG of width x height (8-bit RGB) whose pixel data is missing (an empty IDAT chunk), as
 * tests/src/lib.rs `png_without_pixels`. */
function pngWithoutPixels(width, height) {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const [kind, data] of [['IHDR', ihdr], ['IDAT', new Uint8Array(0)], ['IEND', new Uint8Array(0)]]) {
    const chunk = new Uint8Array(4 + data.length);
    chunk.set(new TextEncoder().encode(kind));
    chunk.set(data, 4);
    const out = new Uint8Array(4 + chunk.length + 4);
    new DataView(out.buffer).setUint32(0, data.length);
    out.set(chunk, 4);
    new DataView(out.buffer).setUint32(4 + chunk.length, crc32(chunk));
    parts.push(out);
  }
  return Buffer.concat(parts);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('packs must be signed by a trusted key unless allowUnsigned; tampered packs are refused always', () => {
  const unsigned = { manifest: oracle.manifest, model: oracle.model };
  throwsKind(() => sf.createFilter({ pack: unsigned }), 'ModelUnsigned');
  sf.createFilter({ pack: unsigned, allowUnsigned: true }).free();
  // Tampering: one byte of the manifest flipped after signing (the JSON stays valid: a letter
  // of the `source` text changes case).
  const manifest = Uint8Array.from(oracle.manifest);
  const at = Buffer.from(manifest).indexOf('generated');
  assert.ok(at > 0);
  manifest[at] ^= 0x20;
  const tampered = { ...oracle, manifest };
  throwsKind(() => sf.createFilter({ pack: tampered }), 'ModelTampered');
  throwsKind(() => sf.createFilter({ pack: tampered, allowUnsigned: true }), 'ModelTampered');
  // A corrupt model whose manifest and signature are intact: the sha256 check.
  const corrupt = { ...oracle, model: Uint8Array.from(oracle.model) };
  corrupt.model[0] ^= 1;
  throwsKind(() => sf.createFilter({ pack: corrupt }), 'ChecksumMismatch');
  // A second-opinion pack is checked when the filter is made.
  throwsKind(() => sf.createFilter({ pack: oracle, second: { ...distPack('oracle-second'), signature: undefined } }), 'ModelUnsigned');
  throwsKind(() => sf.createFilter({ pack: { manifest: new Uint8Array(0), model: oracle.model } }), 'InvalidArgument');
});

test('the faulty-shape oracle pack is refused at load', () => {
  throwsKind(() => sf.createFilter({ pack: readPack(fixture('oracle', 'faulty-shape')) }), 'ModelInterface');
});

test('streams: still frames reuse the verdict, a cut is classified at once, counters add up', () => {
  const filter = sf.createFilter({ pack: oracle });
  const stream = filter.createStream();
  const colours = [GREY, GREY, GREY, RED, RED, RED];
  const out = colours.map((rgb, i) => stream.process(solid(rgb, 64, 48), i * 33));
  assert.deepEqual(out.map((o) => o.verdict.action), ['allow', 'allow', 'allow', 'block', 'block', 'block']);
  assert.equal(out[0].classified, true, 'the first frame is classified');
  assert.equal(out[1].reused, true, 'a still frame reuses the verdict');
  assert.equal(out[1].classified, false);
  assert.equal(out[3].classified, true, 'the cut is classified on its own frame');
  assert.equal(out[3].reused, false);
  const counters = stream.counters();
  assert.equal(counters.frames, 6);
  assert.equal(counters.classified, out.filter((o) => o.classified).length);
  assert.equal(counters.reused, out.filter((o) => o.reused).length);
  assert.equal(counters.classified + counters.reused, counters.frames);
  assert.equal(counters.blocked, 3);
  assert.equal(counters.errors, 0);
  // Frames of a stream are redacted in place.
  const red = solid(RED, 64, 48);
  stream.process(red, 400);
  assert.deepEqual([...red.data.subarray(0, 4)], [0, 0, 0, 255]);
  throwsKind(() => stream.process(solid(GREY, 64, 48), Number.NaN), 'InvalidArgument');
  stream.free();
  filter.free();
});

test('a stream outlives its filter and fails closed as the filter does', () => {
  const corrupt = { ...oracle, model: Uint8Array.from(oracle.model) };
  corrupt.model[corrupt.model.length - 1] ^= 1;
  const filter = sf.createFilter({ pack: oracle, second: corrupt, policy: TWO_MODEL_POLICY });
  const stream = filter.createStream();
  filter.free();
  assert.equal(stream.process(solid(GREY), 0).verdict.action, 'allow');
  const red = solid(RED);
  assert.equal(stream.process(red, 100).verdict.action, 'block');
  assert.ok(red.data.every((v, i) => i % 4 === 3 || v < 8));
  assert.equal(stream.counters().errors, 1);
  stream.free();
});

test('pdqHash of pixels and of encoded PNGs equals the reference vectors', () => {
  const rows = readFileSync(fixture('pdq-vectors', 'vectors.tsv'), 'utf8').trim().split('\n').slice(1);
  let checked = 0;
  for (const row of rows) {
    const [file, , , hash, quality] = row.split('\t');
    const bytes = readFileSync(fixture('pdq-vectors', file));
    const ours = sf.pdqHash(bytes);
    assert.equal(ours.hash, hash, file);
    assert.equal(ours.quality, Number(quality), file);
    checked++;
  }
  assert.ok(checked >= 10);
  // Pixels: the same hash from RGBA (alpha ignored) as from the PNG's RGB.
  const flat = sf.pdqHash(solid(GREY, 64, 64));
  assert.match(flat.hash, /^[0-9a-f]{64}$/);
  throwsKind(() => sf.pdqHash(new Uint8Array([1, 2, 3])), 'InvalidImage');
});

// --- PDQ blocklists (as `safeframe scan --blocklist`; cli/tests/cli.rs
// scan_with_a_blocklist_blocks_known_content_and_its_rotations) ---------------------------------

const pdqFixture = (name) => readFileSync(fixture('pdq-vectors', name));

/** A binary blocklist (core/src/blocklist/mod.rs, "Binary form") of `[hex, label]` entries. */
function binaryList(entries) {
  const enc = new TextEncoder();
  const hashes = entries.map(([hex]) => Uint8Array.from(hex.match(/../g).map((b) => parseInt(b, 16))));
  const labels = entries.map(([, label]) => enc.encode(label ?? ''));
  const labelBytes = labels.reduce((n, l) => n + l.length, 0);
  const n = entries.length;
  const body = new Uint8Array(36 * n + labelBytes);
  const view = new DataView(body.buffer);
  hashes.forEach((h, i) => body.set(h, 32 * i));
  let end = 0;
  labels.forEach((l, i) => {
    body.set(l, 36 * n + end);
    end += l.length;
    view.setUint32(32 * n + 4 * i, end, true);
  });
  const header = new Uint8Array(24);
  header.set(enc.encode('PDQBLST\0'));
  const h = new DataView(header.buffer);
  h.setUint16(8, 1, true);
  h.setUint16(10, 0, true);
  h.setUint32(12, n, true);
  h.setUint32(16, labelBytes, true);
  h.setUint32(20, crc32(body), true);
  return Buffer.concat([header, body]);
}

/** A benign textured RGBA frame (the CLI test's pattern), optionally rotated 90° clockwise. */
function textured(width, height, rotate = false) {
  const [w, h] = rotate ? [height, width] : [width, height];
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // (x, y) of the rotated image is (y, height - 1 - x) of the original.
      const [sx, sy] = rotate ? [y, height - 1 - x] : [x, y];
      data.set([(sx * 5) % 256, (sy * 7) % 256, (sx * sy) % 251, 255], 4 * (y * w + x));
    }
  }
  return { data, width: w, height: h };
}

test('a blocklist from a fixture image\'s PDQ hash blocks that image (and its rotation) as known, and allows others', () => {
  const listed = pdqFixture('dih-bridge-1-original.png');
  const rotated = pdqFixture('dih-bridge-2-rotate-90.png');
  const other = pdqFixture('labelme-q0122.png');
  const { hash, quality } = sf.pdqHash(listed);
  assert.equal(quality, 100);
  const text = new TextEncoder().encode(`# test list\n${hash} test-entry\n`);
  const plain = sf.createFilter({ pack: oracle });
  const binary = binaryList([['00'.repeat(32), 'zero'], [hash, 'test-entry']]);
  for (const [form, blocklist, entry] of [['text', text, 0], ['binary', binary, 1], ['string', `${hash} test-entry`, 0]]) {
    const filter = sf.createFilter({ pack: oracle, blocklist });
    for (const [name, bytes, distance] of [['listed', listed, 0], ['rotated', rotated, null]]) {
      const verdict = filter.classifyEncoded(bytes);
      assert.equal(verdict.action, 'block', `${form} ${name}`);
      assert.equal(verdict.category, 'known', `${form} ${name}`);
      assert.equal(verdict.rule, null);
      assert.equal(verdict.match.entry, entry, `${form} ${name}`);
      assert.equal(verdict.match.label, 'test-entry');
      if (distance === null) assert.ok(verdict.match.distance <= 31, `${form} ${name}: ${verdict.match.distance}`);
      else assert.equal(verdict.match.distance, distance);
      // The scores are still the model's.
      assert.deepEqual(verdict.scores, plain.classifyEncoded(bytes).scores);
    }
    // Another image: the verdict is the models' alone, as without a list.
    const verdict = filter.classifyEncoded(other);
    assert.equal(verdict.match, undefined, JSON.stringify(verdict));
    assert.notEqual(verdict.category, 'known');
    const without = plain.classifyEncoded(other);
    assert.deepEqual([verdict.action, verdict.category, verdict.scores], [without.action, without.category, without.scores]);
    filter.free();
  }
  // An entry without a label: `label` is null.
  const unlabelled = sf.createFilter({ pack: oracle, blocklist: `${hash}\n` });
  assert.deepEqual(unlabelled.classifyEncoded(listed).match, { entry: 0, distance: 0, label: null });
  unlabelled.free();
  plain.free();
});

test('blocklistOptions: dihedral, maxDistance and the low-quality rule, as MatchOptions', () => {
  const listed = pdqFixture('dih-bridge-1-original.png');
  const rotated = pdqFixture('dih-bridge-2-rotate-90.png');
  const blocklist = `${sf.pdqHash(listed).hash} bridge\n`;
  // Only the frame's own hash: the rotated copy no longer matches.
  const own = sf.createFilter({ pack: oracle, blocklist, blocklistOptions: { dihedral: false } });
  assert.equal(own.classifyEncoded(listed).category, 'known');
  assert.equal(own.classifyEncoded(rotated).match, undefined);
  own.free();
  // A near copy (the shrunk bridge, a few bits away) matches at 31 and not at distance 0.
  const near = pdqFixture('bridge-mods-shrink-a-lot.png');
  const loose = sf.createFilter({ pack: oracle, blocklist });
  const d = loose.classifyEncoded(near).match.distance;
  assert.ok(d > 0 && d <= 31, `distance ${d}`);
  loose.free();
  const exact = sf.createFilter({ pack: oracle, blocklist, blocklistOptions: { maxDistance: 0 } });
  assert.equal(exact.classifyEncoded(near).match, undefined);
  assert.equal(exact.classifyEncoded(listed).match.distance, 0);
  exact.free();
  // A low-quality image (quality 3) is not matched unless allowed, even when listed exactly.
  const low = pdqFixture('labelme-q0003.png');
  const lowList = `${sf.pdqHash(low).hash} low\n`;
  const strict = sf.createFilter({ pack: oracle, blocklist: lowList });
  assert.equal(strict.classifyEncoded(low).match, undefined);
  strict.free();
  const allowed = sf.createFilter({ pack: oracle, blocklist: lowList, blocklistOptions: { allowLowQuality: true } });
  assert.equal(allowed.classifyEncoded(low).category, 'known');
  allowed.free();
  const lowered = sf.createFilter({ pack: oracle, blocklist: lowList, blocklistOptions: { minQuality: 0 } });
  assert.equal(lowered.classifyEncoded(low).category, 'known');
  lowered.free();
});

test('a blocklist applies to pixels, filterPixels (blocked in place) and the filter\'s streams', () => {
  const frame = textured(96, 64);
  const { hash } = sf.pdqHash(frame);
  const filter = sf.createFilter({ pack: oracle, blocklist: `# pixels\n${hash} pattern\n` });
  const verdict = filter.classifyPixels(frame);
  assert.deepEqual([verdict.action, verdict.category, verdict.match], ['block', 'known', { entry: 0, distance: 0, label: 'pattern' }]);
  // The rotated frame matches by its dihedral hashes.
  const turned = filter.classifyPixels(textured(96, 64, true));
  assert.equal(turned.category, 'known');
  assert.ok(turned.match.distance <= 31);
  const copy = textured(96, 64);
  assert.equal(filter.filterPixels(copy).category, 'known');
  assert.ok(copy.data.every((v, i) => i % 4 === 3 || v < 8), 'not blocked');
  // Grey is allowed by the oracle and matches nothing.
  assert.equal(filter.classifyPixels(solid(GREY, 96, 64)).action, 'allow');
  const stream = filter.createStream();
  const out = [solid(GREY, 96, 64), textured(96, 64), textured(96, 64)].map((f, i) => stream.process(f, i * 33));
  assert.equal(out[0].verdict.action, 'allow');
  assert.equal(out[1].verdict.action, 'block');
  assert.equal(out[1].verdict.category, 'known');
  assert.equal(out[1].verdict.match.label, 'pattern');
  assert.equal(out[2].verdict.category, 'known');
  assert.ok(stream.counters().known_matches >= 1, JSON.stringify(stream.counters()));
  stream.free();
  filter.free();
});

test('a blocklist that does not parse is a typed error (InvalidBlocklist, code 17, as native)', () => {
  const { hash } = sf.pdqHash(pdqFixture('dih-bridge-1-original.png'));
  const bad = (blocklist, pattern) => {
    assert.throws(() => sf.createFilter({ pack: oracle, blocklist }), (error) => {
      assert.ok(error instanceof SafeFrameError, `not a SafeFrameError: ${error}`);
      assert.equal(error.kind, 'InvalidBlocklist', error.message);
      assert.equal(error.code, 17);
      assert.match(error.message, pattern);
      return true;
    });
  };
  // Text: the bad line is named (the second here).
  bad(new TextEncoder().encode('# test list\nnot-a-hash\n'), /line 2/);
  bad(`${hash} ok\n${hash.slice(1)}\n`, /line 2/);
  bad(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x10, 0x0a]), /line 1/);
  // Binary: damaged (checksum), truncated, another version.
  const binary = binaryList([[hash, 'x']]);
  const damaged = Buffer.from(binary);
  damaged[30] ^= 1;
  bad(damaged, /checksum/);
  bad(binary.subarray(0, 40), /truncated/);
  const newer = Buffer.from(binary);
  newer[8] = 2;
  bad(newer, /version/);
  // Options: out of range or unknown fields are InvalidArgument, also without a list.
  throwsKind(() => sf.createFilter({ pack: oracle, blocklist: `${hash}\n`, blocklistOptions: { maxDistance: 257 } }), 'InvalidArgument');
  throwsKind(() => sf.createFilter({ pack: oracle, blocklist: `${hash}\n`, blocklistOptions: { minQuality: -1 } }), 'InvalidArgument');
  throwsKind(() => sf.createFilter({ pack: oracle, blocklistOptions: { distance: 3 } }), 'InvalidArgument');
  throwsKind(() => sf.createFilter({ pack: oracle, blocklist: 42 }), 'InvalidArgument');
  // A failed createFilter leaks nothing that a later filter notices.
  const filter = sf.createFilter({ pack: oracle, blocklist: `${hash}\n` });
  assert.equal(filter.classifyEncoded(pdqFixture('dih-bridge-1-original.png')).category, 'known');
  filter.free();
});

test('memoryBytes is the wasm memory\'s size, a multiple of 64 KiB that grows with use', () => {
  const before = sf.memoryBytes();
  assert.ok(Number.isInteger(before) && before > 0 && before % 65536 === 0, String(before));
  const filter = sf.createFilter({ pack: oracle });
  filter.classifyPixels(solid(GREY, 1024, 1024));
  filter.free();
  assert.ok(sf.memoryBytes() >= before);
});
