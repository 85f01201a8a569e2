/** The bench's input: a generated data set in a throw-away folder, and a CSV's orders as Kafka messages. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readOrdersFile } from '../../activities/input-file';
import { writeDataSet } from '../../app/ops/generate';
import type { Config } from '../../src/config';
import { DEFAULT_GENERATE_OPTIONS } from '../../src/core/generate';
import { encodeOrderMessage } from '../../src/core/message';
import { onInterrupt } from './interrupt';

export type Message = { key: string; value: string };

/** Generates `orders` orders (and the default customers) with `seed`, hands fn the two CSVs, then deletes them. */
export async function withDataSet<T>(
  config: Config,
  orders: number,
  seed: number,
  fn: (ordersCsv: string, customersCsv: string) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(config.stateDir, 'bench-'));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const withdraw = onInterrupt(`data set ${dir}`, async () => remove());
  try {
    console.error(`bench: generating ${orders} orders`);
    await writeDataSet({ ...DEFAULT_GENERATE_OPTIONS, orders, seed }, dir);
    return await fn(path.join(dir, 'orders.csv'), path.join(dir, 'customers.csv'));
  } finally {
    withdraw();
    remove();
  }
}

/** Reads a CSV's orders into Kafka messages, in memory: the bench's publishers must not wait on a file. */
export async function messagesOf(file: string): Promise<Message[]> {
  const messages: Message[] = [];
  for await (const item of readOrdersFile(file))
    if (item.ok) messages.push({ key: String(item.order.id), value: encodeOrderMessage(item.order) });
  return messages;
}
