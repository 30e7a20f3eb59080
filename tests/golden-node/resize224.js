#!/usr/bin/env node
// Pre-resize images to 224x224 with the exact rule nsfwjs uses, for the quantization eval set.
//
// Input: a TSV file with lines "<source.png>\t<destination.png>" (absolute or relative to the cwd).
// Each source PNG is decoded with pngjs exactly like golden.js does (8-bit RGBA out, stored RGB kept,
// alpha dropped, gray -> R=G=B), converted to float32 pixel values 0..255, resized with
// tf.image.resizeBilinear(x, [224, 224], alignCorners=true) on the tfjs CPU backend (no antialiasing,
// aspect ratio squashed; source coordinate of output index i is i*(in-1)/223), then rounded to the
// nearest integer (Math.round, i.e. .5 rounds up), clamped to 0..255 and written as an 8-bit RGB PNG.
//
// Usage: node resize224.js list.tsv
'use strict';

const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const { PNG } = require('pngjs');

const SIZE = 224;

function decodePngRgb(file) {
  const img = PNG.sync.read(fs.readFileSync(file));
  const n = img.width * img.height;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = img.data[4 * i];
    rgb[3 * i + 1] = img.data[4 * i + 1];
    rgb[3 * i + 2] = img.data[4 * i + 2];
  }
  return { width: img.width, height: img.height, rgb };
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const list = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim())
    .map((l) => l.split('\t'));
  for (const [src, dst] of list) {
    const { width, height, rgb } = decodePngRgb(src);
    const out = tf.tidy(() => {
      const x = tf.tensor4d(rgb, [1, height, width, 3], 'float32');
      return tf.image.resizeBilinear(x, [SIZE, SIZE], true);
    });
    const v = out.dataSync();
    out.dispose();
    const png = new PNG({ width: SIZE, height: SIZE, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    const data = Buffer.alloc(SIZE * SIZE * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(v[i])));
    png.data = data;
    fs.writeFileSync(dst, PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
  }
  console.log(`resized ${list.length} images to ${SIZE}x${SIZE}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
