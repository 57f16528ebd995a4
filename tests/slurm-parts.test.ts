// The Slurm executor's parts that need no cluster: settings and sbatch
// arguments, squeue parsing, Slurm's verdicts as failures, the events-file tail,
// the batch script, and `softlab exec` (the worker side) on a task file.

import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { firstErrorLine, parseSqueue } from '../runner/execute/slurm/commands.js';
import { batchScript, EventTail, filesOfTask, jobFiles, type JobEvent } from '../runner/execute/slurm/job-files.js';
import { jobSettings, runSettings, sbatchArgs, RUN_DEFAULTS } from '../runner/execute/slurm/settings.js';
import { isActive, slurmEndedFailure, slurmTimeMs } from '../runner/execute/slurm/states.js';
import { workerExecArgv } from '../runner/execute/slurm/worker-command.js';
import type { NodeTask, TaskResult } from '../runner/execute/task.js';
import { SOFTLAB_VERSION } from '../runner/version.js';
import { cli } from './helpers/run.js';
import { EMIT_NODE, tempDir } from './helpers/specs.js';

test('job settings: flags over the node\'s merged settings; extra args from both, flags last', () => {
  const s = jobSettings({ partition: 'cpu', account: 'lab', time: 30, extra_args: '--constraint=a100 --exclusive', max_jobs: 3 }, { partition: 'gpu', args: ['--nice=10'] });
  assert.equal(s, { partition: 'gpu', account: 'lab', qos: undefined, time: '30', extraArgs: ['--constraint=a100', '--exclusive', '--nice=10'] });
  assert.equal(jobSettings(undefined), { partition: undefined, account: undefined, qos: undefined, time: undefined, extraArgs: [] });
});

test('run settings: defaults, durations in seconds or with units', () => {
  assert.equal(runSettings(undefined), RUN_DEFAULTS);
  assert.equal(runSettings({ max_jobs: 4, poll_interval: '500ms', submit_rate: 2, probe_grace: 3 }), { maxJobs: 4, pollIntervalMs: 500, submitRate: 2, probeGraceMs: 3000 });
});

test('resources map to sbatch: cpus from threads, --mem from memoryMb, --gres from gpus; extra args last', () => {
  const args = sbatchArgs({ partition: 'gpu', account: 'lab', qos: 'high', time: '01:00:00', extraArgs: ['--cpus-per-task=8'] }, { threads: 4, memoryMb: 3000.5, gpus: 2 });
  assert.equal(args, ['--partition=gpu', '--account=lab', '--qos=high', '--time=01:00:00', '--cpus-per-task=4', '--mem=3001M', '--gres=gpu:2', '--cpus-per-task=8']);
  assert.equal(sbatchArgs({ extraArgs: [] }, {}), ['--cpus-per-task=1']);
});

test('squeue output parses into job states; Slurm error lines are reduced to their message', () => {
  const jobs = parseSqueue('12|RUNNING|None|vm|UNLIMITED\n13|PENDING|Resources||1:00:00\n\n14|CANCELLED+|None|vm|30:00\n');
  assert.equal([...jobs.keys()], ['12', '13', '14']);
  assert.equal(jobs.get('13'), { jobId: '13', state: 'PENDING', reason: 'Resources', nodes: '', timeLimit: '1:00:00' });
  assert.is(jobs.get('14')!.state, 'CANCELLED');
  assert.ok(isActive('PENDING') && isActive('COMPLETING') && !isActive('COMPLETED') && !isActive('TIMEOUT'));
  assert.is(firstErrorLine('sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission failed: Invalid partition name specified\n'), 'invalid partition specified: gpu');
  assert.is(firstErrorLine('slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n'), 'Unable to contact slurm controller (connect failure)');
});

