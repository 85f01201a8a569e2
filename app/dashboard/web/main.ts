/**
 * The dashboard page: fetches the JSON API, draws with ECharts (tree-shaken, SVG renderer), refreshes when the
 * server's event stream says a window committed (or a backfill wrote history), and polls every window as a
 * fallback. Every chart has a data table (under "Data table") for screen readers and for copying numbers.
 */
import { BarChart, HeatmapChart, LineChart, MapChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import statesTopo from 'us-atlas/states-albers-10m.json';
import { SOURCES } from '../../../src/core/types';
import type { Daily, Granularity, Health, StateSales, Totals, WindowSales } from '../api';
import { STATE_NAMES } from './states';

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  MapChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  SVGRenderer,
]);

const COLORS: Record<string, string> = {
  Organic: '#2f9e44',
  Affiliate: '#f08c00',
  Facebook: '#1c7ed6',
  Google: '#e03131',
  Twitter: '#15aabf',
};
const NO_SALES = 'No orders counted yet — start a replay: npx salesflow replay';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const compactMoney = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  notation: 'compact',
  maximumFractionDigits: 1,
});
const wholeMoney = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});
const count = new Intl.NumberFormat('en-US');
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const stateName = (code: string) => STATE_NAMES[code] ?? code;
/**
 * ECharts renders tooltip formatters' strings as HTML: every value in one goes through esc, since a state or
 * source comes from loaded data (a customers CSV) and must never become markup.
 */
const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const clock = (d: Date) => d.toLocaleTimeString('en-US', { hour12: false });

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

const charts: echarts.ECharts[] = [];
function chart(el: HTMLElement): echarts.ECharts {
  const c = echarts.init(el, undefined, { renderer: 'svg' });
  charts.push(c);
  return c;
}
window.addEventListener('resize', () => {
  for (const c of charts) c.resize();
});

const emptyTitle = (text: string) => ({
  text,
  left: 'center',
  top: 'middle',
  textStyle: { color: '#667085', fontSize: 13, fontWeight: 'normal' as const },
  backgroundColor: 'rgba(255, 255, 255, 0.9)',
  padding: [6, 10],
  borderRadius: 6,
});
const titleFor = (hasData: boolean, empty: string) =>
  hasData ? { show: false } : { ...emptyTitle(empty), show: true };

/** Replaces a table's content: a header row, body rows, optional footer rows; numeric columns right-aligned. */
function fillTable(
  table: HTMLTableElement,
  head: string[],
  rows: string[][],
  numeric: boolean[],
  foot: string[][] = [],
): void {
  table.innerHTML = '';
  const cells = (tr: HTMLTableRowElement, r: string[], header: boolean) =>
    r.forEach((cell, i) => {
      const c = header ? document.createElement('th') : tr.insertCell();
      if (header) {
        (c as HTMLTableCellElement).scope = 'col';
        tr.appendChild(c);
      }
      c.textContent = cell;
      if (numeric[i]) c.className = 'num';
    });
  cells(table.createTHead().insertRow(), head, true);
  const body = table.createTBody();
  for (const r of rows) cells(body.insertRow(), r, false);
  if (foot.length) {
    const tfoot = table.createTFoot();
    for (const r of foot) cells(tfoot.insertRow(), r, false);
  }
}

// --- The five per-source charts, like the seed's Superset figures -----------------------------------------------

const sourceCharts = new Map<
  string,
  { chart: echarts.ECharts; table: HTMLTableElement; total: HTMLElement }
>();
function buildSourceCards(): void {
  const host = $('source-charts');
  for (const source of SOURCES) {
    const card = document.createElement('section');
    card.className = 'card';
    card.dataset.source = source;
    card.innerHTML = `<h3><span class="swatch" style="background:${esc(COLORS[source])}"></span>Total Sales in different states with Source ${esc(source)}<span class="total"></span></h3>
      <div class="chart" role="img" aria-label="Bar chart: amount paid per state for source ${esc(source)}, highest first"></div>
      <details><summary>Data table</summary><table class="data" aria-label="Sales per state, source ${esc(source)}, highest first"></table></details>`;
    host.appendChild(card);
    sourceCharts.set(source, {
      chart: chart(card.querySelector('.chart') as HTMLElement),
      table: card.querySelector('table') as HTMLTableElement,
      total: card.querySelector('.total') as HTMLElement,
    });
  }
}

