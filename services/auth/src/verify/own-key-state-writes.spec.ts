import { create, toBinary } from '@bufbuild/protobuf';
import { ApiKeyStateSchema, ApiKeyStatus, type ApiKeyState } from '@vectorstack/contracts';
import type { InsertEvent } from 'typeorm';
import type { KeyStateOutboxRecord } from '../key-state/key-state-outbox.entity';
import { OwnKeyStateWrites } from './own-key-state-writes';

/** A query runner as the subscriber sees it: in a transaction or not, and how deep. */
type FakeRunner = { isTransactionActive: boolean; transactionDepth: number };
const runner = (): FakeRunner => ({ isTransactionActive: false, transactionDepth: 0 });

function state(keyId: string, version: bigint, status = ApiKeyStatus.ACTIVE): ApiKeyState {
  return create(ApiKeyStateSchema, { principal: { keyId }, status, secretHashes: [{ hmacSha256: new Uint8Array([version > 1n ? 2 : 1]) }], version });
}

describe('OwnKeyStateWrites', () => {
  const committed: ApiKeyState[][] = [];
  const uncertain: ApiKeyState[][] = [];
  const writes = new OwnKeyStateWrites({ committed: (states) => committed.push([...states]), uncertain: (states) => uncertain.push([...states]) });

  const begin = (qr: FakeRunner) => {
    qr.isTransactionActive = true;
    qr.transactionDepth += 1;
    writes.afterTransactionStart({ queryRunner: qr } as never);
  };
  const insert = (qr: FakeRunner, written: ApiKeyState) =>
    writes.afterInsert({ queryRunner: qr, entity: { keyId: written.principal!.keyId, payload: Buffer.from(toBinary(ApiKeyStateSchema, written)) } } as unknown as InsertEvent<KeyStateOutboxRecord>);
  const end = (qr: FakeRunner, how: 'commit' | 'rollback') => {
    qr.transactionDepth -= 1;
    qr.isTransactionActive = qr.transactionDepth > 0;
    if (how === 'commit') writes.afterTransactionCommit({ queryRunner: qr } as never);
    else writes.afterTransactionRollback({ queryRunner: qr } as never);
  };

  beforeEach(() => {
    committed.length = 0;
    uncertain.length = 0;
  });

  it('hands over the states written in a transaction only once it committed, in order', () => {
    const qr = runner();
    begin(qr);
    insert(qr, state('k1', 2n, ApiKeyStatus.REVOKED));
    insert(qr, state('k2', 5n));
    expect(committed).toEqual([]);
    end(qr, 'commit');
    expect(committed.map((states) => states.map((s) => [s.principal?.keyId, s.version, s.status]))).toEqual([
      [
        ['k1', 2n, ApiKeyStatus.REVOKED],
        ['k2', 5n, ApiKeyStatus.ACTIVE],
      ],
    ]);
  });

  it('hands over nothing from a rolled-back transaction, and starts the next one clean', () => {
    const qr = runner();
    begin(qr);
    insert(qr, state('k1', 2n, ApiKeyStatus.REVOKED));
    end(qr, 'rollback');
    begin(qr);
    end(qr, 'commit');
    expect(committed).toEqual([]);
    expect(uncertain).toEqual([]);
  });

  it('waits for the outermost commit, and calls the states uncertain when a savepoint inside rolled back', () => {
    const qr = runner();
    begin(qr);
    insert(qr, state('k1', 2n));
    begin(qr); // savepoint
    insert(qr, state('k2', 3n));
    end(qr, 'rollback'); // back to the savepoint
    expect(committed).toEqual([]);
    end(qr, 'commit');
    expect(committed).toEqual([]);
    expect(uncertain.map((states) => states.map((s) => s.principal?.keyId))).toEqual([['k1', 'k2']]);

    begin(qr);
    insert(qr, state('k3', 2n));
    begin(qr);
    end(qr, 'commit'); // releasing a savepoint commits nothing yet
    expect(committed).toEqual([]);
    end(qr, 'commit');
    expect(committed.map((states) => states.map((s) => s.principal?.keyId))).toEqual([['k3']]);
  });

  it('hands over an insert made outside a transaction at once (autocommit)', () => {
    insert(runner(), state('k4', 1n));
    expect(committed.map((states) => states.map((s) => s.principal?.keyId))).toEqual([['k4']]);
  });
});
