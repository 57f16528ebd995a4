// The JSON Schema of a spec's structure (node params are checked per node type).

export const NODE_NAME_RE = /^[a-z][a-z0-9_-]*$/;
export const INPUT_REF_RE = /^([a-z][a-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)$/;

const duration = {
  description: 'seconds, or a duration such as "90s", "10m", "2h"',
  anyOf: [
    { type: 'number', exclusiveMinimum: 0 },
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)?\\s*$' },
  ],
};

export const specSchema = {
  type: 'object',
  required: ['pipeline', 'nodes'],
  additionalProperties: false,
  properties: {
    pipeline: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'name; results go to results/<name>/' },
    description: { type: 'string' },
    params: { type: 'object', description: 'pipeline-level values, used as ${params.name}' },
    nodes: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          inputs: {
            type: 'object',
            additionalProperties: {
              anyOf: [
                { type: 'string' },
                { type: 'object', required: ['file'], additionalProperties: false, properties: { file: { type: 'string', minLength: 1 } } },
              ],
            },
          },
          params: { type: 'object' },
          timeout: duration,
          executor: { type: 'string', enum: ['local', 'slurm'] },
          slurm: { type: 'object' },
        },
      },
    },
    sweep: { type: 'object' },
    executor: { type: 'string', enum: ['local', 'slurm'] },
    slurm: { type: 'object' },
  },
} as const;

/** Parse a duration value (validated by the schema) into milliseconds. */
export function durationMs(v: number | string): number {
  if (typeof v === 'number') return v * 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}