function drawSource(source: string, rows: StateSales[]): void {
  const s = sourceCharts.get(source)!;
  const amount = rows.reduce((n, r) => n + r.amount, 0);
  const orders = rows.reduce((n, r) => n + r.orders, 0);
  s.total.textContent = rows.length ? `${money.format(amount)} · ${count.format(orders)} orders` : '';
  s.chart.setOption(
    {
      title: titleFor(rows.length > 0, NO_SALES),
      grid: { left: 56, right: 12, top: 14, bottom: 40 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (p: Array<{ dataIndex: number }>) => {
          const r = rows[p[0].dataIndex];
          return `<b>${esc(stateName(r.state))} (${esc(r.state)})</b><br/>${esc(money.format(r.amount))}<br/>${esc(count.format(r.orders))} orders`;
        },
      },
      xAxis: {
        type: 'category',
        data: rows.map((r) => r.state),
        axisLabel: { interval: 0, rotate: rows.length > 30 ? 90 : 0, fontSize: 10 },
        axisTick: { show: false },
        show: rows.length > 0,
      },
      yAxis: {
        type: 'value',
        axisLabel: { formatter: (v: number) => compactMoney.format(v) },
        show: rows.length > 0,
      },
      series: [
        {
          type: 'bar',
          name: source,
          data: rows.map((r) => r.amount),
          itemStyle: { color: COLORS[source], borderRadius: [3, 3, 0, 0] },
          barMaxWidth: 28,
        },
      ],
    },
    true,
  );
  fillTable(
    s.table,
    ['State', 'Orders', 'Amount paid'],
    rows.map((r) => [r.state, count.format(r.orders), money.format(r.amount)]),
    [false, true, true],
    rows.length ? [['Total', count.format(orders), money.format(amount)]] : [],
  );
}

// --- Comparison heatmap and map ----------------------------------------------------------------------------------

let heatmap: echarts.ECharts;
function drawHeatmap(t: Totals): void {
  const byState = new Map<string, number>();
  for (const r of t.rows) byState.set(r.state, (byState.get(r.state) ?? 0) + r.amount);
  const states = [...byState.keys()].sort((a, b) => byState.get(b)! - byState.get(a)! || a.localeCompare(b));
  const max = Math.max(0, ...t.rows.map((r) => r.amount));
  const has = t.rows.length > 0;
  heatmap.setOption(
    {
      title: titleFor(has, NO_SALES),
      tooltip: {
        formatter: (p: { value: [number, number, number] }) =>
          `<b>${esc(SOURCES[p.value[1]])} · ${esc(stateName(states[p.value[0]]))}</b><br/>${esc(money.format(p.value[2]))}`,
      },
      grid: { left: 72, right: 16, top: 8, bottom: 84 },
      xAxis: {
        type: 'category',
        data: states,
        axisLabel: { interval: 0, rotate: 90, fontSize: 9 },
        axisTick: { show: false },
        show: has,
      },
      yAxis: { type: 'category', data: [...SOURCES], axisTick: { show: false }, show: has },
      visualMap: {
        min: 0,
        max: max || 1,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 220,
        itemWidth: 10,
        text: [compactMoney.format(max), '$0'],
        textStyle: { color: '#667085', fontSize: 11 },
        inRange: { color: ['#f1f5fb', '#a5c8f0', '#1c7ed6', '#0b3d7a'] },
        show: has,
      },
      series: [
        {
          type: 'heatmap',
          data: t.rows.map((r) => [states.indexOf(r.state), SOURCES.indexOf(r.source as never), r.amount]),
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
          emphasis: { itemStyle: { borderColor: '#1d2430', borderWidth: 1 } },
        },
      ],
    },
    true,
  );
  const cell = new Map(t.rows.map((r) => [`${r.source}|${r.state}`, r.amount]));
  fillTable(
    $<HTMLTableElement>('heatmap-table'),
    ['State', ...SOURCES, 'All sources'],
    states.map((st) => [
      st,
      ...SOURCES.map((s) => money.format(cell.get(`${s}|${st}`) ?? 0)),
      money.format(byState.get(st)!),
    ]),
    [false, ...SOURCES.map(() => true), true],
    has ? [['Total', ...t.bySource.map((s) => money.format(s.amount)), money.format(t.amount)]] : [],
  );
}

