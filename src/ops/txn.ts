import path from 'node:path';
import { batchRecords, type Batch } from '../format/batch.js';
import { CorruptDataError, IoError, KsegError, UsageError } from '../format/errors.js';
import { parseTxnIndex } from '../format/indexes.js';
import { parseProducerSnapshot } from '../format/snapshot.js';
import { logEntries } from '../storage/log-reader.js';
import { noPartitionError, readDirNames, resolveInputs, scanPartitionDir, type PartitionDir } from '../storage/segments.js';
import { openSource, readWholeFile } from '../storage/source.js';
import { listPartitions, parsePartitionDirName } from './scan.js';
import { coordinatorAwaitsMarker, loadTransactionState, type CoordinatorTxn, type TransactionStateView } from './txn-state.js';
import { resolvePath } from '../storage/vfs.js';

/**
 * Transaction forensics of one partition, from batch headers and transaction markers alone:
 * every transaction per producer id (open, committed, aborted) with its first and last offsets,
 * the last stable offset and the transaction holding it, hanging-transaction candidates, and the
 * `kafka-transactions.sh abort` command that ends one. Cross-checked against the .txnindex files
 * (aborted transactions) and the producer snapshots (open transactions at each snapshot offset).
 *
 * Kafka's rules followed here:
 * - ProducerAppendInfo: a transactional data batch opens a transaction for its producer id when
 *   none is open (currentTxnFirstOffset = the batch's base offset); later transactional batches
 *   of that producer join it, whatever their epoch (ProducerStateEntry.maybeUpdateProducerEpoch
 *   keeps currentTxnFirstOffset); a COMMIT or ABORT marker (control batch) ends it.
 * - UnifiedLog.lastStableOffset: the first offset of the earliest open transaction, else the high
 *   watermark (offline: the log end offset).
 * - ProducerStateManager.lastStableOffset(completedTxn) for the .txnindex entry an ABORT writes:
 *   the first offset of the earliest other open transaction, else the marker offset + 1.
 * - TransactionsCommand find-hanging: an open transaction is a candidate when the producer's last
 *   timestamp is more than the max transaction timeout (default 15 minutes) before now.
 */
export const DEFAULT_HANGING_TIMEOUT_MS = 15 * 60 * 1000;

export type TxnState = 'open' | 'committed' | 'aborted';

export interface Transaction {
  producerId: number;
  /** Producer epoch of the first batch (the marker may carry a bumped epoch). */
  producerEpoch: number;
  state: TxnState;
  /** First offset of its first data batch; null when its data is not in the log (before the log start, or cleaned). */
  firstOffset: number | null;
  /** Last offset of its last data batch (null as above). */
  lastOffset: number | null;
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  /** .log file and byte position of its first data batch. */
  file: string | null;
  position: number | null;
  batches: number;
  records: number;
  /** The COMMIT/ABORT marker (null while open). */
  markerOffset: number | null;
  markerTimestamp: number | null;
  markerProducerEpoch: number | null;
  coordinatorEpoch: number | null;
}

export interface ProducerTxns {
  producerId: number;
  /** Epoch of its last transactional batch or marker. */
  producerEpoch: number;
  committed: number;
  aborted: number;
  open: Transaction | null;
  /** Last offset and max timestamp of its last transactional batch or marker (what DescribeProducers calls lastTimestamp). */
  lastOffset: number;
  lastTimestamp: number;
  /** From `__transaction_state` (when read): the transactional id using this producer id and its coordinator state. */
  transactionalId?: string | null;
  coordinator?: CoordinatorTxn | null;
}

export interface HangingCandidate {
  producerId: number;
  producerEpoch: number;
  firstOffset: number;
  lastTimestamp: number;
  /** referenceTime - the producer's last timestamp. */
  idleMs: number;
  /** Run against the cluster to write the ABORT marker (needs admin rights; check the transactional id first). */
  command: string;
  /** With `__transaction_state`: the transactional id (null: no id uses this producer id any more) and its state. */
  transactionalId?: string | null;
  coordinatorState?: string | null;
}

export type TxnCheckCode =
  'ABORT_NOT_INDEXED' | 'INDEX_WITHOUT_ABORT' | 'INDEX_LSO_DIFFERS' | 'SNAPSHOT_OPEN_DIFFERS' | 'SNAPSHOT_UNREADABLE' | 'TXNINDEX_UNREADABLE' | 'BAD_ENTRY' | 'LOG_TAIL';

