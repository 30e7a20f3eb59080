// Shared by the Node tests of the wasm build (node --test web/tests/): paths, loading web/dist,
// and the images the oracle case files describe as data.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = join(root, 'web', 'dist');
export const fixture = (...parts) => join(root, 'tests', 'fixtures', ...parts);

/** The SafeFrame object over web/dist/safeframe.wasm (built by scripts/web-build). */
export async function loadDist() {
  const wasm = join(dist, 'safeframe.wasm');
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run ./scripts/web-build first`);
  const { loadSafeFrame } = await import(join(dist, 'safeframe.js'));
  return loadSafeFrame(readFileSync(wasm));
}

/** A pack folder's files as bytes (`signature` only when the file exists). */
export function readPack(dir) {
  const pack = {
    manifest: readFileSync(join(dir, 'manifest.json')),
    model: readFileSync(join(dir, 'model.onnx')),
  };
  if (existsSync(join(dir, 'signature.json'))) pack.signature = readFileSync(join(dir, 'signature.json'));
  return pack;
}

/** A pack web/dist ships (`oracle`, `nsfwjs-mobilenetv2mid-fp32`, ...). */
export const distPack = (name) => readPack(join(dist, 'packs', name));

/** A pack of the repository's models/ folder. */
export const modelPack = (name) => readPack(join(root, 'models', name));

/** Pixel (x, y) of an image described as in oracle-cases.json / oracle-second-cases.json. */
function pixel(spec, x, y, width, height) {
  switch (spec.kind) {
    case 'solid':
      return spec.rgb;
    case 'quadrants': {
      const left = x < Math.floor(width / 2);
      const top = y < Math.floor(height / 2);
      if (top) return left ? spec.top_left : spec.top_right;
      return left ? spec.bottom_left : spec.bottom_right;
    }
    case 'gradient': {
      const n = spec.axis === 'x' ? width : height;
      const t = spec.axis === 'x' ? x : y;
      if (n === 1) return spec.from;
      return spec.from.map((f, i) => Math.floor((f * (n - 1 - t) + spec.to[i] * t + Math.floor((n - 1) / 2)) / (n - 1)));
    }
    case 'checker':
      return (Math.floor(x / spec.cell) + Math.floor(y / spec.cell)) % 2 === 0 ? spec.a : spec.b;
    default:
      throw new Error(`unknown image kind ${spec.kind}`);
  }
}

/** RGBA pixels `{data, width, height}` (alpha 255) of a described image. */
export function rgbaOf(spec, width, height) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(spec, x, y, width, height);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

export const solid = (rgb, width = 16, height = 12) => rgbaOf({ kind: 'solid', rgb }, width, height);

export const LABELS = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'];

/** The largest |Δ| between two score objects keyed by the five labels. */
export const maxScoreDiff = (a, b) => Math.max(...LABELS.map((l) => Math.abs(a[l] - b[l])));

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