let map: echarts.ECharts;
let lastTotals: Totals | null = null;
function registerUsMap(): void {
  const topo = statesTopo as unknown as Topology<{ states: GeometryCollection<{ name: string }> }>;
  echarts.registerMap('usa', feature(topo, topo.objects.states) as never);
}

function drawMap(): void {
  const t = lastTotals;
  if (!t) return;
  const source = $<HTMLSelectElement>('map-source').value;
  const byState = new Map<string, { amount: number; orders: number }>();
  for (const r of t.rows) {
    if (source && r.source !== source) continue;
    const e = byState.get(r.state) ?? { amount: 0, orders: 0 };
    e.amount += r.amount;
    e.orders += r.orders;
    byState.set(r.state, e);
  }
  const ranked = [...byState].sort((a, b) => b[1].amount - a[1].amount);
  const data = ranked.map(([state, v]) => ({ name: stateName(state), value: v.amount, ...v }));
  const max = Math.max(0, ...data.map((d) => d.value));
  const label = source || 'all sources';
  $('map').setAttribute('aria-label', `US map coloured by amount paid per state, ${label}`);
  map.setOption(
    {
      title: titleFor(data.length > 0, NO_SALES),
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; data?: { amount: number; orders: number } }) =>
          p.data
            ? `<b>${esc(p.name)}</b><br/>${esc(money.format(p.data.amount))}<br/>${esc(count.format(p.data.orders))} orders`
            : `<b>${esc(p.name)}</b><br/>no sales`,
      },
      visualMap: {
        min: 0,
        max: max || 1,
        left: 8,
        bottom: 8,
        text: [compactMoney.format(max), '$0'],
        textStyle: { color: '#667085', fontSize: 11 },
        calculable: false,
        itemHeight: 120,
        itemWidth: 10,
        inRange: { color: ['#eef4fb', source ? COLORS[source] : '#1c7ed6', '#0b2545'] },
        show: data.length > 0,
      },
      series: [
        {
          type: 'map',
          map: 'usa',
          // us-atlas's states-albers-10m shapes are already projected with Albers USA (Alaska and Hawaii as
          // insets) in 975x610 pixel coordinates: the identity keeps them as drawn.
          projection: { project: (p: number[]) => p, unproject: (p: number[]) => p },
          left: 40,
          right: 8,
          top: 8,
          bottom: 8,
          roam: false,
          data,
          itemStyle: { borderColor: '#fff', borderWidth: 0.6, areaColor: '#eef0f3' },
          emphasis: { label: { show: false }, itemStyle: { areaColor: '#ffd43b' } },
          select: { disabled: true },
        },
      ],
    },
    true,
  );
  fillTable(
    $<HTMLTableElement>('map-table'),
    ['State', 'Orders', `Amount paid (${label})`],
    ranked.map(([st, v]) => [`${stateName(st)} (${st})`, count.format(v.orders), money.format(v.amount)]),
    [false, true, true],
  );
}

// --- The live stream's windows -----------------------------------------------------------------------------------

