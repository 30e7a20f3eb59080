// Golden parity of the wasm build (tract engine) in Node: the checks of tests/tests/golden.rs
// (module `tract`), run on the shipped wasm instead of a second native tract build.
//   - nsfwjs MobileNetV2Mid (the default) and MobileNetV2, fp32: max |Δp| <= 1e-4 against
//     nsfwjs's own scores on every golden fixture, top-1 equal;
//   - open_nsfw fp32 against its reference preprocessing: max |Δp| <= 1e-3;
//   - every int8 pack loads and runs, within the int8 |Δp| budget (0.10) of its fp32 pack;
//   - the oracle packs score every case as the case files say; the faulty-shape pack is refused.
// The fixtures are the PNGs in tests/fixtures/golden/pixels, decoded by the wasm's decoder (the
// CLI's) exactly as the native test decodes them. Needs web/dist (./scripts/web-build) and
// models/open-nsfw-fp32/model.onnx (./scripts/setup-models).
//   node --test web/tests/golden.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadDist, modelPack, fixture, rgbaOf, maxScoreDiff, readPack, LABELS, median,
} from './wasm-fixtures.mjs';

const sf = await loadDist();
const TOLERANCE = 1e-4;
const OPEN_NSFW_TOLERANCE = 1e-3;
const INT8_MAX_ABS_DIFF = 0.10;

const golden = (file) => JSON.parse(readFileSync(fixture('golden', file), 'utf8'));
const goldenBytes = new Map();
const pngOf = (file) => {
  if (!goldenBytes.has(file)) goldenBytes.set(file, readFileSync(join(fixture('golden'), file)));
  return goldenBytes.get(file);
};
const argmax = (values) => values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
const maxDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** Raw scores (model output order) of every golden image on one pack, with the times. */
function scoresOf(pack, images) {
  const model = sf.createModel({ pack });
  const out = images.map((image) => model.classifyEncoded(pngOf(image.file)));
  model.free();
  return { scores: out.map((o) => o.scores), ms: out.map((o) => o.ms) };
}

/** fp32 scores per image, kept for the int8 comparisons. */
const fp32Scores = new Map();

