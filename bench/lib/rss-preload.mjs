// Preloaded with `node --import` into a measured child when /usr/bin/time is not available: writes
// the process's peak resident set (getrusage ru_maxrss, all threads) and user/system CPU seconds to
// $KSEG_BENCH_RSS_FILE at exit, in the format bench/run.mjs asks /usr/bin/time for ("%M %U %S").
import fs from 'node:fs';

const file = process.env.KSEG_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage(); // maxRSS in KiB, like /usr/bin/time %M; CPU in microseconds
      fs.writeFileSync(file, `${u.maxRSS} ${u.userCPUTime / 1e6} ${u.systemCPUTime / 1e6}`);
    } catch {
      /* nothing to report to */
    }
  });
}
