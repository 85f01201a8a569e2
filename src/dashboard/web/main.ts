/**
 * The dashboard page: fetches the JSON API, draws with ECharts (tree-shaken, SVG renderer), refreshes when the
 * server's event stream says a window committed, and falls back to polling every window.
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

const SOURCES = ['Organic', 'Affiliate', 'Facebook', 'Google', 'Twitter'] as const;
const COLORS: Record<string, string> = {
  Organic: '#2f9e44',
  Affiliate: '#f08c00',
  Facebook: '#1c7ed6',
  Google: '#e03131',
  Twitter: '#15aabf',
};
const NO_SALES = 'No orders counted yet — start a replay: npx salesflow replay';

interface StateSales {
  state: string;
  orders: number;
  amount: number;
}
interface Totals {
  orders: number;
  amount: number;
  bySource: Array<{ source: string; orders: number; amount: number }>;
  rows: Array<StateSales & { source: string }>;
}
interface WindowSales {
  windowStart: string;
  windowEnd: string;
  orders: number;
  amount: number;
  records: number;
  bySource: Record<string, number>;
}
interface Health {
  countedOrders: number;
  windows: number;
  lastWindow: WindowSales | null;
  ordersPerSecond: number | null;
  dlq: Record<string, number>;
  windowSeconds: number;
  stream: {
    workflowId: string;
    status: string;
    phase: string | null;
    lagRecords: number | null;
    detail?: string;
  };
}
interface Daily {
  from: string | null;
  to: string | null;
  rows: Array<{ day: string; source: string; orders: number; amount: number }>;
}

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
  textStyle: { color: '#98a2b3', fontSize: 13, fontWeight: 'normal' as const },
});

function fillTable(table: HTMLTableElement, head: string[], rows: string[][], numeric: boolean[]): void {
  table.innerHTML = '';
  const thead = table.createTHead().insertRow();
  head.forEach((h, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    if (numeric[i]) th.className = 'num';
    thead.appendChild(th);
  });
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((cell, i) => {
      const td = tr.insertCell();
      td.textContent = cell;
      if (numeric[i]) td.className = 'num';
    });
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
    card.innerHTML = `<h3>Total Sales in different states with Source ${source}<span class="total"></span></h3>
      <div class="chart" role="img" aria-label="Bar chart: amount paid per state for source ${source}, highest first"></div>
      <details><summary>Data table</summary><table class="data" aria-label="Sales per state, source ${source}"></table></details>`;
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
      title: rows.length ? { show: false } : { ...emptyTitle(NO_SALES), show: true },
      grid: { left: 56, right: 12, top: 14, bottom: 40 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (p: Array<{ dataIndex: number }>) => {
          const r = rows[p[0].dataIndex];
          return `<b>${STATE_NAMES[r.state] ?? r.state} (${r.state})</b><br/>${money.format(r.amount)}<br/>${count.format(r.orders)} orders`;
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
  );
}

// --- Comparison heatmap and map ----------------------------------------------------------------------------------

let heatmap: echarts.ECharts;
function drawHeatmap(t: Totals): void {
  const byState = new Map<string, number>();
  for (const r of t.rows) byState.set(r.state, (byState.get(r.state) ?? 0) + r.amount);
  const states = [...byState.keys()].sort((a, b) => byState.get(b)! - byState.get(a)!);
  const max = Math.max(0, ...t.rows.map((r) => r.amount));
  heatmap.setOption(
    {
      title: t.rows.length ? { show: false } : { ...emptyTitle(NO_SALES), show: true },
      tooltip: {
        formatter: (p: { value: [number, number, number] }) =>
          `<b>${SOURCES[p.value[1]]} · ${STATE_NAMES[states[p.value[0]]] ?? states[p.value[0]]}</b><br/>${money.format(p.value[2])}`,
      },
      grid: { left: 72, right: 16, top: 8, bottom: 70 },
      xAxis: {
        type: 'category',
        data: states,
        axisLabel: { interval: 0, rotate: 90, fontSize: 9 },
        show: t.rows.length > 0,
      },
      yAxis: { type: 'category', data: [...SOURCES], show: t.rows.length > 0 },
      visualMap: {
        min: 0,
        max: max || 1,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 220,
        itemWidth: 10,
        inRange: { color: ['#f1f5fb', '#a5c8f0', '#1c7ed6', '#0b3d7a'] },
        formatter: (v: number) => compactMoney.format(v),
        show: t.rows.length > 0,
      },
      series: [
        {
          type: 'heatmap',
          data: t.rows.map((r) => [states.indexOf(r.state), SOURCES.indexOf(r.source as never), r.amount]),
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
        },
      ],
    },
    true,
  );
}

let map: echarts.ECharts;
let lastTotals: Totals | null = null;
function registerUsMap(): void {
  const topo = statesTopo as unknown as Topology<{ states: GeometryCollection<{ name: string }> }>;
  const geo = feature(topo, topo.objects.states);
  echarts.registerMap('usa', geo as never);
}

function drawMap(): void {
  const t = lastTotals;
  if (!t) return;
  const source = ($('map-source') as HTMLSelectElement).value;
  const byState = new Map<string, { amount: number; orders: number }>();
  for (const r of t.rows) {
    if (source && r.source !== source) continue;
    const e = byState.get(r.state) ?? { amount: 0, orders: 0 };
    e.amount += r.amount;
    e.orders += r.orders;
    byState.set(r.state, e);
  }
  const data = [...byState].map(([state, v]) => ({
    name: STATE_NAMES[state] ?? state,
    value: v.amount,
    ...v,
  }));
  const max = Math.max(0, ...data.map((d) => d.value));
  map.setOption(
    {
      title: data.length ? { show: false } : { ...emptyTitle(NO_SALES), show: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; data?: { amount: number; orders: number } }) =>
          p.data
            ? `<b>${p.name}</b><br/>${money.format(p.data.amount)}<br/>${count.format(p.data.orders)} orders`
            : `<b>${p.name}</b><br/>no sales`,
      },
      visualMap: {
        min: 0,
        max: max || 1,
        left: 8,
        bottom: 8,
        text: ['more', 'less'],
        calculable: true,
        inRange: { color: ['#eef4fb', source ? COLORS[source] : '#1c7ed6', '#0b2545'] },
        formatter: (v: number) => compactMoney.format(v),
        show: data.length > 0,
      },
      series: [
        {
          type: 'map',
          map: 'usa',
          // us-atlas's Albers USA shapes are already projected (Alaska and Hawaii as insets), in SVG pixels.
          projection: { project: (p: number[]) => p, unproject: (p: number[]) => p },
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
}

// --- The live stream's windows -----------------------------------------------------------------------------------

let windowsChart: echarts.ECharts;
const timeOf = (iso: string) => new Date(iso).toLocaleTimeString('en-US', { hour12: false });
function drawWindows(ws: WindowSales[]): void {
  windowsChart.setOption(
    {
      title: ws.length ? { show: false } : { ...emptyTitle('No windows flushed yet'), show: true },
      legend: { top: 0, show: ws.length > 0 },
      grid: { left: 64, right: 56, top: 34, bottom: 30 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (v: number) => money.format(v),
      },
      xAxis: { type: 'category', data: ws.map((w) => timeOf(w.windowStart)), show: ws.length > 0 },
      yAxis: [
        {
          type: 'value',
          axisLabel: { formatter: (v: number) => compactMoney.format(v) },
          show: ws.length > 0,
        },
        { type: 'value', name: 'orders', splitLine: { show: false }, show: ws.length > 0 },
      ],
      series: [
        ...SOURCES.map((s) => ({
          type: 'bar' as const,
          name: s,
          stack: 'amount',
          data: ws.map((w) => w.bySource[s] ?? 0),
          itemStyle: { color: COLORS[s] },
          barMaxWidth: 24,
        })),
        {
          type: 'line' as const,
          name: 'Orders',
          yAxisIndex: 1,
          data: ws.map((w) => w.orders),
          itemStyle: { color: '#495057' },
          symbolSize: 4,
          tooltip: { valueFormatter: (v: number) => count.format(v) },
        },
      ],
    },
    true,
  );
}

// --- Daily history -------------------------------------------------------------------------------------------------

let dailyChart: echarts.ECharts;
async function refreshDaily(): Promise<void> {
  const from = ($('daily-from') as HTMLInputElement).value;
  const to = ($('daily-to') as HTMLInputElement).value;
  const q = new URLSearchParams();
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  const error = $('daily-error');
  let d: Daily;
  try {
    d = await getJson<Daily>(`/api/daily?${q}`);
    error.hidden = true;
  } catch (e) {
    error.textContent = (e as Error).message;
    error.hidden = false;
    return;
  }
  if (!from && d.from) ($('daily-from') as HTMLInputElement).value = d.from;
  if (!to && d.to) ($('daily-to') as HTMLInputElement).value = d.to;
  const days = [...new Set(d.rows.map((r) => r.day))];
  const index = new Map(days.map((day, i) => [day, i]));
  dailyChart.setOption(
    {
      title: d.rows.length
        ? { show: false }
        : {
            ...emptyTitle(
              'No daily history in this range — run a backfill: npx salesflow backfill --from 2016-01-01 --to 2020-12-31',
            ),
            show: true,
          },
      legend: { top: 0, show: d.rows.length > 0 },
      grid: { left: 64, right: 16, top: 34, bottom: 64 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => money.format(v) },
      dataZoom: d.rows.length ? [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 10 }] : [],
      xAxis: { type: 'category', data: days, show: d.rows.length > 0 },
      yAxis: {
        type: 'value',
        axisLabel: { formatter: (v: number) => compactMoney.format(v) },
        show: d.rows.length > 0,
      },
      series: SOURCES.map((s) => {
        const values = new Array(days.length).fill(0);
        for (const r of d.rows) if (r.source === s) values[index.get(r.day)!] = r.amount;
        return {
          type: 'line' as const,
          name: s,
          stack: 'amount',
          areaStyle: { opacity: 0.35 },
          showSymbol: false,
          lineStyle: { width: 1 },
          itemStyle: { color: COLORS[s] },
          data: values,
        };
      }),
    },
    true,
  );
}

// --- Health ---------------------------------------------------------------------------------------------------------

function drawHealth(h: Health, t: Totals): void {
  $('kpi-orders').textContent = count.format(h.countedOrders);
  $('kpi-amount').textContent = wholeMoney.format(t.amount);
  $('kpi-amount').title = money.format(t.amount);
  if (h.lastWindow) {
    $('kpi-window').textContent = timeOf(h.lastWindow.windowStart);
    $('kpi-window-hint').textContent =
      `${count.format(h.lastWindow.orders)} orders · ${money.format(h.lastWindow.amount)}`;
  } else {
    $('kpi-window').textContent = 'none yet';
    $('kpi-window-hint').textContent = `windows of ${h.windowSeconds} s`;
  }
  $('kpi-lag').textContent = h.stream.lagRecords === null ? '–' : count.format(h.stream.lagRecords);
  $('kpi-rate').textContent = h.ordersPerSecond === null ? '–' : count.format(Math.round(h.ordersPerSecond));
  $('kpi-stream').textContent = h.stream.status;
  $('kpi-stream-hint').textContent = h.stream.phase ?? h.stream.detail ?? h.stream.workflowId;
  const dlq = Object.entries(h.dlq);
  const dlqTotal = dlq.reduce((n, [, c]) => n + c, 0);
  $('kpi-dlq').textContent = count.format(dlqTotal);
  $('kpi-dlq-hint').textContent = dlq.length ? dlq.map(([r, c]) => `${r}: ${c}`).join(', ') : 'none';
  fillTable(
    $<HTMLTableElement>('dlq-table'),
    ['Reason', 'Messages'],
    dlq.length ? dlq.map(([r, c]) => [r, count.format(c)]) : [['none yet', '0']],
    [false, true],
  );
  $('empty-banner').hidden = h.countedOrders > 0;
}

// --- Refresh loop -----------------------------------------------------------------------------------------------------

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
    drawWindows(windows);
    drawHealth(await health, totals);
    $('live-text').textContent =
      `${live ? 'live' : 'polling'} · updated ${new Date().toLocaleTimeString('en-US', { hour12: false })}`;
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
function connectEvents(): void {
  const events = new EventSource('/api/events');
  events.addEventListener(
    'hello',
    (e) => {
      live = true;
      $('live').classList.add('on');
      const { windowSeconds } = JSON.parse((e as MessageEvent).data);
      // A fallback poll no slower than a window, should the event stream be cut by a proxy.
      window.setInterval(() => void refresh(), Math.min(windowSeconds, 15) * 1000);
    },
    { once: true },
  );
  events.addEventListener('update', () => {
    void refresh();
    void refreshDaily();
  });
  events.onerror = () => {
    live = false;
    $('live').classList.remove('on');
    $('live-text').textContent = 'reconnecting…';
  };
  events.onopen = () => {
    live = true;
    $('live').classList.add('on');
  };
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
    void refreshDaily();
  });
  void refresh();
  void refreshDaily();
  connectEvents();
}

main();
