import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef, useState } from "react";

// Only what the usage page draws, so the chunk carries no unused chart types. The legend is HTML
// (`ChartLegend`): chart.js's measured and laid out every label on the canvas (15–20 % of drawing).
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface Series {
  readonly label: string;
  /** One value per label; null where there is nothing to show (a gap in a line). */
  readonly values: readonly (number | null)[];
  readonly color: string;
  /** "right" puts the series on a second value axis (a line of dollars beside tokens). */
  readonly axis?: "left" | "right";
}

export interface UsageChartProps {
  readonly id: string;
  readonly title: string;
  readonly kind: "bar" | "line";
  readonly labels: readonly string[];
  readonly series: readonly Series[];
  /**
   * What the canvas draws when it is not `series` (e.g. the top agents and one "others"); the
   * table keeps every series, so its numbers stay the API's.
   */
  readonly plotted?: readonly Series[];
  /** How a value reads in tooltips, axis ticks and the table. */
  readonly format: (value: number, series: Series) => string;
  readonly stacked?: boolean;
  /** Bars along the x axis, one row per label. */
  readonly horizontal?: boolean;
  /** A line under a bar's tooltip, e.g. an agent's success rate. */
  readonly footer?: (labelIndex: number) => string | undefined;
  readonly rightAxisFormat?: (value: number) => string;
}

/**
 * One chart.js chart, with its numbers again as a table for screen readers (the canvas is an
 * image to them). Drawn without animation: what the page shows is the data, at once.
 */
export function UsageChart({ spec: props }: { spec: UsageChartProps }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart>(undefined);
  const [withTable, setWithTable] = useState(false);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => {
    chart.current = new Chart(canvas.current!, configure(props));
    setHidden(new Set());
    // The table (thousands of cells at 50 agents over 90 days) is built in the frame after the
    // chart is drawn: rendered with the page it held the charts back by as long as drawing them.
    const frame = requestAnimationFrame(() => setWithTable(true));
    return () => {
      cancelAnimationFrame(frame);
      chart.current?.destroy();
      chart.current = undefined;
    };
  }, [props]);
  const plotted = props.plotted ?? props.series;
  const toggle = (i: number) => {
    const next = new Set(hidden);
    if (!next.delete(i)) next.add(i);
    setHidden(next);
    chart.current?.setDatasetVisibility(i, !next.has(i));
    chart.current?.update();
  };
  return (
    <figure className="usage-chart" data-testid={`chart-${props.id}`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <div className="plot">
        <canvas
          ref={canvas}
          role="img"
          aria-labelledby={`${props.id}-title`}
          aria-describedby={`${props.id}-table`}
        />
      </div>
      {plotted.length <= LEGEND_MAX && (
        <ul className="chart-legend" aria-label={`${props.title}: series`}>
          {plotted.map((s, i) => (
            <li key={s.label}>
              <button type="button" aria-pressed={!hidden.has(i)} onClick={() => toggle(i)}>
                <span className="swatch" style={{ background: s.color }} />
                {s.label}
              </button>
            </li>
          ))}
        </ul>
      )}
      {withTable && <ChartTable props={props} />}
    </figure>
  );
}

/** Past a dozen series a legend crowds out the plot; the tooltip and the table name each. */
const LEGEND_MAX = 12;

/**
 * A chart's numbers, every series (not only the plotted ones), as the API gave them. Never drawn,
 * so not laid out as a table (`.chart-table`: blocks and inline cells, ~4× cheaper to lay out for
 * its thousands of cells); the roles say it is one, for browsers that take the layout's word.
 */
// biome-ignore-start lint/a11y/noRedundantRoles: with `display` changed (.chart-table) a browser may stop reading them as a table; the roles say it still is one
function ChartTable({ props }: { props: UsageChartProps }) {
  return (
    <table
      className="sr-only chart-table"
      role="table"
      id={`${props.id}-table`}
      data-testid={`table-${props.id}`}
    >
      <caption>{props.title}</caption>
      <thead role="rowgroup">
        <tr role="row">
          <th scope="col" role="columnheader">
            {props.horizontal ? "Agent" : "When"}
          </th>
          {props.series.map((s) => (
            <th key={s.label} scope="col" role="columnheader">
              {s.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {props.labels.map((label, i) => (
          <tr key={label} role="row">
            <th scope="row" role="rowheader">
              {label}
            </th>
            {props.series.map((s) => {
              const v = s.values[i];
              return (
                <td key={s.label} role="cell" data-value={v ?? ""}>
                  {v === null || v === undefined ? "—" : props.format(v, s)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
// biome-ignore-end lint/a11y/noRedundantRoles: the table ends here

/**
 * Labels measured to decide which fit (chart.js measures every one by default, and a 90-day axis
 * has 90 of them).
 */
const TICK_SAMPLE = 12;

/**
 * Whether a line has a value with a gap on both sides, which only a point shows. Otherwise its
 * points are drawn only under the pointer: 480 of them (4 lines × 120 buckets) were a third of
 * the drawing.
 */
function isolated(values: readonly (number | null)[]): boolean {
  return values.some(
    (v, i) => v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null,
  );
}

function configure(props: UsageChartProps): ChartConfiguration {
  const series = props.plotted ?? props.series;
  const valueAxis = props.horizontal ? "x" : "y";
  const categoryAxis = props.horizontal ? "y" : "x";
  const hasRight = props.series.some((s) => s.axis === "right");
  const scales: Record<string, object> = {
    [categoryAxis]: {
      stacked: props.stacked === true,
      ticks: { autoSkip: true, maxRotation: 0, sampleSize: TICK_SAMPLE },
    },
    [valueAxis]: {
      stacked: props.stacked === true,
      beginAtZero: true,
      ticks: {
        sampleSize: TICK_SAMPLE,
        callback: (v: number | string) => props.format(Number(v), series[0]!),
      },
    },
  };
  if (hasRight)
    scales.y1 = {
      position: "right",
      beginAtZero: true,
      grid: { drawOnChartArea: false },
      ticks: { callback: (v: number | string) => props.rightAxisFormat?.(Number(v)) ?? String(v) },
    };
  return {
    type: props.kind,
    data: {
      labels: [...props.labels],
      // Already in chart.js's own shape ({x, y}, the category's index on its axis): it skips
      // parsing every value.
      datasets: series.map((s) => ({
        label: s.label,
        data: s.values.map((v, i) => (props.horizontal ? { x: v, y: i } : { x: i, y: v })),
        backgroundColor: s.color,
        borderColor: s.color,
        yAxisID: s.axis === "right" ? "y1" : undefined,
        pointRadius: props.kind === "line" ? (isolated(s.values) ? 2 : 0) : undefined,
        spanGaps: false,
      })),
    },
    options: {
      animation: false,
      parsing: false,
      // Each label's index is its position, in order: chart.js can skip checking and sorting.
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: props.horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      scales,
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => {
              const one = series[item.datasetIndex]!;
              const value = one.values[item.dataIndex];
              return `${one.label}: ${value === null || value === undefined ? "—" : props.format(value, one)}`;
            },
            footer: (items) => (items[0] ? props.footer?.(items[0].dataIndex) : undefined),
          },
        },
      },
    },
    plugins: [
      {
        // Tests and the bench wait for this: the chart has put its data on the canvas.
        id: "drawn",
        afterRender: (chart) => {
          chart.canvas.dataset.drawn = "true";
        },
      },
    ],
  } as ChartConfiguration;
}