function matchesNsfwjs(t, packName, goldenFile) {
  const { labels, images } = golden(goldenFile);
  assert.deepEqual(labels, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
  assert.ok(images.length >= 40, `only ${images.length} golden images`);
  // Through the filter: the verdict's scores by category, as the native test's `classify`.
  const filter = sf.createFilter({ pack: modelPack(packName) });
  let worst = [0, ''];
  const ms = [];
  const raw = [];
  for (const image of images) {
    const verdict = filter.classifyEncoded(pngOf(image.file));
    assert.equal(verdict.error, undefined, `${image.file}: ${JSON.stringify(verdict.error)}`);
    const ours = LABELS.map((l) => verdict.scores[l]);
    const diff = maxDiff(ours, image.scores);
    assert.ok(diff <= TOLERANCE, `${image.file}: |Δp| ${diff} (ours ${ours}, nsfwjs ${image.scores})`);
    assert.equal(argmax(ours), argmax(image.scores), `${image.file}: top-1 differs`);
    if (diff > worst[0]) worst = [diff, image.file];
    ms.push(verdict.ms);
    raw.push(ours);
  }
  filter.free();
  fp32Scores.set(packName, raw);
  t.diagnostic(`${packName} on wasm/tract: max |Δp| ${worst[0].toExponential(2)} on ${worst[1]} (${images.length} images); ` +
    `classifyEncoded median ${median(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
}

test('the default MobileNetV2Mid fp32 pack matches nsfwjs on every fixture', (t) => {
  matchesNsfwjs(t, 'nsfwjs-mobilenetv2mid-fp32', 'nsfwjs-mobilenetv2mid-scores.json');
});

test('the MobileNetV2 fp32 pack matches nsfwjs on every fixture', (t) => {
  matchesNsfwjs(t, 'nsfwjs-mobilenetv2-fp32', 'nsfwjs-scores.json');
});

test('open_nsfw fp32 matches its reference preprocessing on every fixture', (t) => {
  const reference = golden('open-nsfw-scores.json');
  assert.deepEqual(reference.labels, ['sfw', 'nsfw']);
  assert.ok(reference.images.length >= 40);
  const { scores, ms } = scoresOf(modelPack('open-nsfw-fp32'), reference.images);
  let worst = [0, ''];
  reference.images.forEach((image, i) => {
    const diff = maxDiff(scores[i], image.scores);
    assert.ok(diff <= OPEN_NSFW_TOLERANCE, `${image.file}: |Δp| ${diff} (ours ${scores[i]}, reference ${image.scores})`);
    if (diff > worst[0]) worst = [diff, image.file];
  });
  fp32Scores.set('open-nsfw', scores);
  t.diagnostic(`open-nsfw-fp32 on wasm/tract: max |Δp| ${worst[0].toExponential(2)} on ${worst[1]} ` +
    `(${reference.images.length} images); median ${median(ms).toFixed(1)} ms`);
});

// The int8 packs on tract against their fp32 pack (the native test also compares with int8 on
// ONNX Runtime, which does not exist here; fp32 on tract equals fp32 on ONNX Runtime within
// 1e-4, checked above).
for (const [model, fp32Key, goldenFile] of [
  ['nsfwjs-mobilenetv2mid', 'nsfwjs-mobilenetv2mid-fp32', 'nsfwjs-mobilenetv2mid-scores.json'],
  ['nsfwjs-mobilenetv2', 'nsfwjs-mobilenetv2-fp32', 'nsfwjs-scores.json'],
  ['open-nsfw', 'open-nsfw', 'open-nsfw-scores.json'],
]) {
  test(`${model}-int8 runs on tract within the int8 budget of its fp32 pack`, (t) => {
    const { images } = golden(goldenFile);
    const reference = fp32Scores.get(fp32Key);
    assert.ok(reference, `the ${fp32Key} test must run first`);
    const { scores, ms } = scoresOf(modelPack(`${model}-int8`), images);
    let worst = 0;
    let top1 = 0;
    scores.forEach((ours, i) => {
      worst = Math.max(worst, maxDiff(ours, reference[i]));
      top1 += argmax(ours) === argmax(reference[i]) ? 1 : 0;
    });
    t.diagnostic(`${model}-int8 on wasm/tract vs fp32: max |Δp| ${worst.toFixed(4)}, top-1 ${top1}/${images.length}; ` +
      `median ${median(ms).toFixed(1)} ms`);
    assert.ok(worst <= INT8_MAX_ABS_DIFF, `${model}-int8: |Δp| ${worst}`);
  });
}

test('the oracle packs score every case as the case files say', () => {
  const cases = JSON.parse(readFileSync(fixture('oracle', 'oracle-cases.json'), 'utf8'));
  const oracle = sf.createModel({ pack: readPack(fixture('oracle', 'oracle')) });
  for (const c of cases.cases) {
    const { labels, scores } = oracle.classifyPixels(rgbaOf(c.image, c.width, c.height));
    const byLabel = Object.fromEntries(labels.map((l, i) => [l.toLowerCase(), scores[i]]));
    const diff = maxScoreDiff(byLabel, c.expected_scores);
    assert.ok(diff <= cases.score_tolerance, `${c.name}: ${JSON.stringify(byLabel)} differs by ${diff}`);
  }
  oracle.free();
  const second = JSON.parse(readFileSync(fixture('oracle', 'oracle-second-cases.json'), 'utf8'));
  const model = sf.createModel({ pack: readPack(fixture('oracle', second.pack)) });
  for (const c of second.cases) {
    const { labels, scores } = model.classifyPixels(rgbaOf(c.image, c.width, c.height));
    labels.forEach((label, i) => {
      const diff = Math.abs(scores[i] - c.expected_scores[label]);
      assert.ok(diff <= second.score_tolerance, `${c.name} ${label}: ${scores[i]} vs ${c.expected_scores[label]}`);
    });
  }
  model.free();
  // faulty-shape is refused at load. (faulty-nan is not run here: tract's optimiser folds its
  // `log(0) * 0` to 0, so it never outputs NaN; the native test loads it unoptimised.)
  assert.throws(() => sf.createModel({ pack: readPack(fixture('oracle', 'faulty-shape')) }), (e) => e.kind === 'ModelInterface');
});
