/**
 * Expected results computed straight from the CSV files with csv-parse's sync API and plain loops: deliberately
 * independent of the pipeline's own parsing, joining and aggregation code.
 */
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface RefTotal {
  source: string;
  state: string;
  orders: number;
  amount: number;
}

type Row = Record<string, string>;

const readCsv = (file: string): Row[] => parse(fs.readFileSync(file), { columns: true, bom: true }) as Row[];

export function referenceTotals(ordersFile: string, customersFile: string): Map<string, RefTotal> {
  const customers = new Map(readCsv(customersFile).map((c) => [c.ID, c]));
  const totals = new Map<string, RefTotal>();
  const seen = new Set<string>();
  for (const o of readCsv(ordersFile)) {
    if (seen.has(o.ID)) continue;
    seen.add(o.ID);
    const c = customers.get(o['User ID']);
    if (!c) continue;
    const key = `${c.Source}|${c.State}`;
    const t = totals.get(key) ?? { source: c.Source, state: c.State, orders: 0, amount: 0 };
    t.orders += 1;
    t.amount += Number(o.Total);
    totals.set(key, t);
  }
  return totals;
}

export function referenceDaily(ordersFile: string, customersFile: string, from: string, to: string) {
  const customers = new Map(readCsv(customersFile).map((c) => [c.ID, c]));
  const daily = new Map<
    string,
    { day: string; source: string; state: string; orders: number; amount: number }
  >();
  for (const o of readCsv(ordersFile)) {
    const day = o['Created At'].slice(0, 10);
    if (day < from || day > to) continue;
    const c = customers.get(o['User ID']);
    if (!c) continue;
    const key = `${day}|${c.Source}|${c.State}`;
    const d = daily.get(key) ?? { day, source: c.Source, state: c.State, orders: 0, amount: 0 };
    d.orders += 1;
    d.amount += Number(o.Total);
    daily.set(key, d);
  }
  return daily;
}

export const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
