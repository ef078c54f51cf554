// CPU time of a process and its descendants, from /proc (the benchmarks' measure of an agent).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime (+ cutime+cstime: children it has already reaped) of one process, in ticks. */
function processTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after it start past the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), so field n is f[n - 3]: utime 14, stime 15, cutime 16, cstime 17.
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/** pid and all its live descendants (from /proc/<pid>/task/<tid>/children). */
function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      try {
        const kids = fs.readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}

/** CPU seconds used so far by process `pid` and its live descendants. */
export function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      ticks += processTicks(p);
    } catch {
      // exited between listing and reading
    }
  }
  return ticks / CLK_TCK;
}
