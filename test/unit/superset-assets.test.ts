/** The Superset asset bundle without a Superset: what an import receives, and how an export is made reviewable. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { bundle, CANONICAL_URI, normaliseExport, unfold } from '../../tools/superset/assets';
import { ASSETS_DIR } from '../../tools/superset/install';
import { readZip, writeZip } from '../../tools/superset/zip';

describe('superset assets', () => {
  it('round-trips a ZIP (deflated, UTF-8 names)', () => {
    const entries = [
      { name: 'root/metadata.yaml', data: Buffer.from('version: 1.0.0\n') },
      { name: 'root/charts/Ventes_été.yaml', data: Buffer.from('x'.repeat(10_000)) },
    ];
    expect(readZip(writeZip(entries))).toEqual(entries);
  });

  it("bundles every asset under one root, the connection rewritten for this config's MySQL, no password", () => {
    const config = loadConfig({
      MYSQL_URL: 'mysql://writer:secret@db.internal:3307/test_sales',
      MYSQL_READONLY_USER: 'analyst_ro',
      MYSQL_READONLY_PASSWORD: 'ro-secret',
    });
    const entries = readZip(bundle(ASSETS_DIR, config));
    const onDisk = fs
      .readdirSync(ASSETS_DIR, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.yaml'));
    expect(entries.map((e) => e.name).sort()).toEqual(onDisk.map((f) => `salesflow_assets/${f}`).sort());
    const database = entries
      .find((e) => e.name === 'salesflow_assets/databases/salesflow.yaml')
      ?.data.toString();
    expect(database).toContain(
      'sqlalchemy_uri: mysql+pymysql://analyst_ro:XXXXXXXXXX@db.internal:3307/test_sales\n',
    );
    const all = entries.map((e) => e.data.toString()).join('\n');
    expect(all).not.toMatch(/secret|writer/);
    // The same bytes for the same input: nothing time-dependent goes into a bundle.
    expect(bundle(ASSETS_DIR, config)).toEqual(bundle(ASSETS_DIR, config));
  });

  it('normalises an export: no root, no instance IDs (in names or references) or timestamp, the canonical URI, query_context unfolded', () => {
    const chart = [
      'slice_name: Top 10',
      'params:',
      '  datasource: 12__table',
      `query_context: '{"datasource": {"id": 12, "type": "table"}, "form_data": {"datasource":`,
      `  "12__table", "chart_id": 345, "slice_id": 345, "title": "it''s"}}'`,
      'uuid: 3119d4d4-35f5-4c7f-b1a8-e6c3fdf53798',
      '',
    ].join('\n');
    const zip = writeZip([
      { name: 'assets_export_20261126T101010/metadata.yaml', data: Buffer.from("timestamp: '2026-11-26'\n") },
      {
        name: 'assets_export_20261126T101010/databases/salesflow.yaml',
        data: Buffer.from(
          'sqlalchemy_uri: mysql+pymysql://salesflow_ro:XXXXXXXXXX@127.0.0.1:3306/superset_ab12\n',
        ),
      },
      { name: 'assets_export_20261126T101010/charts/Top_10_345.yaml', data: Buffer.from(chart) },
      {
        name: 'assets_export_20261126T101010/dashboards/Online_sales_7.yaml',
        data: Buffer.from('      chartId: 345\n'),
      },
      // Superset 6 names datasets with their ID too; a table whose name ends in digits keeps them.
      {
        name: 'assets_export_20261126T101010/datasets/salesflow/sales_totals_12.yaml',
        data: Buffer.from('a: 1\n'),
      },
      {
        name: 'assets_export_20261126T101010/datasets/salesflow/sales_2024_13.yaml',
        data: Buffer.from('b: 2\n'),
      },
    ]);
    const files = Object.fromEntries(normaliseExport(zip).map((f) => [f.name, f.text]));
    expect(Object.keys(files).sort()).toEqual([
      'charts/Top_10.yaml',
      'dashboards/Online_sales.yaml',
      'databases/salesflow.yaml',
      'datasets/salesflow/sales_2024.yaml',
      'datasets/salesflow/sales_totals.yaml',
      'metadata.yaml',
    ]);
    expect(files['metadata.yaml']).toBe("timestamp: '2026-01-01T00:00:00+00:00'\n");
    expect(files['databases/salesflow.yaml']).toBe(`sqlalchemy_uri: ${CANONICAL_URI}\n`);
    expect(files['dashboards/Online_sales.yaml']).toBe('      chartId: 0\n');
    expect(files['charts/Top_10.yaml']).toBe(
      [
        'slice_name: Top 10',
        'params:',
        '  datasource: 0__table',
        `query_context: '{"datasource": {"id": 0, "type": "table"}, "form_data": {"datasource": "0__table", "chart_id": 0, "slice_id": 0, "title": "it''s"}}'`,
        'uuid: 3119d4d4-35f5-4c7f-b1a8-e6c3fdf53798',
        '',
      ].join('\n'),
    );
  });

  it('leaves YAML without a query_context alone, and the committed assets are already normal', () => {
    expect(unfold('a: 1\nb:\n  c: 2\n')).toBe('a: 1\nb:\n  c: 2\n');
    for (const f of fs.readdirSync(path.join(ASSETS_DIR, 'charts'))) {
      const text = fs.readFileSync(path.join(ASSETS_DIR, 'charts', f), 'utf8');
      expect(unfold(text), f).toBe(text);
      expect(text, f).toMatch(/^query_context: '.*'$/m); // every chart answers /api/v1/chart/<id>/data
    }
  });
});
