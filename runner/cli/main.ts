#!/usr/bin/env node
// softlab's command line. Commands are imported on demand so that start-up stays
// lean (a fully cached rerun must finish in well under half a second).

import { Command, CommanderError, Option } from 'commander';
import { SOFTLAB_VERSION } from '../version.js';
import { EXIT, exitWith, UsageError } from './exit.js';

const DEFAULT_SPEC = 'pipelines/cafe-soft-labels.yaml';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function cacheDirOption(): Option {
  return new Option('--cache-dir <dir>', 'cache directory (default: $SOFTLAB_CACHE_DIR or .softlab/cache)');
}

async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('softlab')
    .description('Run machine-learning experiments declared in YAML as a DAG of cached steps.')
    .version(SOFTLAB_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  let code: number = EXIT.ok;

  program
    .command('run')
    .description('run a pipeline: execute what changed, take the rest from the cache')
    .argument('[spec]', 'pipeline spec', DEFAULT_SPEC)
    .option('--set <node.param=value>', 'override a param for every variant (repeatable; also params.name=value)', collect, [])
    .option('--sweep <node.param=v1,v2,...>', 'add or replace a sweep axis (repeatable)', collect, [])
    .option('-j, --jobs <n>', 'worker slots (default: number of cores)')
    .option('--force <node>', 're-execute a node and everything downstream of it (repeatable)', collect, [])
    .option('--only <node>', 'run only this node and its upstream (repeatable)', collect, [])
    .option('--dry-run', 'show what would run, and what the cache already holds, without running')
    .option('--no-tui', 'plain line output instead of the live terminal view')
    .option('--json', 'print the run summary as JSON on stdout (logs on stderr)')
    .option('--out <dir>', 'results folder (default: results/<pipeline>)')
    .option('--executor <name>', 'where nodes run: local or slurm')
    .option('--slurm-partition <name>', 'Slurm partition')
    .option('--slurm-account <name>', 'Slurm account')
    .option('--slurm-qos <name>', 'Slurm QOS')
    .option('--slurm-time <limit>', 'Slurm time limit, e.g. 01:00:00')
    .option('--slurm-arg <arg>', 'extra sbatch argument (repeatable)', collect, [])
    .addOption(cacheDirOption())
    .action(async (spec: string, opts) => {
      const { runCommand } = await import('../commands/run.js');
      code = await runCommand(spec, opts);
    });

  program
    .command('validate')
    .description('check a spec: exit 0 if valid, 2 with located messages if not')
    .argument('[spec]', 'pipeline spec', DEFAULT_SPEC)
    .option('--set <node.param=value>', 'override a param (repeatable)', collect, [])
    .option('--sweep <node.param=v1,v2,...>', 'add or replace a sweep axis (repeatable)', collect, [])
    .action(async (spec: string, opts) => {
      const { validateCommand } = await import('../commands/validate.js');
      code = await validateCommand(spec, opts);
    });

  program
    .command('dag')
    .description("print a pipeline's DAG")
    .argument('[spec]', 'pipeline spec', DEFAULT_SPEC)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'dot']).default('text'))
    .option('--set <node.param=value>', 'override a param (repeatable)', collect, [])
    .option('--sweep <node.param=v1,v2,...>', 'add or replace a sweep axis (repeatable)', collect, [])
    .action(async (spec: string, opts) => {
      const { dagCommand } = await import('../commands/dag.js');
      code = await dagCommand(spec, opts);
    });

  program
    .command('status')
    .description('for each node: cached, or stale and why (params, inputs or code changed)')
    .argument('[spec]', 'pipeline spec', DEFAULT_SPEC)
    .option('--set <node.param=value>', 'override a param (repeatable)', collect, [])
    .option('--sweep <node.param=v1,v2,...>', 'add or replace a sweep axis (repeatable)', collect, [])
    .option('--json', 'print the status as JSON')
    .addOption(cacheDirOption())
    .action(async (spec: string, opts) => {
      const { statusCommand } = await import('../commands/status.js');
      code = await statusCommand(spec, opts);
    });

  program
    .command('nodes')
    .description('list node types with their inputs, outputs and params')
    .argument('[type]', 'show one node type')
    .option('--json', 'print as JSON')
    .action(async (type: string | undefined, opts) => {
      const { nodesCommand } = await import('../commands/nodes.js');
      code = await nodesCommand(type, opts);
    });

  program
    .command('gc')
    .description('remove cache entries and objects that no recent run or given spec references')
    .option('--spec <spec>', 'keep everything this spec uses (repeatable)', collect, [])
    .option('--keep-days <n>', 'keep what runs of the last N days used', '30')
    .option('--dry-run', 'only say what would be removed')
    .addOption(cacheDirOption())
    .action(async (opts) => {
      const { gcCommand } = await import('../commands/gc.js');
      code = await gcCommand(opts);
    });

  program
    .command('verify')
    .description('re-hash every cache object and entry; list the corrupt ones (exit 1 if any)')
    .option('--json', 'print the findings as JSON')
    .addOption(cacheDirOption())
    .action(async (opts) => {
      const { verifyCommand } = await import('../commands/verify.js');
      code = await verifyCommand(opts);
    });

  program
    .command('exec')
    .description('run one node from a task file in this process (what a Slurm job runs; see --executor slurm)')
    .argument('<task>', 'task file written by `softlab run --executor slurm`, or a node key')
    .addOption(cacheDirOption())
    .action(async (task: string, opts) => {
      const { execCommand } = await import('../commands/exec.js');
      code = await execCommand(task, opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors have already been printed by commander
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    throw e;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => exitWith(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`softlab: ${e.message}\n`);
      exitWith(EXIT.usage);
      return;
    }
    // a bug in softlab itself: this is the one place a stack trace is right
    process.stderr.write(`softlab: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    exitWith(EXIT.failed);
  },
);