export interface TxnFinding {
  code: TxnCheckCode;
  message: string;
  file?: string;
  position?: number;
  producerId?: number;
  offset?: number;
}

export interface SnapshotCheck {
  file: string;
  offset: number;
  /** Producers with an open transaction in the snapshot: producer id -> first offset. */
  openTransactions: { producerId: number; firstOffset: number }[];
  /** Whether it agrees with the log read up to its offset (null: offset outside the log read). */
  agrees: boolean | null;
}

export interface TxnReport {
  dir: string;
  topic: string | null;
  partition: number | null;
  logStartOffset: number | null;
  logEndOffset: number | null;
  /** Largest batch timestamp in the log. */
  maxTimestamp: number | null;
  lastStableOffset: number | null;
  /** The open transaction whose first offset is the last stable offset. */
  lastStableOffsetHeldBy: Transaction | null;
  referenceTime: number | null;
  referenceTimeSource: 'log' | 'flag' | 'clock';
  hangingTimeoutMs: number;
  counts: { producers: number; transactionalProducers: number; open: number; committed: number; aborted: number };
  producers: ProducerTxns[];
  /** Open and aborted transactions (every one with `all`), in first-offset order, up to `limit`. */
  transactions: Transaction[];
  /** Transactions left out of `transactions` by `limit`. */
  omittedTransactions: number;
  open: Transaction[];
  hanging: HangingCandidate[];
  /**
   * Open past the timeout, but `__transaction_state` says the coordinator still has this partition in
   * an ongoing or preparing transaction: it will write the marker (not hanging, per find-hanging).
   */
  awaitingMarker: HangingCandidate[];
  /** The `__transaction_state` partitions read (null: none found or --no-transaction-state). */
  transactionState: { partitions: string[]; transactionalIds: number; problems: number } | null;
  txnIndex: { files: number; entries: number };
  snapshots: SnapshotCheck[];
  findings: TxnFinding[];
}

export interface TxnOptions {
  /** Max transaction timeout for hanging candidates (default 15 minutes, as kafka-transactions.sh find-hanging). */
  hangingTimeoutMs?: number;
  /** "Now" for hanging candidates: a timestamp in ms; default the log's largest timestamp. */
  referenceTime?: number | 'now';
  /** Broker address for the printed abort commands (default the placeholder `<host:port>`). */
  bootstrapServer?: string;
  /** Keep committed transactions in `transactions` too. */
  all?: boolean;
  /** Most transactions listed (default 10000); counts are always complete. */
  limit?: number;
  /**
   * `__transaction_state` to join producer ids with transactional ids: log dirs or partition dirs;
   * default the partition's own log dir when it holds `__transaction_state-N`; false: do not read it.
   */
  transactionState?: string[] | false;
  /** Already loaded `__transaction_state` (log-dir mode reads it once). */
  transactionStateView?: TransactionStateView | null;
}

export function txn(p: string, opts: TxnOptions = {}): TxnReport {
  const inputs = resolveInputs([p]);
  const input = inputs[0];
  if (inputs.length !== 1 || !input || input.type !== 'dir') throw new UsageError(`txn takes a partition directory or a broker log dir, not ${p}`);
  if (input.partition.segments.length === 0) throw noPartitionError(p);
  return txnOfPartition(input.partition, opts);
}

/** A partition directory (it holds .log files) or else a broker log dir. */
export function txnPath(p: string, opts: TxnOptions = {}): { kind: 'partition'; report: TxnReport } | { kind: 'log-dir'; report: TxnLogDirReport } {
  const inputs = resolveInputs([p]);
  const input = inputs[0]!;
  if (input.type === 'dir' && input.partition.segments.length === 0 && !parsePartitionDirName(path.basename(path.resolve(p))))
    return { kind: 'log-dir', report: txnLogDir(p, opts) };
  return { kind: 'partition', report: txn(p, opts) };
}

export interface TxnLogDirReport {
  logDir: string;
  /** Partition directories read. */
  partitionsRead: number;
  /** Partitions with transactional producers or findings (the others have nothing to say). */
  partitions: TxnReport[];
  counts: { open: number; hanging: number; awaitingMarker: number; findings: number };
}

/**
 * Every live partition of a broker log dir (kafka-transactions.sh find-hanging --broker-id, offline):
 * `__transaction_state` is read once; each partition's transaction lists stop at `limit` (default 100).
 */
