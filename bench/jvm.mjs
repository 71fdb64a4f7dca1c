// The `jvm` item of `npm run bench` (issue 17): Kafka's own record code on the JVM as peer rows.
//
// ../shared/peers/kafka-jvm (or KSEG_JVM_PEER) compiles three small mains over Kafka's `clients`
// record classes, unmodified, from a bare git dir of Kafka's source (KAFKA_GIT; the commit is
// KAFKA_COMMIT or the one build-peer.sh names) with javac. The build runs once into
// <bench data dir>/jvm-peer/<commit>-<hash of the peer sources and javac version>/ and is reused.
// When the peer sources, KAFKA_GIT (or its commit), git, javac or java is missing, the item is
// skipped with a one-line note and the rest of the bench runs as before.
//
// Pairs, on sets a (1 KB values), f (small records) and c (the 4 GiB partition), each the median of
// --runs alternating runs (kseg, then the JVM, per round), whole-process wall time (JVM start-up and
// JIT warm-up count, as node's start-up and kseg's module loading do) and peak RSS:
//   kseg verify DIR                 vs peer.Recover      LogSegment.recover's loop: FileRecords.batches(),
//                                                        ensureValid() per batch (CRC-32C of every batch)
//   kseg dump DIR --batches --ndjson vs peer.DumpBatches  DumpLogSegments' batch line (every header field,
//                                                        isvalid = a CRC check)
//   kseg dump DIR --ndjson          vs peer.DumpRecords  --deep-iteration record lines with
//                                                        -Dpeer.printData=true: key and payload decoded as
//                                                        UTF-8 strings, as dump --ndjson's default utf8
//                                                        decoder prints them (sets a and f only)
//   kseg dump DIR --format kafka    vs peer.DumpRecords  without key/payload: the same text byte for byte
//        --deep-iteration                                (sets a and f only)
// (kseg's `dump --format kafka --batches` and `--print-data-log` also print DumpBatches' and
// DumpRecords -Dpeer.printData=true's text byte for byte; those rows time kseg's JSON instead.)
// The dump mains run with -Dpeer.buffered=true (a 64 KiB PrintStream; kafka-dump-log.sh's System.out
// flushes every line), so the JVM's rows time its record code rather than one write(2) per line.
// KSEG_JVM_OPTS (space-separated) is appended to the java command line (e.g. "-XX:+UseParallelGC",
// "-Xmx256m" as kafka-run-class.sh sets, or "-Dpeer.buffered=false").
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export const JVM_ITEM = "Kafka's own record code on the JVM (../shared/peers/kafka-jvm, KAFKA_GIT) vs verify, dump --batches, dump --ndjson, dump --format kafka on sets a, f, c";
export const JVM_SETS = ['a', 'f', 'c'];

const TASKS = [
  { key: 'verify', main: 'Recover', props: [], args: (dir) => ['verify', dir], kseg: 'verify', jvm: "peer.Recover (LogSegment.recover's loop)", sets: JVM_SETS },
  {
    key: 'batches',
    main: 'DumpBatches',
    props: ['-Dpeer.buffered=true'],
    args: (dir) => ['dump', dir, '--batches', '--ndjson'],
    kseg: 'dump --batches --ndjson',
    jvm: "peer.DumpBatches (DumpLogSegments' batch lines)",
    sets: JVM_SETS,
  },
  // Not on set c: DumpRecords writes key and payload strings 3-7x slower than kseg, about a minute
  // per run on 4 GiB, and the 1 GiB set already answers the question.
  {
    key: 'records',
    main: 'DumpRecords',
    props: ['-Dpeer.buffered=true', '-Dpeer.printData=true'],
    args: (dir) => ['dump', dir, '--ndjson'],
    kseg: 'dump --ndjson',
    jvm: 'peer.DumpRecords -Dpeer.printData=true (record lines, key/payload)',
    sets: ['a', 'f'],
  },
  // The same main without key/payload prints exactly what kseg's kafka-dump-log.sh format prints, byte
  // for byte: kseg's text path against Kafka's own (1 GiB, busy machine: 1.3-1.6x).
  {
    key: 'kafka-text',
    main: 'DumpRecords',
    props: ['-Dpeer.buffered=true'],
    args: (dir) => ['dump', dir, '--format', 'kafka', '--deep-iteration'],
    kseg: 'dump --format kafka --deep-iteration (byte-identical output)',
    jvm: 'peer.DumpRecords (kafka-dump-log.sh --deep-iteration lines)',
    sets: ['a', 'f'],
  },
];

