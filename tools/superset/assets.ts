/**
 * Our Superset assets (superset/assets: database, datasets, charts, dashboard in Superset's own YAML export
 * format) and the REST calls that import and export them. The YAML names no real database: at import the
 * connection URI is rewritten for the configured MySQL (host, port, database from MYSQL_URL, the read-only user)
 * and the password travels separately, in the import call's `passwords` field, so it is never in a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../src/config';
import { mysqlTarget } from '../../src/io/mysql';
import { readZip, writeZip } from './zip';

export const DASHBOARD_SLUG = 'online-sales';
export const DATABASE_FILE = 'databases/salesflow.yaml';
/** How the repository's YAML spells the connection: the defaults, with Superset's own password mask. */
export const CANONICAL_URI = 'mysql+pymysql://salesflow_ro:XXXXXXXXXX@127.0.0.1:3306/sales_data';
const CANONICAL_TIMESTAMP = '2026-01-01T00:00:00+00:00';
const ASSET_FOLDERS = ['databases', 'datasets', 'charts', 'dashboards', 'queries'];

export function connectionUri(config: Config): string {
  const t = mysqlTarget(config);
  // URL.hostname keeps an IPv6 address in its brackets, as the URI needs it.
  return `mysql+pymysql://${encodeURIComponent(config.mysqlReadonlyUser)}:XXXXXXXXXX@${t.host}:${t.port}/${t.database}`;
}

/** A logged-in REST session: a JWT for the API plus the CSRF token and session cookie Superset wants on writes. */
export class SupersetApi {
  private constructor(
    readonly url: string,
    private readonly token: string,
    private readonly csrf: string,
    private readonly cookie: string,
  ) {}

  static async login(url: string, username: string, password: string): Promise<SupersetApi> {
    const res = await fetch(`${url}/api/v1/security/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password, provider: 'db', refresh: false }),
    });
    if (!res.ok)
      throw new Error(
        `Superset login as ${username} failed: HTTP ${res.status} ${errorDetail(await res.text())}`,
      );
    const token = ((await res.json()) as { access_token: string }).access_token;
    const csrfRes = await fetch(`${url}/api/v1/security/csrf_token/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!csrfRes.ok) throw new Error(`Superset CSRF token: HTTP ${csrfRes.status}`);
    const csrf = ((await csrfRes.json()) as { result: string }).result;
    const cookie = csrfRes.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return new SupersetApi(url, token, csrf, cookie);
  }

