#!/usr/bin/env node
// Golden scores for SafeFrame's test fixtures, produced by nsfwjs itself.
//
// For every file in tests/fixtures/images (PNG or JPEG):
//   1. decode it with pure-JS decoders (jpeg-js for JPEG, pngjs for PNG), which always give
//      8-bit RGBA; keep the stored R,G,B and drop A (grayscale comes out as R=G=B, palette
//      images come out as their palette colours);
//   2. write those RGB pixels as a lossless 8-bit RGB PNG to tests/fixtures/golden/pixels/<name>.png,
//      so other implementations can read exactly the pixels nsfwjs saw;
//   3. build an int32 tensor3d [h, w, 3] and give it to nsfwjs's default model (MobileNetV2)
//      through NSFWJS.infer(), i.e. nsfwjs's own preprocessing (toFloat, /255,
//      resizeBilinear(alignCorners=true) to 224x224 unless already 224x224);
//   4. record the five softmax outputs in model output order.
// Output: tests/fixtures/golden/nsfwjs-scores.json
//
// Another bundled nsfwjs model can be chosen with --model=NAME (or NSFWJS_MODEL=NAME), e.g.
// --model=MobileNetV2Mid (224x224 graph model, same preprocessing). Then step 2 does not write the
// pixels: it checks that tests/fixtures/golden/pixels/<name>.png (written by the default run) holds
// exactly the decoded RGB, so every model is scored on the same pixels, and the output is
// tests/fixtures/golden/nsfwjs-<name in lower case>-scores.json (nsfwjs-mobilenetv2mid-scores.json).
//
// Usage: cd tests/golden-node && npm ci && node golden.js [--model=MobileNetV2Mid] [fixture ...]
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');

const HERE = __dirname;
const FIXTURES = path.resolve(HERE, '..', 'fixtures');
const IMAGES = path.join(FIXTURES, 'images');
const GOLDEN = path.join(FIXTURES, 'golden');
const PIXELS = path.join(GOLDEN, 'pixels');
const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const DEFAULT_MODEL = 'MobileNetV2';
// Bundled 224x224 models (nsfwjs's DEFAULT_MODELS); InceptionV3 (299x299) is left out on purpose.
const MODELS = {
  MobileNetV2: 'default model (MobileNetV2, bundled)',
  MobileNetV2Mid: 'model MobileNetV2Mid (bundled tfjs graph model, nsfwjs.load("MobileNetV2Mid"))',
};

function version(pkg) {
  return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

/** Decode a PNG or JPEG file to {width, height, rgb: Uint8Array (h*w*3), info}. */
function decodeRgb(file) {
  const buf = fs.readFileSync(file);
  let width, height, rgba, info;
  if (/\.jpe?g$/i.test(file)) {
    // jpeg-js defaults: formatAsRGBA=true (alpha always 255), tolerantDecoding=true,
    // colorTransform chosen from the JFIF/Adobe markers.
    const img = jpeg.decode(buf, { useTArray: true });
    ({ width, height } = img);
    rgba = img.data;
    info = 'jpeg-js';
  } else if (/\.png$/i.test(file)) {
    // pngjs: always 8-bit RGBA out (16-bit is rescaled, gray -> R=G=B, palette expanded,
    // tRNS -> alpha). No gamma correction, no compositing.
    const img = PNG.sync.read(buf);
    ({ width, height } = img);
    rgba = img.data;
    info = `pngjs colorType=${img.colorType} bitDepth=${img.depth}`;
  } else {
    throw new Error(`unsupported file type: ${file}`);
  }
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`${file}: expected ${n * 4} RGBA bytes, got ${rgba.length}`);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = rgba[4 * i];
    rgb[3 * i + 1] = rgba[4 * i + 1];
    rgb[3 * i + 2] = rgba[4 * i + 2];
  }
  return { width, height, rgb, info };
}

/** Throw unless `file` (an 8-bit RGB PNG written by a default-model run) holds exactly `rgb`. */
function checkRgbPng(file, width, height, rgb) {
  if (!fs.existsSync(file)) throw new Error(`${file} missing: run the default model first (node golden.js)`);
  const img = PNG.sync.read(fs.readFileSync(file));
  if (img.width !== width || img.height !== height) throw new Error(`${file}: size differs from the decoded fixture`);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      if (img.data[4 * i + c] !== rgb[3 * i + c]) throw new Error(`${file}: pixel ${i} differs from the decoded fixture`);
    }
  }
}

