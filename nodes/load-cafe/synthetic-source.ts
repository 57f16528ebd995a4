// `source: synthetic`: the generated CAFE-shaped set, packaged like the others.

import { throwIfAborted, type NodeContext } from '../../runner/node-api.js';
import type { Loaded } from './loaded.js';
import type { LoadCafeParams } from './params.js';
import { generateSynthetic } from './synthetic/generate.js';

export const GENERATOR = 'softlab synthetic CAFE v1';

export async function loadSynthetic(ctx: NodeContext<LoadCafeParams>): Promise<Loaded> {
  const p = ctx.params;
  const started = performance.now();
  const r = await generateSynthetic(
    {
      seed: p.seed,
      children: p.children,
      size: p.size,
      channels: p.channels,
      raters: p.raters,
      ambiguousShare: p.ambiguous_share,
      blendConcentration: p.blend_concentration,
      poseJitter: p.pose_jitter,
      lighting: p.lighting,
      sensorNoise: p.sensor_noise,
    },
    (done, total) => {
      throwIfAborted(ctx.signal);
      ctx.progress(done, total, `${done}/${total} images`);
    },
  );
  ctx.annotate('render_ms', Math.round(performance.now() - started));
  return {
    source: 'synthetic',
    synthetic: true,
    images: r.images.map((im) => ({
      id: im.id,
      child: im.child.id,
      expression: im.expression,
      mouth: im.mouth,
      sex: im.child.sex,
      ethnicity: im.child.ethnicity,
      age: im.child.age,
    })),
    counts: r.counts,
    pixels: r.pixels,
    skipped: [],
    facts: {},
    latent: { blends: r.images.map((im) => im.blend), targets: r.images.map((im) => im.target) },
    extra: {
      generator: GENERATOR,
      seed: p.seed,
      ambiguous_share: p.ambiguous_share,
      blend_concentration: p.blend_concentration,
      pose_jitter: p.pose_jitter,
      lighting: p.lighting,
      sensor_noise: p.sensor_noise,
      /** per image, the latent blend over CAFE_EXPRESSIONS that drew the face and drove the raters */
      blends: r.images.map((im) => im.blend),
      /** per image, the expected share of raters choosing the posed expression the blend was solved for */
      target_agreement: r.images.map((im) => im.target),
    },
  };
}