const sh = (cmd, args, o = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...o });
const firstLine = (r) => `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';

/** Every file under `dir` (sorted, relative paths) hashed with its content. */
function hashTree(h, dir, rel = '') {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) hashTree(h, dir, r);
    else
      h.update(`${r}\0`)
        .update(fs.readFileSync(path.join(dir, r)))
        .update('\0');
  }
}

/** rm -rf that also works on the read-only copies build-peer.sh makes of the peer's folders. */
function removeTree(dir) {
  if (!fs.existsSync(dir)) return;
  sh('chmod', ['-R', 'u+w', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Find (and build once) the JVM peer. Returns {ok: true, classes, java, jdk, javac, commit, peerDir,
 * kafkaGit, cached, buildSeconds, classCount} or {ok: false, reason} (one line, for the skip note).
 */
export function findJvmPeer({ root, dataDir, log }) {
  const peerDir = path.resolve(process.env.KSEG_JVM_PEER || path.join(root, '..', 'shared', 'peers', 'kafka-jvm'));
  const script = path.join(peerDir, 'build-peer.sh');
  if (!fs.existsSync(script) || !fs.existsSync(path.join(peerDir, 'src', 'peer')))
    return { ok: false, reason: `no JVM peer sources at ${peerDir} (KSEG_JVM_PEER=DIR with build-peer.sh and src/peer/)` };
  const kafkaGit = process.env.KAFKA_GIT;
  if (!kafkaGit) return { ok: false, reason: 'KAFKA_GIT is not set (a bare git dir of confluentinc/kafka or apache/kafka source, e.g. a clone --bare)' };
  for (const tool of ['java', 'javac']) {
    const r = sh(tool, ['-version']);
    if (r.error || r.status !== 0) return { ok: false, reason: `no ${tool} on PATH (Debian: apt-get install -y default-jdk-headless)` };
  }
  const want = process.env.KAFKA_COMMIT || /KAFKA_COMMIT:-([0-9a-f]{7,40})/.exec(fs.readFileSync(script, 'utf8'))?.[1];
  if (!want) return { ok: false, reason: `no Kafka commit: set KAFKA_COMMIT (${script} names none)` };
  const rev = sh('git', ['-C', kafkaGit, 'rev-parse', '--verify', '--quiet', `${want}^{commit}`]);
  if (rev.error) return { ok: false, reason: 'no git on PATH (needed to read KAFKA_GIT)' };
  if (rev.status !== 0) {
    const isGit = sh('git', ['-C', kafkaGit, 'rev-parse', '--git-dir']).status === 0;
    return {
      ok: false,
      reason: isGit ? `KAFKA_GIT=${kafkaGit} does not hold Kafka commit ${want} (fetch it, or set KAFKA_COMMIT)` : `KAFKA_GIT=${kafkaGit} is not a git directory`,
    };
  }
  const commit = rev.stdout.trim();
  const jv = sh('java', ['-version']);
  const jdk = `${jv.stdout ?? ''}${jv.stderr ?? ''}`.trim().split('\n').slice(0, 2).join('; ');
  const javac = firstLine(sh('javac', ['-version']));
  const h = crypto.createHash('sha256');
  h.update(`${javac}\0`).update(fs.readFileSync(script)).update('\0');
  for (const d of ['src', 'stubs']) if (fs.existsSync(path.join(peerDir, d))) hashTree(h, path.join(peerDir, d));
  const out = path.join(dataDir, 'jvm-peer', `${commit.slice(0, 12)}-${h.digest('hex').slice(0, 12)}`);
  const classes = path.join(out, 'peer', 'classes');
  const stampFile = path.join(out, 'built.json');
  const info = { ok: true, classes, java: 'java', jdk, javac, commit, peerDir, kafkaGit, out };
  if (fs.existsSync(stampFile) && fs.existsSync(path.join(classes, 'peer', 'Recover.class'))) {
    return { ...JSON.parse(fs.readFileSync(stampFile, 'utf8')), ...info, cached: true };
  }
  log(`building the JVM peer (Kafka ${commit.slice(0, 12)}, ${javac}) into ${out} ...`);
  const tmp = `${out}.tmp-${process.pid}`;
  removeTree(tmp);
  fs.mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  const b = sh('sh', [script], { env: { ...process.env, PEER_OUT: tmp, KAFKA_GIT: kafkaGit, KAFKA_COMMIT: commit }, maxBuffer: 64 * 1024 * 1024 });
  if (b.status !== 0 || !fs.existsSync(path.join(tmp, 'peer', 'classes', 'peer', 'Recover.class'))) {
    removeTree(tmp);
    const tail = `${b.stdout ?? ''}${b.stderr ?? ''}`.trim().split('\n').slice(-2).join(' | ');
    return { ok: false, reason: `building the peer failed (sh ${script}, exit ${b.status ?? b.signal}): ${tail || b.error?.message}` };
  }
  removeTree(path.join(tmp, 'kafka-src')); // 12 MB of extracted sources, not needed to run
  const classCount = fs
    .readFileSync(path.join(tmp, 'peer', 'classes.txt'), 'utf8')
    .trim()
    .split('\n').length;
  const stamp = { commit, javac, builtAt: new Date().toISOString(), buildSeconds: (Date.now() - t0) / 1000, classCount };
  fs.writeFileSync(path.join(tmp, 'built.json'), JSON.stringify(stamp, null, 1));
  removeTree(out);
  fs.renameSync(tmp, out);
  log(`  built in ${stamp.buildSeconds.toFixed(0)} s (${classCount} top-level classes)`);
  return { ...stamp, ...info, cached: false };
}

/** One line for RESULTS.md's machine section. */
export function jvmMachineLine(peer) {
  if (!peer) return null;
  if (!peer.ok) return `JVM peer: not run (${peer.reason})`;
  const extra = (process.env.KSEG_JVM_OPTS ?? '').trim();
  return `JVM peer: ${peer.jdk} (${peer.javac}); Kafka's clients record classes at commit ${peer.commit} (KAFKA_GIT=${peer.kafkaGit}), built from ${peer.peerDir}${extra ? `; KSEG_JVM_OPTS=${extra}` : ''}`;
}