test('Slurm time limits in ms; jobs Slurm ended become failures that name the job, state and reason', () => {
  assert.is(slurmTimeMs('30:00'), 1_800_000);
  assert.is(slurmTimeMs('1:00:00'), 3_600_000);
  assert.is(slurmTimeMs('2-00:00:00'), 172_800_000);
  assert.is(slurmTimeMs('UNLIMITED'), undefined);
  const t = slurmEndedFailure('42', { jobId: '42', state: 'TIMEOUT', reason: 'TimeLimit', nodes: 'n1', timeLimit: '10:00' }, '/c/x.out');
  assert.is(t.kind, 'timeout');
  assert.ok(t.kind === 'timeout' && t.timeoutMs === 600_000);
  assert.match(t.message, 'Slurm stopped job 42 on n1 at its time limit (10:00; TIMEOUT, reason: TimeLimit (job output: /c/x.out))');
  const c = slurmEndedFailure('43', { jobId: '43', state: 'CANCELLED', reason: 'None', nodes: 'n2', timeLimit: 'UNLIMITED' }, '/c/y.out');
  assert.is(c.kind, 'worker-died');
  assert.match(c.message, /^Slurm job 43 on n2 was cancelled outside softlab \(scancel or an administrator; CANCELLED \(job output/);
  assert.is(slurmEndedFailure('44', { jobId: '44', state: 'OUT_OF_MEMORY', reason: 'None', nodes: 'n', timeLimit: '' }, 'o').kind, 'out-of-memory');
  assert.match(slurmEndedFailure('45', { jobId: '45', state: 'NODE_FAIL', reason: 'NodeDown', nodes: 'n3', timeLimit: '' }, 'o').message, /its node on n3 failed \(NODE_FAIL, reason: NodeDown/);
  assert.match(slurmEndedFailure('46', undefined, 'o').message, /Slurm no longer knows it/);
});

test('the events tail returns whole lines only, across appends and split characters', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'k.events.jsonl');
  const tail = new EventTail(file);
  assert.equal(await tail.poll(), [], 'no file yet');
  const ev1: JobEvent = { type: 'message', message: { type: 'log', level: 'info', message: 'héllo – ü' } };
  const ev2: JobEvent = { type: 'message', message: { type: 'progress', done: 1, total: 2 } };
  const line1 = Buffer.from(JSON.stringify(ev1) + '\n');
  const cut = line1.indexOf(Buffer.from('ü')) + 1; // in the middle of a two-byte character
  appendFileSync(file, line1.subarray(0, cut));
  assert.equal(await tail.poll(), [], 'half a line waits');
  appendFileSync(file, Buffer.concat([line1.subarray(cut), Buffer.from(JSON.stringify(ev2) + '\n{"type":"fin')]));
  assert.equal(await tail.poll(), [ev1, ev2]);
  appendFileSync(file, 'ished","ok":true,"time":1}\n');
  assert.equal(await tail.poll(), [{ type: 'finished', ok: true, time: 1 }]);
  assert.equal(await tail.poll(), []);
});

test('the batch script quotes every word for sh; the worker keeps node flags with tsx made absolute', () => {
  const dir = tempDir();
  const script = path.join(dir, 'job.sh');
  writeFileSync(script, batchScript(['printf', '%s|', "it's", 'a b', '$HOME', '`x`'], 'test'), { mode: 0o755 });
  assert.is(execFileSync('sh', [script], { encoding: 'utf8' }), "it's|a b|$HOME|`x`|");
  const argv = workerExecArgv(['--import', 'tsx', '--max-old-space-size=4096', '--inspect-brk']);
  assert.is(argv[0], '--import');
  assert.match(argv[1], /^file:\/\/.*tsx/);
  assert.equal(argv.slice(2), ['--max-old-space-size=4096'], 'debugger flags dropped');
  // from sources, tsx is added when the current process did not have it
  assert.equal(workerExecArgv([]).length, 2);
});

function emitTask(cacheDir: string, params: Record<string, unknown>): NodeTask {
  return {
    key: 'a'.repeat(63) + String(params.value ?? 0).slice(-1),
    name: 'job',
    type: 'test-emit',
    modulePath: EMIT_NODE,
    params: { value: 1, label: 'x', fail: false, sleep_ms: 0, marker: '', ...params },
    specDir: path.dirname(cacheDir),
    cacheDir,
    inputs: {},
    outputs: { data: { kind: 'metrics' } },
    softlabVersion: SOFTLAB_VERSION,
  };
}

test('softlab exec runs a task file: events appended, result written, entry committed; exit 1 for a failed node', async () => {
  const dir = tempDir();
  const cacheDir = path.join(dir, 'cache');
  const runDir = path.join(cacheDir, 'slurm', 'runs', 'r1');
  const files = jobFiles(runDir, emitTask(cacheDir, { value: 5 }).key);
  execFileSync('mkdir', ['-p', runDir]);
  writeFileSync(files.task, JSON.stringify(emitTask(cacheDir, { value: 5, sleep_ms: 250 })));
  const r = await cli(['exec', '--cache-dir', cacheDir, files.task]);
  assert.is(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(files.result, 'utf8')) as TaskResult;
  assert.ok(result.ok);
  const entry = await new CacheStore(cacheDir).lookup(emitTask(cacheDir, { value: 5 }).key);
  assert.ok(entry.hit, 'committed to the cache');
  const events = readFileSync(files.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JobEvent);
  assert.is(events[0].type, 'started');
  assert.ok(events.some((e) => e.type === 'message' && e.message.type === 'log' && e.message.message === 'emitting 5'));
  assert.ok(events.some((e) => e.type === 'message' && e.message.type === 'progress'));
  assert.equal(events.at(-1), { type: 'finished', ok: true, time: (events.at(-1) as { time: number }).time });
  assert.equal(filesOfTask(files.task), files);

  // by key: the newest task file of that key in the cache's Slurm runs
  const failing = emitTask(cacheDir, { value: 6, fail: true });
  const f2 = jobFiles(runDir, failing.key);
  writeFileSync(f2.task, JSON.stringify(failing));
  const r2 = await cli(['exec', '--cache-dir', cacheDir, failing.key]);
  assert.is(r2.code, 1);
  assert.match(r2.stderr, /node "job" failed: node job was told to fail/);
  const res2 = JSON.parse(readFileSync(f2.result, 'utf8')) as TaskResult;
  assert.ok(!res2.ok && res2.failure.kind === 'error');

  const missing = await cli(['exec', '--cache-dir', cacheDir, path.join(dir, 'nope.task.json')]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /cannot read task file .*nope\.task\.json: no such file/);
  assert.not.ok(existsSync(path.join(dir, 'nope.result.json')));
});

test.run();
