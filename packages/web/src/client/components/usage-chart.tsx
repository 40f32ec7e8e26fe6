import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef, useState } from "react";

// Only what the usage page draws, so the chunk carries no unused chart types.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
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
  const [withTable, setWithTable] = useState(false);
  useEffect(() => {
    const chart = new Chart(canvas.current!, configure(props));
    // The table (thousands of cells at 50 agents over 90 days) is built in the frame after the
    // chart is drawn: rendered with the page it held the charts back by as long as drawing them.
    const frame = requestAnimationFrame(() => setWithTable(true));
    return () => {
      cancelAnimationFrame(frame);
      chart.destroy();
    };
  }, [props]);
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
      {withTable && <ChartTable props={props} />}
    </figure>
  );
}

/** A chart's numbers, every series (not only the plotted ones), as the API gave them. */
function ChartTable({ props }: { props: UsageChartProps }) {
  return (
    <table className="sr-only" id={`${props.id}-table`} data-testid={`table-${props.id}`}>
      <caption>{props.title}</caption>
      <thead>
        <tr>
          <th scope="col">{props.horizontal ? "Agent" : "When"}</th>
          {props.series.map((s) => (
            <th key={s.label} scope="col">
              {s.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.labels.map((label, i) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            {props.series.map((s) => {
              const v = s.values[i];
              return (
                <td key={s.label} data-value={v ?? ""}>
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

/**
 * Labels measured to decide which fit (chart.js measures every one by default, and a 90-day axis
 * has 90 of them).
 */
const TICK_SAMPLE = 12;

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
      datasets: series.map((s) => ({
        label: s.label,
        data: [...s.values],
        backgroundColor: s.color,
        borderColor: s.color,
        yAxisID: s.axis === "right" ? "y1" : undefined,
        pointRadius: props.kind === "line" ? 2 : undefined,
        spanGaps: false,
      })),
    },
    options: {
      animation: false,
      // Each label's index is its position, in order: chart.js can skip checking and sorting.
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: props.horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      scales,
      plugins: {
        // Past a dozen agents a legend crowds out the plot; the tooltip and the table name each.
        legend: { display: series.length <= 12, position: "bottom" },
        tooltip: {
          callbacks: {
            label: (item) => {
              const one = series[item.datasetIndex]!;
              const value = item.raw as number | null;
              return `${one.label}: ${value === null ? "—" : props.format(value, one)}`;
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