export function txnLogDir(logDir: string, opts: TxnOptions = {}): TxnLogDirReport {
  const targets = listPartitions([logDir]).filter((t) => t.state === 'live' && t.topic !== '__cluster_metadata');
  if (targets.length === 0) throw noPartitionError(logDir);
  let view: TransactionStateView | null = null;
  if (opts.transactionState !== false) {
    const paths = opts.transactionState && opts.transactionState.length ? opts.transactionState : targets.some((t) => t.topic === '__transaction_state') ? [logDir] : null;
    if (paths) view = loadTransactionState(paths);
  }
  const partitions: TxnReport[] = [];
  const counts = { open: 0, hanging: 0, awaitingMarker: 0, findings: 0 };
  for (const t of targets.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))) {
    const r = txnOfPartition(scanPartitionDir(t.dir), { ...opts, limit: opts.limit ?? 100, transactionState: false, transactionStateView: view });
    if (r.counts.transactionalProducers === 0 && r.findings.length === 0) continue;
    partitions.push(r);
    counts.open += r.counts.open;
    counts.hanging += r.hanging.length;
    counts.awaitingMarker += r.awaitingMarker.length;
    counts.findings += r.findings.length;
  }
  return { logDir, partitionsRead: targets.length, partitions, counts };
}

export function txnOfPartition(part: PartitionDir, opts: TxnOptions = {}): TxnReport {
  const hangingTimeoutMs = opts.hangingTimeoutMs ?? DEFAULT_HANGING_TIMEOUT_MS;
  const limit = opts.limit ?? 10000;
  const name = parsePartitionDirName(path.basename(path.resolve(part.dir)));
  const findings: TxnFinding[] = [];
  const producers = new Map<number, ProducerTxns>();
  const kept: Transaction[] = [];
  let omitted = 0;
  const counts = { producers: 0, transactionalProducers: 0, open: 0, committed: 0, aborted: 0 };
  const seenProducers = new Set<number>();
  let maxTimestamp: number | null = null;
  let logEndOffset: number | null = null;
  const logStartOffset = part.segments.length ? part.segments[0]!.baseOffset : null;

  // Open transactions at each producer snapshot offset, captured as the walk passes it.
  const snapshotFiles = [...part.snapshots].sort((a, b) => a.offset - b.offset);
  const openAt = new Map<number, Map<number, number>>();
  let nextSnap = 0;
  const openNow = (): Map<number, number> => {
    const m = new Map<number, number>();
    for (const pr of producers.values()) if (pr.open && pr.open.firstOffset !== null) m.set(pr.producerId, pr.open.firstOffset);
    return m;
  };
  const passSnapshots = (offset: number): void => {
    while (nextSnap < snapshotFiles.length && snapshotFiles[nextSnap]!.offset <= offset) {
      const s = snapshotFiles[nextSnap++]!;
      if (logStartOffset !== null && s.offset >= logStartOffset) openAt.set(s.offset, openNow());
    }
  };

  // Aborted transactions as the log shows them, to compare with .txnindex: key pid:markerOffset.
  const abortedInLog = new Map<string, { txn: Transaction; lastStableOffset: number; file: string }>();

  const keep = (t: Transaction): void => {
    if (kept.length < limit) kept.push(t);
    else omitted++;
  };

  const onBatch = (b: Batch): void => {
    if (maxTimestamp === null || b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
    logEndOffset = b.lastOffset + 1;
    if (b.magic < 2 || b.producerId < 0) return;
    seenProducers.add(b.producerId);
    if (!b.isTransactional) return;
    let pr = producers.get(b.producerId);
    if (!pr) {
      pr = { producerId: b.producerId, producerEpoch: b.producerEpoch, committed: 0, aborted: 0, open: null, lastOffset: -1, lastTimestamp: -1 };
      producers.set(b.producerId, pr);
    }
    pr.producerEpoch = b.producerEpoch;
    pr.lastOffset = b.lastOffset;
    pr.lastTimestamp = b.maxTimestamp;
    if (b.isControl) {
      let marker: { type: string; coordinatorEpoch?: number } | null = null;
      try {
        for (const r of batchRecords(b)) {
          if (r.control) marker = { type: r.control.type, coordinatorEpoch: r.control.coordinatorEpoch };
          break;
        }
      } catch (e) {
        if (!(e instanceof CorruptDataError)) throw e;
        findings.push({
          code: 'BAD_ENTRY',
          message: `control batch at offset ${b.baseOffset} does not decode (${e.message}); its marker is not applied`,
          file: b.file,
          position: b.position,
          producerId: b.producerId,
          offset: b.baseOffset,
        });
        return;
      }
      if (!marker || (marker.type !== 'COMMIT' && marker.type !== 'ABORT')) return;
      const t: Transaction = pr.open ?? openTransaction(b.producerId, b.producerEpoch, null, null, null, null, null, null);
      if (pr.open) counts.open--;
      pr.open = null;
      t.state = marker.type === 'COMMIT' ? 'committed' : 'aborted';
      t.markerOffset = b.baseOffset;
      t.markerTimestamp = b.maxTimestamp;
      t.markerProducerEpoch = b.producerEpoch;
      t.coordinatorEpoch = marker.coordinatorEpoch ?? null;
      if (t.state === 'committed') {
        pr.committed++;
        counts.committed++;
        if (opts.all) keep(t);
      } else {
        pr.aborted++;
        counts.aborted++;
        keep(t);
        let lso = b.baseOffset + 1;
        for (const o of producers.values()) if (o.open && o.open.firstOffset !== null && o.open.firstOffset < lso) lso = o.open.firstOffset;
        abortedInLog.set(`${b.producerId}:${b.baseOffset}`, { txn: t, lastStableOffset: lso, file: b.file ?? '' });
      }
      return;
    }
    const first = b.deleteHorizonMs !== null ? b.maxTimestamp : b.baseTimestamp;
    if (!pr.open) {
      pr.open = openTransaction(b.producerId, b.producerEpoch, b.baseOffset, b.lastOffset, first, b.maxTimestamp, b.file ?? null, b.position);
      counts.open++;
    }
    const t = pr.open;
    t.lastOffset = b.lastOffset;
    t.lastTimestamp = Math.max(t.lastTimestamp ?? b.maxTimestamp, b.maxTimestamp);
    t.batches++;
    t.records += b.recordCount;
  };

  for (const seg of part.segments) {
    const file = path.join(part.dir, seg.log);
    const src = openSource(file, { pattern: 'sequential' });
    try {
      const it = logEntries(src, { file: seg.log });
      for (;;) {
        const n = it.next();
        if (n.done) {
          const stop = n.value;
          if (stop.reason !== 'eof' && !(stop.reason === 'short-tail' && stop.zeroTail) && !(stop.zeroTail && stop.reason === 'corrupt-size')) {
            findings.push({
              code: 'LOG_TAIL',
              message: `log data ends at byte ${stop.position} (${stop.reason}, ${stop.trailingBytes} bytes left); later bytes are not read`,
              file: seg.log,
              position: stop.position,
            });
          }
          break;
        }
        const item = n.value;
        if (item.kind === 'bad-entry') {
          findings.push({ code: 'BAD_ENTRY', message: item.error.message, file: seg.log, position: item.position });
          continue;
        }
        passSnapshots(item.batch.baseOffset);
        onBatch(item.batch);
      }
    } finally {
      src.close();
    }
    if (logEndOffset === null || logEndOffset < seg.baseOffset) logEndOffset = seg.baseOffset;
  }
  if (logEndOffset !== null) passSnapshots(logEndOffset);

  // ------------------------------------------------------------------ open transactions, LSO, hanging
  const open: Transaction[] = [];
  for (const pr of producers.values()) if (pr.open) open.push(pr.open);
  open.sort((a, b) => a.firstOffset! - b.firstOffset!);
  kept.push(...open); // open transactions are always listed
  kept.sort((a, b) => (a.firstOffset ?? a.markerOffset!) - (b.firstOffset ?? b.markerOffset!));
  const holder = open[0] ?? null;
  const lastStableOffset = holder ? holder.firstOffset : logEndOffset;

  let referenceTime: number | null;
  let referenceTimeSource: TxnReport['referenceTimeSource'];
  if (opts.referenceTime === 'now') {
    referenceTime = Date.now();
    referenceTimeSource = 'clock';
  } else if (opts.referenceTime !== undefined) {
    referenceTime = opts.referenceTime;
    referenceTimeSource = 'flag';
  } else {
    referenceTime = maxTimestamp;
    referenceTimeSource = 'log';
  }
  // ------------------------------------------------------------------ __transaction_state join
  let tsView: TransactionStateView | null = opts.transactionStateView ?? null;
  let tsPaths: string[] | null = null;
  if (opts.transactionState !== false && !tsView) {
    if (opts.transactionState && opts.transactionState.length) tsPaths = opts.transactionState;
    else {
      const logDir = path.dirname(resolvePath(part.dir));
      try {
        if (readDirNames(logDir).some((f) => /^__transaction_state-\d+$/.test(f))) tsPaths = [logDir];
      } catch {
        tsPaths = null;
      }
    }
  }
  if (tsPaths) tsView = loadTransactionState(tsPaths);
  if (tsView) {
    for (const pr of producers.values()) {
      const c = tsView.byProducerId.get(pr.producerId) ?? null;
      pr.coordinator = c;
      pr.transactionalId = c?.transactionalId ?? null;
    }
    if (!opts.transactionStateView)
      for (const p of tsView.problems) findings.push({ code: 'BAD_ENTRY', message: `__transaction_state: ${p.message}`, file: p.file, position: p.position });
  }

  const server = opts.bootstrapServer ?? '<host:port>';
  const hanging: HangingCandidate[] = [];
  const awaitingMarker: HangingCandidate[] = [];
  if (referenceTime !== null) {
    for (const t of open) {
      const pr = producers.get(t.producerId)!;
      const idleMs = referenceTime - pr.lastTimestamp;
      if (idleMs <= hangingTimeoutMs) continue;
      const c: HangingCandidate = {
        producerId: t.producerId,
        producerEpoch: pr.producerEpoch,
        firstOffset: t.firstOffset!,
        lastTimestamp: pr.lastTimestamp,
        idleMs,
        command: abortCommand(server, name?.topic ?? null, name?.partition ?? null, t.firstOffset!),
      };
      if (tsView) {
        c.transactionalId = pr.coordinator?.transactionalId ?? null;
        c.coordinatorState = pr.coordinator?.state ?? null;
        if (pr.coordinator && coordinatorAwaitsMarker(pr.coordinator, name?.topic ?? null, name?.partition ?? null)) {
          awaitingMarker.push(c);
          continue;
        }
      }
      hanging.push(c);
    }
  }

  // ------------------------------------------------------------------ .txnindex cross-check
  let txnIndexFiles = 0;
  let txnIndexEntries = 0;
  const indexed = new Set<string>();
  for (const seg of part.segments) {
    if (!seg.txnindex) continue;
    const entries = parseOrReport(part.dir, seg.txnindex, 'TXNINDEX_UNREADABLE', (buf, file) => parseTxnIndex(buf, file).entries, findings);
    if (!entries) continue;
    txnIndexFiles++;
    entries.forEach((e, i) => {
      txnIndexEntries++;
      const key = `${e.producerId}:${e.lastOffset}`;
      indexed.add(key);
      const where = { file: seg.txnindex!, position: i * 34, producerId: e.producerId, offset: e.lastOffset };
      const a = abortedInLog.get(key);
      if (!a) {
        if (logStartOffset !== null && e.lastOffset >= logStartOffset && logEndOffset !== null && e.lastOffset < logEndOffset) {
          findings.push({
            code: 'INDEX_WITHOUT_ABORT',
            message: `.txnindex lists an aborted transaction of producer ${e.producerId} ending at ${e.lastOffset}, but the log has no ABORT marker of that producer there`,
            ...where,
          });
        }
        return;
      }
      if (a.txn.firstOffset !== null && a.txn.firstOffset !== e.firstOffset) {
        findings.push({
          code: 'INDEX_WITHOUT_ABORT',
          message: `.txnindex says producer ${e.producerId}'s aborted transaction ending at ${e.lastOffset} starts at ${e.firstOffset}; the log says ${a.txn.firstOffset}`,
          ...where,
        });
      }
      if (a.lastStableOffset !== e.lastStableOffset) {
        findings.push({
          code: 'INDEX_LSO_DIFFERS',
          message: `.txnindex entry of producer ${e.producerId} ending at ${e.lastOffset}: lastStableOffset ${e.lastStableOffset}, the log gives ${a.lastStableOffset}`,
          ...where,
        });
      }
    });
  }
  for (const [key, a] of abortedInLog) {
    if (indexed.has(key)) continue;
    findings.push({
      code: 'ABORT_NOT_INDEXED',
      message: `aborted transaction of producer ${a.txn.producerId} (marker at ${a.txn.markerOffset}) is missing from the .txnindex: consumers with read_committed would see its records`,
      file: a.file,
      producerId: a.txn.producerId,
      offset: a.txn.markerOffset!,
    });
  }

  // ------------------------------------------------------------------ producer snapshots
  const snapshots: SnapshotCheck[] = [];
  for (const s of snapshotFiles) {
    const entries = parseOrReport(part.dir, s.file, 'SNAPSHOT_UNREADABLE', (buf, file) => parseProducerSnapshot(buf, file).producers, findings);
    if (!entries) continue;
    const openTransactions = entries.filter((e) => e.currentTxnFirstOffset >= 0).map((e) => ({ producerId: e.producerId, firstOffset: e.currentTxnFirstOffset }));
    const seen = openAt.get(s.offset);
    let agrees: boolean | null = null;
    if (seen) {
      const diffs: string[] = [];
      for (const o of openTransactions) {
        const f = seen.get(o.producerId);
        if (f === undefined) {
          // A transaction that began before the log start cannot be seen by reading the log.
          if (logStartOffset !== null && o.firstOffset < logStartOffset) continue;
          diffs.push(`producer ${o.producerId} open from ${o.firstOffset} in the snapshot, not in the log`);
        } else if (f !== o.firstOffset) diffs.push(`producer ${o.producerId} open from ${o.firstOffset} in the snapshot, from ${f} in the log`);
      }
      const inSnap = new Set(openTransactions.map((o) => o.producerId));
      for (const [pid, f] of seen) if (!inSnap.has(pid)) diffs.push(`producer ${pid} open from ${f} in the log, not in the snapshot`);
      agrees = diffs.length === 0;
      for (const d of diffs) findings.push({ code: 'SNAPSHOT_OPEN_DIFFERS', message: `at offset ${s.offset}: ${d}`, file: s.file });
    }
    snapshots.push({ file: s.file, offset: s.offset, openTransactions, agrees });
  }

  const producerList = [...producers.values()].sort((a, b) => a.producerId - b.producerId);
  counts.producers = seenProducers.size;
  counts.transactionalProducers = producerList.length;
  return {
    dir: part.dir,
    topic: name?.topic ?? null,
    partition: name?.partition ?? null,
    logStartOffset,
    logEndOffset,
    maxTimestamp,
    lastStableOffset,
    lastStableOffsetHeldBy: holder,
    referenceTime,
    referenceTimeSource,
    hangingTimeoutMs,
    counts,
    producers: producerList,
    transactions: kept,
    omittedTransactions: omitted,
    open,
    hanging,
    awaitingMarker,
    transactionState: tsView ? { partitions: tsView.partitions, transactionalIds: tsView.byTransactionalId.size, problems: tsView.problems.length } : null,
    txnIndex: { files: txnIndexFiles, entries: txnIndexEntries },
    snapshots,
    findings,
  };
}

/** A side file (.txnindex, .snapshot) parsed, or null after reporting why it cannot be (a KsegError) as a `code` finding. */
function parseOrReport<T>(dir: string, file: string, code: TxnCheckCode, parse: (buf: Buffer, file: string) => T, findings: TxnFinding[]): T | null {
  try {
    return parse(readWholeFile(path.join(dir, file)), file);
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    findings.push({ code, message: e.message, file, position: e.position });
    return null;
  }
}

/** A transaction as first seen: open, no batch counted, no marker; where its data starts (nulls: not in the log). */
function openTransaction(
  producerId: number,
  producerEpoch: number,
  firstOffset: number | null,
  lastOffset: number | null,
  firstTimestamp: number | null,
  lastTimestamp: number | null,
  file: string | null,
  position: number | null,
): Transaction {
  return {
    producerId,
    producerEpoch,
    state: 'open',
    firstOffset,
    lastOffset,
    firstTimestamp,
    lastTimestamp,
    file,
    position,
    batches: 0,
    records: 0,
    markerOffset: null,
    markerTimestamp: null,
    markerProducerEpoch: null,
    coordinatorEpoch: null,
  };
}

/** kafka-transactions.sh's abort sub-command for an open transaction found on disk (KIP-664). */
export function abortCommand(server: string, topic: string | null, partition: number | null, startOffset: number): string {
  return `kafka-transactions.sh --bootstrap-server ${server} abort --topic ${shellWord(topic ?? '<topic>')} --partition ${partition ?? '<partition>'} --start-offset ${startOffset}`;
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9._<>-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