let windowsChart: echarts.ECharts;
function drawWindows(ws: WindowSales[], windowSeconds: number): void {
  const start = (w: WindowSales) => new Date(w.windowStart).getTime();
  const has = ws.length > 0;
  windowsChart.setOption(
    {
      title: titleFor(has, 'No windows flushed yet — the stream commits one every window'),
      legend: { top: 0, show: has, itemWidth: 12, itemHeight: 10 },
      grid: { left: 64, right: 24, top: 34, bottom: 30 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (p: Array<{ dataIndex: number }>) => {
          const w = ws[p[0].dataIndex];
          const lines = SOURCES.filter((s) => w.bySource[s]).map(
            (s) =>
              `<span style="color:${esc(COLORS[s])}">●</span> ${esc(s)}: ${esc(money.format(w.bySource[s] ?? 0))}`,
          );
          return [
            `<b>${esc(clock(new Date(w.windowStart)))}–${esc(clock(new Date(w.windowEnd)))}</b>`,
            `${esc(count.format(w.orders))} orders · ${esc(money.format(w.amount))}`,
            ...lines,
          ].join('<br/>');
        },
      },
      // A time axis: windows that held nothing leave a visible gap instead of vanishing.
      xAxis: {
        type: 'time',
        show: has,
        min: has ? start(ws[0]) - windowSeconds * 500 : undefined,
        max: has ? start(ws[ws.length - 1]) + windowSeconds * 1500 : undefined,
        axisLabel: { formatter: (v: number) => clock(new Date(v)), hideOverlap: true },
        splitLine: { show: false },
      },
      yAxis: {
        type: 'value',
        axisLabel: { formatter: (v: number) => compactMoney.format(v) },
        show: has,
      },
      series: SOURCES.map((s) => ({
        type: 'bar' as const,
        name: s,
        stack: 'amount',
        data: ws.map((w) => [start(w) + (windowSeconds * 1000) / 2, w.bySource[s] ?? 0]),
        itemStyle: { color: COLORS[s] },
        barMaxWidth: 28,
        barMinWidth: 3,
      })),
    },
    true,
  );
  const recent = ws.slice(-30).reverse();
  fillTable(
    $<HTMLTableElement>('windows-table'),
    ['Window', 'Orders', 'Amount paid', ...SOURCES],
    recent.map((w) => [
      `${clock(new Date(w.windowStart))}–${clock(new Date(w.windowEnd))}`,
      count.format(w.orders),
      money.format(w.amount),
      ...SOURCES.map((s) => money.format(w.bySource[s] ?? 0)),
    ]),
    [false, true, true, ...SOURCES.map(() => true)],
  );
  $('windows-caption').textContent = has
    ? `last ${count.format(ws.length)} windows of ${windowSeconds} s · table: newest ${recent.length}`
    : '';
}

// --- Daily history -------------------------------------------------------------------------------------------------

let dailyChart: echarts.ECharts;
/** Set once the analyst picks a range; until then the page follows the data's own range. */
let dailyRangeChosen = false;

/** Day bars for up to three months, weeks up to two years, months beyond: a readable number of bars. */
function autoGranularity(from: string, to: string): Granularity {
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  return days <= 92 ? 'day' : days <= 731 ? 'week' : 'month';
}