  async request(method: string, p: string, body?: FormData | object): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      'x-csrftoken': this.csrf,
      referer: this.url,
      cookie: this.cookie,
    };
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.url}${p}`, { method, headers, body: payload });
    if (!res.ok)
      throw new Error(`Superset ${method} ${p}: HTTP ${res.status} ${errorDetail(await res.text())}`);
    return res;
  }

  async json<T>(p: string): Promise<T> {
    return (await (await this.request('GET', p)).json()) as T;
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? listFiles(dir, path.posix.join(prefix, d.name)) : [path.posix.join(prefix, d.name)],
    )
    .sort();
}

/** The assets folder as an import bundle for this configuration: a ZIP with one root folder, as Superset wants. */
export function bundle(assetsDir: string, config: Config): Buffer {
  const uri = connectionUri(config);
  const entries = listFiles(assetsDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((name) => {
      let text = fs.readFileSync(path.join(assetsDir, name), 'utf8');
      if (name.startsWith('databases/'))
        text = text.replace(/^sqlalchemy_uri: .*$/m, `sqlalchemy_uri: ${uri}`);
      return { name: `salesflow_assets/${name}`, data: Buffer.from(text) };
    });
  if (!entries.some((e) => e.name.endsWith('/metadata.yaml')))
    throw new Error(`${assetsDir} is not a Superset asset folder (no metadata.yaml)`);
  return writeZip(entries);
}

/** Imports (creating or overwriting by UUID) every asset, the database password passed alongside, not in files. */
export async function importAssets(api: SupersetApi, assetsDir: string, config: Config): Promise<void> {
  const form = new FormData();
  form.append(
    'bundle',
    new Blob([new Uint8Array(bundle(assetsDir, config))], { type: 'application/zip' }),
    'salesflow_assets.zip',
  );
  form.append('passwords', JSON.stringify({ [DATABASE_FILE]: config.mysqlReadonlyPassword }));
  await api.request('POST', '/api/v1/assets/import/', form);
}

/**
 * Superset's export of everything, made reviewable: no root folder, no export timestamp, no instance IDs in
 * file names, and the connection spelled as the repository spells it, so exporting what was imported changes
 * nothing and a diff shows only what an analyst changed.
 */
export function normaliseExport(zip: Buffer): Array<{ name: string; text: string }> {
  return readZip(zip)
    .map((e) => ({ name: e.name.replace(/^[^/]+\//, ''), text: e.data.toString('utf8') }))
    .filter((e) => e.name.endsWith('.yaml'))
    .map(({ name, text }) => {
      let out = text;
      if (name === 'metadata.yaml')
        out = out.replace(/^timestamp: .*$/m, `timestamp: '${CANONICAL_TIMESTAMP}'`);
      if (name.startsWith('databases/'))
        out = out.replace(/^sqlalchemy_uri: .*$/m, `sqlalchemy_uri: ${CANONICAL_URI}`);
      // This instance's row IDs, as 0: an import finds charts and datasets by UUID and rewrites these references
      // (the dataset in params and query_context, the charts in the dashboard's layout).
      out = out
        .replace(/^(\s+chartId: )\d+$/gm, '$10')
        .replace(/^(\s*datasource: )\d+__(\w+)$/gm, '$10__$2')
        .replace(/("datasource":\s*\{\s*"id":\s*)\d+/g, '$10')
        .replace(/("datasource":\s*")\d+__/g, '$10__')
        .replace(/("(?:chart_id|slice_id|dashboardId)":\s*)\d+/g, '$10');
      return { name: withoutId(name), text: unfold(out) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A file name without the row ID Superset appends: charts/Top_10_345.yaml, dashboards/Online_sales_7.yaml and
 * datasets/<database>/sales_totals_2.yaml (Superset 6.1 names datasets with an ID too; 4.1 did not). Database
 * files have none.
 */
function withoutId(name: string): string {
  return name.replace(/^((?:charts|dashboards|datasets\/[^/]+)\/.+?)_\d+\.yaml$/, '$1.yaml');
}

export async function exportAssets(api: SupersetApi, dir: string): Promise<string[]> {
  const zip = Buffer.from(await (await api.request('GET', '/api/v1/assets/export/')).arrayBuffer());
  const files = normaliseExport(zip);
  // Replace, not merge: a chart deleted or renamed in the UI must disappear from the folder too.
  for (const sub of ASSET_FOLDERS) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  for (const f of files) {
    const target = path.join(dir, f.name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.text);
  }
  return files.map((f) => f.name);
}

/** Superset's reason in one line: its JSON message, or a pointer to its log for an HTML error page. */
function errorDetail(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; errors?: unknown };
    return JSON.stringify(j.errors ?? j.message ?? j).slice(0, 400);
  } catch {
    return /^\s*</.test(body)
      ? "(an error page: Superset's log has the traceback)"
      : body.replace(/\s+/g, ' ').slice(0, 400);
  }
}

/**
 * query_context on one line. Superset's YAML writer folds this long single-quoted JSON string at 80 columns,
 * where the break falls depends on the width of the instance's IDs, so the same chart would re-wrap from one
 * Superset to another. Unfolded (a break plus indentation is one space in a single-quoted scalar, and the writer
 * only breaks at a single space), it reads back as the same string and diffs stay about content.
 */
export function unfold(yaml: string): string {
  const start = yaml.search(/^query_context: '/m);
  if (start < 0) return yaml;
  let i = yaml.indexOf("'", start) + 1;
  for (; i < yaml.length; i++) {
    if (yaml[i] !== "'") continue;
    if (yaml[i + 1] === "'")
      i++; // an escaped quote
    else break;
  }
  return yaml.slice(0, start) + yaml.slice(start, i).replace(/\n[ \t]+/g, ' ') + yaml.slice(i);
}
