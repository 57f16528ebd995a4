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

// Slurm settings a job takes (spec top level as defaults, or per node)
const slurmJobProperties = {
  partition: { type: 'string', minLength: 1, description: 'Slurm partition (sbatch --partition)' },
  account: { type: 'string', minLength: 1, description: 'Slurm account (sbatch --account)' },
  qos: { type: 'string', minLength: 1, description: 'Slurm quality of service (sbatch --qos)' },
  time: {
    description: 'time limit, minutes or Slurm\'s [D-]HH:MM:SS (sbatch --time)',
    type: ['integer', 'string'],
    minimum: 1,
    pattern: '^\\s*(\\d+-)?\\d+(:\\d+){0,2}\\s*$',
  },
  extra_args: {
    description: 'more sbatch arguments, e.g. ["--constraint=a100"] (a string is split at spaces)',
    type: ['array', 'string'],
    items: { type: 'string' },
  },
} as const;

const slurmNode = { type: 'object', additionalProperties: false, properties: slurmJobProperties } as const;

const slurmTop = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...slurmJobProperties,
    max_jobs: { type: 'integer', minimum: 1, description: "this run's jobs in Slurm's queue at once (default 100)" },
    poll_interval: { ...duration, description: 'between two squeue calls (default 5s)' },
    submit_rate: { type: 'number', exclusiveMinimum: 0, description: 'submissions per second at most (default 10)' },
    probe_grace: { ...duration, description: "how long the shared-filesystem check waits for its marker file after its job ended (default 10s)" },
  },
} as const;

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
          slurm: slurmNode,
        },
      },
    },
    sweep: { type: 'object' },
    report: {
      type: 'object',
      additionalProperties: false,
      description: 'what the sweep report shows',
      properties: {
        metrics: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1 },
          description:
            'headline metrics as node.path.to.figure in the node\'s summary (e.g. agreement.sets.filtered.overall); `*` matches one name (agreement.sets.filtered.per_class.*). Default: the numeric figures that vary between variants',
        },
      },
    },
    executor: { type: 'string', enum: ['local', 'slurm'] },
    slurm: slurmTop,
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