let dailySeq = 0;
async function refreshDaily(): Promise<void> {
  // The latest request wins: an answer that arrives after a newer request was made is dropped.
  const seq = ++dailySeq;
  const fromInput = $<HTMLInputElement>('daily-from');
  const toInput = $<HTMLInputElement>('daily-to');
  const choice = $<HTMLSelectElement>('daily-by').value;
  const error = $('daily-error');
  const q = new URLSearchParams();
  if (dailyRangeChosen) {
    if (fromInput.value) q.set('from', fromInput.value);
    if (toInput.value) q.set('to', toInput.value);
  }
  let d: Daily;
  try {
    // Open ends: ask once for the data's range, then for the grouping that suits it.
    let by = choice as Granularity;
    let probe: Daily | null = null;
    if (choice === 'auto') {
      const from = q.get('from');
      const to = q.get('to');
      if (from && to) by = autoGranularity(from, to);
      else {
        probe = await getJson<Daily>(`/api/daily?${q}&by=month`);
        by = probe.from && probe.to ? autoGranularity(probe.from, probe.to) : 'month';
      }
    }
    q.set('by', by);
    d = probe && by === 'month' ? probe : await getJson<Daily>(`/api/daily?${q}`);
    if (seq !== dailySeq) return;
    error.hidden = true;
  } catch (e) {
    if (seq !== dailySeq) return;
    error.textContent = (e as Error).message;
    error.hidden = false;
    return;
  }
  if (!dailyRangeChosen) {
    fromInput.value = d.from ?? '';
    toInput.value = d.to ?? '';
  }
  const buckets = [...new Set(d.rows.map((r) => r.day))];
  const index = new Map(buckets.map((day, i) => [day, i]));
  const has = d.rows.length > 0;
  const label = (day: string) =>
    d.by === 'month'
      ? new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', {
          month: 'short',
          year: 'numeric',
          timeZone: 'UTC',
        })
      : d.by === 'week'
        ? `wk of ${day}`
        : day;
  const perSource = SOURCES.map((s) => {
    const values = new Array<number>(buckets.length).fill(0);
    for (const r of d.rows) if (r.source === s) values[index.get(r.day)!] = r.amount;
    return values;
  });
  dailyChart.setOption(
    {
      title: titleFor(
        has,
        'No daily history in this range — run a backfill: npx salesflow backfill --from 2016-01-01 --to 2020-12-31',
      ),
      legend: { top: 0, show: has, itemWidth: 12, itemHeight: 10 },
      grid: { left: 64, right: 16, top: 34, bottom: 64 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: d.by === 'day' ? 'line' : 'shadow' },
        valueFormatter: (v: number) => money.format(v),
      },
      dataZoom: has ? [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 10 }] : [],
      xAxis: {
        type: 'category',
        data: buckets.map(label),
        show: has,
        axisLabel: { hideOverlap: true },
      },
      yAxis: {
        type: 'value',
        axisLabel: { formatter: (v: number) => compactMoney.format(v) },
        show: has,
      },
      series: SOURCES.map((s, i) =>
        d.by === 'day'
          ? {
              type: 'line' as const,
              name: s,
              stack: 'amount',
              areaStyle: { opacity: 0.55 },
              showSymbol: false,
              lineStyle: { width: 0.8 },
              itemStyle: { color: COLORS[s] },
              data: perSource[i],
            }
          : {
              type: 'bar' as const,
              name: s,
              stack: 'amount',
              itemStyle: { color: COLORS[s] },
              barMaxWidth: 32,
              data: perSource[i],
            },
      ),
    },
    true,
  );
  const totalOf = (i: number) => perSource.reduce((n, v) => n + v[i], 0);
  fillTable(
    $<HTMLTableElement>('daily-table'),
    [d.by === 'day' ? 'Day' : d.by === 'week' ? 'Week of' : 'Month', ...SOURCES, 'All sources'],
    buckets.map((day, i) => [
      d.by === 'month' ? day.slice(0, 7) : day,
      ...perSource.map((v) => money.format(v[i])),
      money.format(totalOf(i)),
    ]),
    [false, ...SOURCES.map(() => true), true],
  );
  $('daily-caption').textContent = has
    ? `${d.from} to ${d.to}, by ${d.by} · ${money.format(d.rows.reduce((n, r) => n + r.amount, 0))}`
    : '';
}

// --- Health ---------------------------------------------------------------------------------------------------------

const STREAM_OK = new Set(['running']);
const STREAM_WARN = new Set(['paused', 'stopping', 'no worker', 'not found']);

function drawHealth(h: Health, t: Totals): void {
  $('kpi-orders').textContent = count.format(h.countedOrders);
  $('kpi-amount').textContent = wholeMoney.format(t.amount);
  $('kpi-amount').title = money.format(t.amount);
  $('kpi-amount-hint').textContent = money.format(t.amount);
  if (h.lastWindow) {
    $('kpi-window').textContent = clock(new Date(h.lastWindow.windowStart));
    $('kpi-window-hint').textContent =
      `${count.format(h.lastWindow.orders)} orders · ${money.format(h.lastWindow.amount)}`;
  } else {
    $('kpi-window').textContent = 'none yet';
    $('kpi-window-hint').textContent = `windows of ${h.windowSeconds} s`;
  }
  $('kpi-lag').textContent = h.stream.lagRecords === null ? '–' : count.format(h.stream.lagRecords);
  $('kpi-lag-hint').textContent =
    h.stream.lagRecords === null ? 'stream not answering' : 'records not yet counted';
  $('kpi-rate').textContent = h.ordersPerSecond === null ? '–' : count.format(Math.round(h.ordersPerSecond));
  const stream = $('kpi-stream');
  stream.textContent = h.stream.status;
  stream.className = `value ${STREAM_OK.has(h.stream.status) ? 'ok' : STREAM_WARN.has(h.stream.status) ? 'warn' : 'bad'}`;
  $('kpi-stream-hint').textContent =
    (h.stream.status === 'degraded' ? h.stream.detail : h.stream.phase) ??
    h.stream.detail ??
    h.stream.workflowId;
  $('kpi-stream-hint').title = h.stream.detail ?? h.stream.workflowId;
  const dlq = Object.entries(h.dlq);
  const dlqTotal = dlq.reduce((n, [, c]) => n + c, 0);
  $('kpi-dlq').textContent = count.format(dlqTotal);
  $('kpi-dlq').className = `value ${dlqTotal ? 'warn' : ''}`;
  $('kpi-dlq-hint').textContent = dlq.length ? `${dlq.length} reason${dlq.length > 1 ? 's' : ''}` : 'none';
  fillTable(
    $<HTMLTableElement>('dlq-table'),
    ['Reason', 'Messages'],
    dlq.length ? dlq.map(([r, c]) => [r, count.format(c)]) : [['none yet', '0']],
    [false, true],
  );
  $('empty-banner').hidden = h.countedOrders > 0;
}

