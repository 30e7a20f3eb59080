#!/usr/bin/env node
// Extracts one of nsfwjs's bundled models from the npm package into a plain tfjs model
// directory: model.json + group1-shardNofM.bin. MODEL is MobileNetV2 (the default, a tfjs
// layers model) or MobileNetV2Mid (a tfjs graph model).
//
// nsfwjs ships each model file as a browserify/UMD JavaScript wrapper: model.min.js
// exports the model JSON as an object, each group1-shardNofM.min.js exports one weight
// shard as a base64 string. This script resolves them exactly as `nsfwjs.load` does
// (through the package's own model definition, `nsfwjs/models/mobilenet_v2` or
// `nsfwjs/models/mobilenet_v2_mid`, whose `modelJson()` and `weightBundles[i]()` require the
// wrappers) and writes the bytes out.
//
// Usage: node extract_nsfwjs.js OUT_DIR [MODEL]
"use strict";

const fs = require("fs");
const path = require("path");

async function main() {
  const outDir = process.argv[2];
  const modelName = process.argv[3] || "MobileNetV2";
  // model name -> [module specifier, export name]
  const definitions = {
    MobileNetV2: ["nsfwjs/models/mobilenet_v2", "MobileNetV2Model"],
    MobileNetV2Mid: ["nsfwjs/models/mobilenet_v2_mid", "MobileNetV2MidModel"],
  };
  if (!outDir || !(modelName in definitions)) {
    console.error(`usage: node extract_nsfwjs.js OUT_DIR [${Object.keys(definitions).join("|")}]`);
    process.exit(2);
  }
  const [specifier, exportName] = definitions[modelName];

  // nsfwjs's "exports" map hides package.json; find it from the resolved entry point.
  const entry = require.resolve(specifier);
  const pkgPath = path.resolve(path.dirname(entry), "..", "..", "..", "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8"));
  if (pkg.name !== "nsfwjs") throw new Error(`unexpected package at ${pkgPath}`);
  if (pkg.version !== "4.4.0") {
    throw new Error(`expected nsfwjs 4.4.0, found ${pkg.version}; run npm ci`);
  }
  const Model = require(specifier)[exportName];
  if (!Model || Model.name !== modelName) {
    throw new Error(`unexpected model definition ${Model && Model.name}`);
  }

  // nsfwjs unwraps `.default` of the dynamic import; with require() the wrapper's
  // module.exports is the value itself (or sits under .default after __importStar).
  const unwrap = (m) => (m && m.default !== undefined ? m.default : m);

  const loaded = unwrap(await Model.modelJson());
  // Deep copy, dropping the ".default" alias that the import wrapper may add.
  const modelJson = {
    modelTopology: loaded && loaded.modelTopology,
    weightsManifest: loaded && JSON.parse(JSON.stringify(loaded.weightsManifest)),
  };
  for (const k of ["format", "generatedBy", "convertedBy", "trainingConfig", "userDefinedMetadata"]) {
    if (loaded && loaded[k] !== undefined) modelJson[k] = loaded[k];
  }
  if (!modelJson || !modelJson.modelTopology || !modelJson.weightsManifest) {
    throw new Error("model.min.js did not yield a tfjs model JSON");
  }

  const n = Model.numOfWeightBundles;
  const shards = {};
  for (let i = 0; i < n; i++) {
    const name = `group1-shard${i + 1}of${n}`;
    const b64 = unwrap(await Model.weightBundles[i]());
    if (typeof b64 !== "string") {
      throw new Error(`${name}.min.js did not yield a base64 string`);
    }
    shards[name] = Buffer.from(b64, "base64");
  }

  // Every path named in the weights manifest must be one of the extracted shards, and
  // the shard bytes must cover exactly what the weight specs describe.
  const dtypeBytes = { float32: 4, int32: 4, uint8: 1, uint16: 2, bool: 1 };
  let expected = 0;
  const paths = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      if (!(p in shards)) throw new Error(`manifest names unknown shard ${p}`);
      paths.push(p);
    }
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const stored = w.quantization ? w.quantization.dtype : w.dtype;
      if (!(stored in dtypeBytes)) throw new Error(`unsupported dtype ${stored}`);
      expected += count * dtypeBytes[stored];
    }
  }
  const actual = paths.reduce((a, p) => a + shards[p].length, 0);
  if (actual !== expected) {
    throw new Error(`shards hold ${actual} bytes, weight specs need ${expected}`);
  }

  fs.mkdirSync(outDir, { recursive: true });
  for (const p of paths) {
    fs.writeFileSync(path.join(outDir, `${p}.bin`), shards[p]);
  }
  // Loaders look shard files up by the manifest path relative to model.json, so the
  // manifest names the files as written (".bin" added).
  for (const group of modelJson.weightsManifest) {
    group.paths = group.paths.map((p) => `${p}.bin`);
  }
  fs.writeFileSync(path.join(outDir, "model.json"), JSON.stringify(modelJson));
  console.log(
    `extracted nsfwjs ${pkg.version} ${Model.name}: model.json + ${paths.length} shard(s), ${actual} weight bytes -> ${outDir}`
  );
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
