// Preloaded with `node --import` into a measured child when /usr/bin/time is not available: writes
// the process's peak resident set (getrusage ru_maxrss, all threads) to $KSEG_BENCH_RSS_FILE at exit.
import fs from 'node:fs';

const file = process.env.KSEG_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      fs.writeFileSync(file, String(process.resourceUsage().maxRSS)); // KiB, like /usr/bin/time %M
    } catch {
      /* nothing to report to */
    }
  });
}