// --- Refresh loop -----------------------------------------------------------------------------------------------------

let windowSeconds = 15;
let refreshing = false;
let again = false;
async function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    // Health asks Temporal too (slower when no worker answers): it never holds the charts back.
    const health = getJson<Health>('/api/health');
    const [totals, windows, ...bySource] = await Promise.all([
      getJson<Totals>('/api/sales/totals'),
      getJson<WindowSales[]>('/api/windows?limit=120'),
      ...SOURCES.map((s) => getJson<StateSales[]>(`/api/sales/by-state?source=${s}`)),
    ]);
    lastTotals = totals;
    for (const [i, s] of SOURCES.entries()) drawSource(s, bySource[i] as StateSales[]);
    drawHeatmap(totals);
    drawMap();
    const h = await health;
    windowSeconds = h.windowSeconds;
    drawWindows(windows, h.windowSeconds);
    drawHealth(h, totals);
    $('live-text').textContent = `${live ? 'live' : 'polling'} · updated ${clock(new Date())}`;
    document.body.dataset.updated = String(Date.now());
  } catch (e) {
    $('live-text').textContent = `error: ${(e as Error).message}`;
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

let live = false;
let lastEvent = 0;
let dailyStamp: string | null = null;
function connectEvents(): void {
  const events = new EventSource('/api/events');
  const on = (yes: boolean) => {
    live = yes;
    $('live').classList.toggle('on', yes);
  };
  events.addEventListener('hello', () => on(true));
  events.addEventListener('update', (e) => {
    lastEvent = Date.now();
    const stamp = JSON.parse((e as MessageEvent).data) as { live: string; daily: string };
    void refresh();
    if (dailyStamp !== null && stamp.daily !== dailyStamp) void refreshDaily();
    dailyStamp = stamp.daily;
  });
  events.onerror = () => {
    on(false);
    $('live-text').textContent = 'reconnecting…';
  };
  events.onopen = () => on(true);
}

/** The fallback: when no event arrived for a window (a proxy cutting the stream, say), poll anyway. */
function fallbackPoll(): void {
  const ms = Math.min(windowSeconds, 15) * 1000;
  if (Date.now() - lastEvent >= ms) void refresh();
  window.setTimeout(fallbackPoll, ms);
}

function main(): void {
  registerUsMap();
  buildSourceCards();
  heatmap = chart($('heatmap'));
  map = chart($('map'));
  windowsChart = chart($('windows'));
  dailyChart = chart($('daily'));
  const select = $<HTMLSelectElement>('map-source');
  for (const s of SOURCES) select.add(new Option(s, s));
  select.addEventListener('change', drawMap);
  $('daily-form').addEventListener('submit', (e) => {
    e.preventDefault();
    dailyRangeChosen = true;
    void refreshDaily();
  });
  // Once the analyst touches a date, live updates never overwrite it.
  for (const id of ['daily-from', 'daily-to'])
    $(id).addEventListener('input', () => {
      dailyRangeChosen = true;
    });
  $('daily-reset').addEventListener('click', () => {
    dailyRangeChosen = false;
    $<HTMLSelectElement>('daily-by').value = 'auto';
    void refreshDaily();
  });
  $('daily-by').addEventListener('change', () => void refreshDaily());
  void refresh();
  void refreshDaily();
  connectEvents();
  window.setTimeout(fallbackPoll, 15_000);
}

main();
