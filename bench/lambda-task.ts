/**
 * A digest Task's function run as Lambda runs it, for the digest benchmark:
 * the production handler bundled by esbuild (as the stack bundles it),
 * started in a process of its own with the heap flags Lambda's Node.js
 * runtime gives the function's memory size, its configuration in the
 * environment and the stand-ins' endpoints as its AWS endpoints. The process
 * is the function's alone (the stand-ins live in the caller), so its peak
 * RSS is what the function's memory must hold; over that memory the Task
 * fails as Lambda fails it (`Runtime.OutOfMemory`).
 *
 * Not emulated: the timeout (this machine and the stand-ins are not Lambda
 * and AWS: the time is reported, not enforced), the /tmp limit, the
 * concurrency of the account.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lambdaHeapFlags } from '../config/runtime.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The function of a Task: its handler module and deployed settings. */
export interface LambdaFunctionSpec {
  /** The handler module under `handlers/`, e.g. `reconcile`. */
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Its configuration (the stack's environment variables, endpoints). */
  env: Record<string, string>;
}

/** One invocation's figures. */
export interface Invocation {
  handler: string;
  seconds: number;
  peakRssMB: number;
  memoryMb: number;
  timeoutSeconds: number;
  heapLimitMB: number;
  /** Items its DynamoDB clients read. */
  itemsRead: number;
  /** The error type the Task failed with, if it failed. */
  error: string | null;
}

/** An error a Task binding throws: `name` is what Catch and Retry see. */
class TaskError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Lambda functions of the digest, bundled once into `dir`. */
export class LambdaTasks {
  readonly invocations: Invocation[] = [];
  private constructor(private readonly dir: string) {}

  static async bundle(handlers: readonly string[]): Promise<LambdaTasks> {
    const { build } = await import('esbuild');
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-bench-tasks-'));
    for (const h of handlers) {
      const entry = join(dir, `${h}-entry.ts`);
      await writeFile(
        entry,
        `import { handler } from ${JSON.stringify(join(ROOT, 'handlers', `${h}.ts`))};
import { runTask } from ${JSON.stringify(join(ROOT, 'bench', 'task-runner.ts'))};
await runTask(handler);
`,
      );
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        minify: true,
        outfile: join(dir, `${h}.mjs`),
        logLevel: 'warning',
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
    }
    return new LambdaTasks(dir);
  }

  /** A Task binding for the local digest that invokes `fn` in its process. */
  binding(fn: LambdaFunctionSpec): (input: unknown) => Promise<never> {
    return async (input) => {
      const eventFile = join(this.dir, `${fn.handler}-event.json`);
      await writeFile(eventFile, JSON.stringify(input));
      const out = await this.invoke(fn, eventFile).catch((err: unknown) => {
        const e = err instanceof TaskError ? err : null;
        this.invocations.push({
          handler: fn.handler,
          seconds: Number.NaN,
          peakRssMB: Number.NaN,
          memoryMb: fn.memoryMb,
          timeoutSeconds: fn.timeoutSeconds,
          heapLimitMB: Number.NaN,
          itemsRead: 0,
          error: e?.name ?? 'Runtime.ExitError',
        });
        throw err;
      });
      const error =
        out.error ??
        (out.peakRssMB > fn.memoryMb
          ? {
              name: 'Runtime.OutOfMemory',
              message: `${fn.handler} used ${out.peakRssMB} MB, more than its ${fn.memoryMb} MB`,
            }
          : null);
      this.invocations.push({
        handler: fn.handler,
        seconds: out.seconds,
        peakRssMB: out.peakRssMB,
        memoryMb: fn.memoryMb,
        timeoutSeconds: fn.timeoutSeconds,
        heapLimitMB: out.heapLimitMB,
        itemsRead: out.itemsRead ?? 0,
        error: error?.name ?? null,
      });
      if (error !== null) throw new TaskError(error.name, error.message);
      return out.result as never;
    };
  }

  private invoke(
    fn: LambdaFunctionSpec,
    eventFile: string,
  ): Promise<{
    result?: unknown;
    error?: { name: string; message: string };
    seconds: number;
    peakRssMB: number;
    heapLimitMB: number;
    itemsRead?: number;
  }> {
    return new Promise((resolve, reject) => {
      const p = spawn(
        process.execPath,
        [
          '--expose-gc',
          ...lambdaHeapFlags(fn.memoryMb),
          join(this.dir, `${fn.handler}.mjs`),
          eventFile,
        ],
        {
          env: {
            PATH: process.env.PATH ?? '',
            AWS_LAMBDA_FUNCTION_NAME: `upload-sentinel-${fn.handler}`,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
            BENCH_COUNT_READS: '1',
            ...fn.env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => {
        stdout += d;
      });
      p.stderr.on('data', (d) => {
        if (process.env.BENCH_TASK_STDERR) process.stderr.write(d);
        stderr = (stderr + d).slice(-4000);
      });
      p.on('error', reject);
      p.on('close', (code, signal) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        if (code === 0 && last.startsWith('{')) {
          resolve(JSON.parse(last));
          return;
        }
        // V8 out of heap (or killed): Lambda reports the runtime's exit.
        const oom = /heap out of memory|Reached heap limit/i.test(stderr);
        reject(
          new TaskError(
            oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError',
            `${fn.handler} exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`,
          ),
        );
      });
    });
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