/** The "how it is measured" paragraph. */
export const JVM_HOW =
  "jvm (issue 17): Kafka's own code, from ../shared/peers/kafka-jvm — `peer.Recover` (LogSegment.recover's loop: `FileRecords.batches()`, `ensureValid()` per batch) vs `kseg verify DIR`, `peer.DumpBatches` (DumpLogSegments' batch line, `isvalid` checked) vs `kseg dump DIR --batches --ndjson`, `peer.DumpRecords -Dpeer.printData=true` (the `--deep-iteration --print-data-log` record lines: offset, timestamp, sizes, sequence, header keys, key and payload as UTF-8 strings) vs `kseg dump DIR --ndjson` (the same fields, key and value through the default utf8 decoder), and `peer.DumpRecords` without key/payload vs `kseg dump DIR --format kafka --deep-iteration` (byte-identical output) — the two DumpRecords pairs on sets a and f only, not the 4 GiB set c (about a minute per JVM run there); the dump mains with `-Dpeer.buffered=true` (64 KiB output buffer; the shipped tool's System.out flushes every line). JDK defaults otherwise (G1, heap up to 1/4 of RAM) plus `KSEG_JVM_OPTS`. Each pair: --runs rounds of kseg then the JVM, median **whole-process** wall time of each (JVM start-up and JIT warm-up included, as node's start-up is), MB/s from that wall time; ratio = JVM time / kseg time (> 1: kseg faster, target ≥ 1), with the JVM's peak RSS as a multiple of kseg's. The JVM runs in the native pass; the no-native pass compares with those times.";