function writeRgbPng(file, width, height, rgb) {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const out = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
  fs.writeFileSync(file, out);
  // read it back: the stored pixels must be exactly the ones given to nsfwjs
  const back = PNG.sync.read(out);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      if (back.data[4 * i + c] !== rgb[3 * i + c]) throw new Error(`${file}: PNG round trip changed pixel ${i}`);
    }
  }
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const args = process.argv.slice(2);
  const modelArg = args.find((a) => a.startsWith('--model='));
  const modelName = modelArg ? modelArg.slice('--model='.length) : (process.env.NSFWJS_MODEL || DEFAULT_MODEL);
  if (!(modelName in MODELS)) throw new Error(`unknown model ${modelName}; one of ${Object.keys(MODELS).join(', ')}`);
  const isDefault = modelName === DEFAULT_MODEL;
  const outName = isDefault ? 'nsfwjs-scores.json' : `nsfwjs-${modelName.toLowerCase()}-scores.json`;
  const only = args.filter((a) => !a.startsWith('--model='));
  const files = fs.readdirSync(IMAGES)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .filter((f) => only.length === 0 || only.includes(f))
    .sort();
  fs.mkdirSync(PIXELS, { recursive: true });

  const t0 = Date.now();
  // default: bundled MobileNetV2, 224x224, layers model; MobileNetV2Mid: 224x224 graph model
  const model = isDefault ? await nsfwjs.load() : await nsfwjs.load(modelName);
  if (model.options.size !== 224) throw new Error(`${modelName}: expected input size 224, got ${model.options.size}`);
  console.log(`model ${modelName} loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s; backend=${tf.getBackend()}`);

  const images = [];
  const failures = [];
  for (const f of files) {
    const t1 = Date.now();
    const base = f.replace(/\.(png|jpe?g)$/i, '');
    const pixName = `${base}.png`;
    let entry;
    try {
      const { width, height, rgb, info } = decodeRgb(path.join(IMAGES, f));
      if (isDefault) writeRgbPng(path.join(PIXELS, pixName), width, height, rgb);
      else checkRgbPng(path.join(PIXELS, pixName), width, height, rgb);
      const x = tf.tensor3d(Int32Array.from(rgb), [height, width, 3], 'int32');
      const out = model.infer(x); // nsfwjs's own preprocessing + model.predict: softmax [1, 5]
      const probs = Array.from(await out.data());
      out.dispose();
      // cross-check against the public classify() (sorted top-k of the same tensor)
      const top = await model.classify(x, 5);
      x.dispose();
      for (const t of top) {
        const i = LABELS.indexOf(t.className);
        if (i < 0 || Math.fround(probs[i]) !== Math.fround(t.probability)) {
          throw new Error(`${f}: classify() disagrees with infer() for ${t.className}`);
        }
      }
      if (probs.length !== 5) throw new Error(`${f}: expected 5 outputs, got ${probs.length}`);
      entry = { file: `pixels/${pixName}`, original: `images/${f}`, width, height, decoder: info, scores: probs };
      images.push(entry);
      const best = probs.indexOf(Math.max(...probs));
      console.log(`${f} ${width}x${height} ${LABELS[best]} ${probs.map((p) => p.toFixed(4)).join(' ')} ` +
        `(${((Date.now() - t1) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failures.push({ original: `images/${f}`, error: String(e && e.message ? e.message : e) });
      console.log(`${f} FAILED: ${e && e.stack ? e.stack : e}`);
    }
  }

  const result = {
    source: `nsfwjs@${version('nsfwjs')} ${MODELS[modelName]} via NSFWJS.infer(), ` +
      `@tensorflow/tfjs@${version('@tensorflow/tfjs')} backend=${tf.getBackend()}, ` +
      `decoders jpeg-js@${version('jpeg-js')} and pngjs@${version('pngjs')} (alpha dropped, stored RGB kept), ` +
      `node ${process.version}`,
    generated_by: 'tests/golden-node/golden.js',
    labels: LABELS,
    images,
  };
  if (failures.length) result.failures = failures;
  if (only.length === 0) {
    fs.writeFileSync(path.join(GOLDEN, outName), JSON.stringify(result, null, 1) + '\n');
    console.log(`wrote ${outName}: ${images.length} scores, ${failures.length} failures, in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } else {
    console.log(JSON.stringify(result, null, 1));
  }
  if (failures.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
