// Preloaded (`node --import`) into a command the digest bench runs: at exit
// it appends `<pid> <peak RSS in KB>` (VmHWM, Linux) to BENCH_RSS_FILE, so
// the bench knows that process's own peak, stand-ins included.
import { appendFileSync, readFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = /VmHWM:\s+(\d+)/.exec(status)?.[1];
      if (kb !== undefined) appendFileSync(file, `${process.pid} ${kb}\n`);
    } catch {
      // Not Linux: no figure.
    }
  });
}
