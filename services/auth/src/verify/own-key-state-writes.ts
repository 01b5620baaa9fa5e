import { fromBinary } from '@bufbuild/protobuf';
import { ApiKeyStateSchema, type ApiKeyState } from '@vectorstack/contracts';
import type { EntitySubscriberInterface, InsertEvent, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent, TransactionStartEvent } from 'typeorm';
import { KeyStateOutboxRecord } from '../key-state/key-state-outbox.entity';

export interface KeyStateWriteSink {
  /** States this process committed, in commit order: the new truth of those keys. */
  committed(states: readonly ApiKeyState[]): void;
  /** States whose fate is unknown (a savepoint inside their transaction rolled back): stop trusting those keys. */
  uncertain(states: readonly ApiKeyState[]): void;
}

interface Pending {
  states: ApiKeyState[];
  /** A nested transaction (savepoint) rolled back: some of `states` may not be in the commit. */
  partlyRolledBack: boolean;
}

/**
 * Every key-state change auth makes writes the key's full new state to the outbox in the
 * change's transaction (KeyStateOutbox.enqueue). This subscriber sees those inserts and hands
 * the states to the sink once the transaction committed, before `dataSource.transaction()`
 * returns to the writer (TypeORM awaits the commit broadcast), so the HTTP answer to a
 * revocation is sent only after this process's Verify cache refuses the key. A rolled-back
 * transaction hands over nothing.
 */
export class OwnKeyStateWrites implements EntitySubscriberInterface<KeyStateOutboxRecord> {
  private readonly pending = new WeakMap<QueryRunner, Pending>();

  constructor(private readonly sink: KeyStateWriteSink) {}

  listenTo() {
    return KeyStateOutboxRecord;
  }

  afterTransactionStart(event: TransactionStartEvent): void {
    // A new outermost transaction on a reused query runner starts clean.
    if (event.queryRunner && !this.inOuterTransaction(event.queryRunner)) this.pending.delete(event.queryRunner);
  }

  afterInsert(event: InsertEvent<KeyStateOutboxRecord>): void {
    const payload = event.entity?.payload;
    if (!payload) return;
    const state = fromBinary(ApiKeyStateSchema, payload);
    if (!event.queryRunner.isTransactionActive) {
      // Autocommit: the row is already committed.
      this.sink.committed([state]);
      return;
    }
    let pending = this.pending.get(event.queryRunner);
    if (!pending) this.pending.set(event.queryRunner, (pending = { states: [], partlyRolledBack: false }));
    pending.states.push(state);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // Releasing a savepoint commits nothing yet; wait for the outermost COMMIT.
    if (event.queryRunner.isTransactionActive) return;
    const pending = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    if (!pending) return;
    if (pending.partlyRolledBack) this.sink.uncertain(pending.states);
    else this.sink.committed(pending.states);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const pending = this.pending.get(event.queryRunner);
    if (!pending) return;
    if (event.queryRunner.isTransactionActive) pending.partlyRolledBack = true;
    else this.pending.delete(event.queryRunner);
  }

  private inOuterTransaction(queryRunner: QueryRunner): boolean {
    // After BEGIN of an outermost transaction the depth is 1; a savepoint makes it deeper.
    return ((queryRunner as QueryRunner & { transactionDepth?: number }).transactionDepth ?? 1) > 1;
  }
}