/**
 * The measurement group. `b` is the bench's toolkit: {peer, SETS, opts, run, check, kseg, rounds,
 * row, note, log, logFiles, sizeOf, warm, wallMed, rssMax, cpuMed, fmtSize}.
 */
export function makeGroupJvm(b) {
  return function groupJvm(pass, shared) {
    const peer = b.peer();
    if (!peer) return;
    if (!peer.ok) {
      if (!shared.jvmSkipped) b.note(pass, `jvm: skipped: ${peer.reason}`);
      shared.jvmSkipped = true;
      return;
    }
    const extra = (process.env.KSEG_JVM_OPTS ?? '').split(/\s+/).filter(Boolean);
    for (const key of JVM_SETS) {
      const set = b.SETS[key];
      const files = b.logFiles(set.dir);
      const bytes = b.sizeOf(files);
      b.log(`\n[${pass.name}] jvm on set ${key} (${b.fmtSize(bytes)} of .log): kseg vs Kafka's own code, whole process, alternating`);
      b.warm(files);
      const fns = {};
      const tasks = TASKS.filter((t) => t.sets.includes(key));
      for (const t of tasks) {
        fns[`kseg-${t.key}`] = () => b.kseg(t.args(set.dir), pass.env);
        if (shared[`jvm-${key}-${t.key}`]) continue;
        fns[`jvm-${t.key}`] = () => {
          const argv = [...t.props, ...extra, '-cp', peer.classes, `peer.${t.main}`, set.dir];
          const r = b.check(b.run(peer.java, argv, { capture: t.main === 'Recover' }), `java peer.${t.main}`);
          if (t.main === 'Recover') r.result = JSON.parse(r.stdout.trim().split('\n').pop());
          return r;
        };
      }
      const s = b.rounds(pass, fns);
      for (const t of tasks) {
        const js = s[`jvm-${t.key}`];
        if (js?.length) {
          shared[`jvm-${key}-${t.key}`] = { t: b.wallMed(js), rssMiB: b.rssMax(js), cpu: b.cpuMed(js), pass: pass.name };
          const res = js[0].result;
          if (res && res.validBytes !== bytes) b.note(pass, `jvm: peer.Recover on set ${key} found ${res.validBytes} valid bytes of ${bytes} (${JSON.stringify(res)})`);
        }
        const j = shared[`jvm-${key}-${t.key}`];
        if (j) {
          b.row(pass, {
            set: key,
            what: `Kafka JVM: ${t.jvm}, whole process${j.pass !== pass.name ? `, ${j.pass} pass` : ''}`,
            t: j.t,
            bytes,
            rssMiB: j.rssMiB,
            cpu: j.cpu,
            kind: 'limit',
            info: '(peer)',
          });
        }
        const ks = s[`kseg-${t.key}`];
        if (!ks.length) continue;
        const kt = b.wallMed(ks);
        const krss = b.rssMax(ks);
        const rssTimes = j?.rssMiB != null && krss ? `; JVM peak RSS ${(j.rssMiB / krss).toFixed(1)}× kseg's` : '';
        b.row(pass, {
          set: key,
          what: `${t.kseg} (whole process)`,
          t: kt,
          bytes,
          rssMiB: krss,
          cpu: b.cpuMed(ks),
          ratio: j ? { value: j.t / kt, of: `Kafka JVM's time${rssTimes}`, kind: 'times', digits: 2 } : undefined,
          target: j ? { min: 1 } : undefined,
        });
      }
    }
  };
}
