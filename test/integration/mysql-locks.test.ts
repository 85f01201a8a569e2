/**
 * A frozen worker must not hold the stream's commit point: on the real MariaDB, one pool connection takes the
 * offsets' row lock inside a transaction and then goes silent (as a SIGSTOPped worker would, mid-commit). Another
 * pool's commit waiting for that lock gives up with a lock-wait timeout (so its activity fails and retries before
 * the 20 s heartbeat timeout instead of hanging), and the silent transaction is rolled back by the server, so the
 * retry gets the lock: the healthy worker takes over.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, IDLE_TRANSACTION_SECONDS, LOCK_WAIT_SECONDS, type Pool } from '../../src/io/mysql';
import { createTestEnv, type TestEnv } from '../helpers/env';

describe('row locks of a frozen commit', () => {
  let t: TestEnv;
  let frozenPool: Pool;
  let healthyPool: Pool;

  beforeAll(async () => {
    t = await createTestEnv('mysqllocks');
    frozenPool = createPool(t.config, { connectionLimit: 1 });
    healthyPool = createPool(t.config, { connectionLimit: 1 });
    await healthyPool.query(
      "INSERT INTO stream_offsets (stream_id, topic, kafka_partition, next_offset, updated_at) VALUES ('s', 't', 0, 0, NOW(3))",
    );
  });

  afterAll(async () => {
    await frozenPool?.end().catch(() => undefined);
    await healthyPool?.end().catch(() => undefined);
    await t?.cleanup();
  });

  it('pool sessions carry limits below the 20 s heartbeat timeout', async () => {
    const [rows] = await healthyPool.query<RowDataPacket[]>(
      'SELECT @@SESSION.innodb_lock_wait_timeout AS lockWait, @@SESSION.idle_transaction_timeout AS idle',
    );
    expect(Number(rows[0].lockWait)).toBe(LOCK_WAIT_SECONDS);
    expect(Number(rows[0].idle)).toBe(IDLE_TRANSACTION_SECONDS);
    expect(Math.max(LOCK_WAIT_SECONDS, IDLE_TRANSACTION_SECONDS)).toBeLessThan(20);
  });

  it('the waiting commit fails with a lock-wait timeout, then gets the lock once the frozen one is rolled back', async () => {
    const frozen: PoolConnection = await frozenPool.getConnection();
    await frozen.beginTransaction();
    await frozen.query("SELECT next_offset FROM stream_offsets WHERE stream_id = 's' FOR UPDATE");
    await frozen.query("UPDATE stream_offsets SET next_offset = 999 WHERE stream_id = 's'");
    // ...and says nothing more, like a worker stopped mid-commit.

    const errors: string[] = [];
    let committed = false;
    // Generous bound: only so a regression fails instead of hanging.
    for (let attempt = 0; attempt < 6 && !committed; attempt++) {
      const conn = await healthyPool.getConnection();
      try {
        await conn.beginTransaction();
        await conn.query("SELECT next_offset FROM stream_offsets WHERE stream_id = 's' FOR UPDATE");
        await conn.query("UPDATE stream_offsets SET next_offset = 10 WHERE stream_id = 's'");
        await conn.commit();
        committed = true;
      } catch (e) {
        errors.push(String((e as { code?: string }).code));
        await conn.rollback().catch(() => undefined);
      } finally {
        conn.release();
      }
    }
    expect(errors[0]).toBe('ER_LOCK_WAIT_TIMEOUT');
    expect(committed).toBe(true);
    const [rows] = await healthyPool.query<RowDataPacket[]>(
      "SELECT next_offset AS o FROM stream_offsets WHERE stream_id = 's'",
    );
    expect(Number(rows[0].o)).toBe(10); // the frozen transaction's 999 was rolled back, never committed
    // The frozen worker, thawed, finds its transaction gone: its commit cannot land on top of the other's.
    await expect(frozen.commit()).rejects.toThrow();
    frozen.release();
  }, 120_000);
});
