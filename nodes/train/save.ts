// The `model` artifact: the tfjs layers format (model.json + weights.bin), written
// through a custom save handler (tfjs-node's file:// handler is not installed), and
// read back from a folder for `init`.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tflTypes from '@tensorflow/tfjs-layers';
import type { OutputWriter } from '../../runner/node-api.js';
import { UserInputError } from '../../runner/node-api.js';

export const WEIGHTS_FILE = 'weights.bin';

function joinWeights(data: tf.io.ModelArtifacts['weightData']): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/** Save `model` into `out` as model.json + weights.bin; `metadata` goes to userDefinedMetadata. */
export async function saveModel(model: tflTypes.LayersModel, out: OutputWriter, metadata: Record<string, unknown>): Promise<{ bytes: number }> {
  let bytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinWeights(artifacts.weightData);
      bytes = weights.byteLength;
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: metadata,
      };
      await out.writeFile('model.json', JSON.stringify(json));
      await out.writeFile(WEIGHTS_FILE, weights);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: bytes } };
    }),
  );
  return { bytes };
}

/** Load a tfjs LayersModel from a folder holding model.json and its weight files. */
export async function loadModelFromDir(tfl: typeof tflTypes, dir: string, label: string): Promise<tflTypes.LayersModel> {
  const jsonPath = path.join(dir, 'model.json');
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new UserInputError(`${label}: cannot read ${jsonPath} (${(e as Error).message.split('\n')[0]}); point init at a tfjs LayersModel folder`);
  }
  if (!json.modelTopology || !json.weightsManifest) {
    throw new UserInputError(`${label}: ${jsonPath} is not a tfjs layers model (no modelTopology/weightsManifest)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      try {
        buffers.push(await readFile(file));
      } catch {
        throw new UserInputError(`${label}: weight file ${file} named in model.json is missing`);
      }
    }
  }
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const b of buffers) {
    weightData.set(b, o);
    o += b.byteLength;
  }
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs: specs, weightData: weightData.buffer }),
  );
}
