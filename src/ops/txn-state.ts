import { TRANSACTION_TOPIC } from './coordinator.js';
import { internalPartitions, replay, type ReplayProblem } from './internal-log.js';

/**
 * Transaction coordinator state from `__transaction_state`, as TransactionStateManager
 * .loadTransactionMetadata replays it: the latest TransactionLogValue per transactional id wins,
 * a tombstone removes the id (it expired).
 */
export const TXN_STATES: Record<number, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export interface CoordinatorTxn {
  transactionalId: string;
  producerId: number;
  /** TransactionLogValue v1 (KIP-890): the producer id before an epoch-exhaustion rollover, -1 when none. */
  previousProducerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: string;
  /** Partitions of the ongoing transaction, or still waiting for markers in Prepare* states. */
  partitions: { topic: string; partitions: number[] }[];
  lastUpdateTimestamp: number;
  startTimestamp: number;
  /** `__transaction_state-N` holding it, and the offset of its latest record. */
  partitionDir: string;
  recordOffset: number;
}

export interface TransactionStateView {
  partitions: string[];
  byTransactionalId: Map<string, CoordinatorTxn>;
  byProducerId: Map<number, CoordinatorTxn>;
  problems: ReplayProblem[];
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

export function loadTransactionState(paths: string[]): TransactionStateView {
  const parts = internalPartitions(paths, TRANSACTION_TOPIC);
  const problems: ReplayProblem[] = [];
  const byId = new Map<string, CoordinatorTxn>();
  for (const p of parts) {
    for (const item of replay(p, 'transaction', problems)) {
      if (item.kind !== 'record') continue;
      const k = item.decoded.key;
      if (!k || 'unknown' in k || k.type !== 'TransactionLogKey') continue;
      const id = k.data.transactionalId as string;
      const v = item.decoded.value;
      if (v === null) {
        byId.delete(id);
        continue;
      }
      if ('unknown' in v) continue;
      const d = v.data as Record<string, unknown>;
      byId.set(id, {
        transactionalId: id,
        producerId: num(d.producerId),
        previousProducerId: d.previousProducerId !== undefined ? num(d.previousProducerId) : -1,
        producerEpoch: d.producerEpoch as number,
        transactionTimeoutMs: d.transactionTimeoutMs as number,
        state: TXN_STATES[d.transactionStatus as number] ?? `Unknown(${String(d.transactionStatus)})`,
        partitions: ((d.transactionPartitions as { topic: string; partitionIds: number[] }[] | null) ?? []).map((x) => ({ topic: x.topic, partitions: x.partitionIds })),
        lastUpdateTimestamp: num(d.transactionLastUpdateTimestampMs),
        startTimestamp: num(d.transactionStartTimestampMs),
        partitionDir: p.name,
        recordOffset: item.offset,
      });
    }
  }
  const byPid = new Map<number, CoordinatorTxn>();
  for (const t of byId.values()) {
    if (t.previousProducerId >= 0 && !byPid.has(t.previousProducerId)) byPid.set(t.previousProducerId, t);
  }
  for (const t of byId.values()) byPid.set(t.producerId, t);
  return { partitions: parts.map((p) => p.dir), byTransactionalId: byId, byProducerId: byPid, problems };
}

/** Whether the coordinator still expects to write a marker to this partition (TransactionsCommand.filterHangingTransactions). */
export function coordinatorAwaitsMarker(t: CoordinatorTxn, topic: string | null, partition: number | null): boolean {
  if (topic === null || partition === null) return false;
  if (t.state !== 'Ongoing' && t.state !== 'PrepareCommit' && t.state !== 'PrepareAbort' && t.state !== 'PrepareEpochFence') return false;
  return t.partitions.some((x) => x.topic === topic && x.partitions.includes(partition));
}
