/**
 * Where a click on Usage in an open dashboard spends its time (a tool, not a timed bench): the data
 * of bench/usage-page.ts (100,000 jobs, 50 agents), the client built unminified so that the profile
 * names chart.js's and React's functions, and for each click after a warm-up
 * - the page's own timeline from the click event: when the report answered, when the charts were
 *   drawn, when their tables were added, and every animation frame (a gap between frames is a long
 *   task);
 * - a CDP sampling profile of the renderer, summed over the clicks: self time and inclusive time
 *   per function (layout forced by a script shows as that script's self time).
 *
 *   npx vite-node bench/profile-usage-click.ts [clicks]
 */
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";
import { startUsageDashboard, toRestingFleetPage } from "./lib/usage-dashboard.js";

const CLICKS = Number(process.argv[2] ?? 3);
const TOP = 40;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const name = (n: ProfileNode) =>
  `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/.*\//, "")}:${n.callFrame.lineNumber + 1}`;

/** Adds a profile's sampled milliseconds into `self` and `inclusive`, by function. */
function sum(profile: Profile, self: Map<string, number>, inclusive: Map<string, number>): number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let total = 0;
  profile.samples.forEach((id, k) => {
    const ms = (profile.timeDeltas[k + 1] ?? 0) / 1000;
    total += ms;
    self.set(name(byId.get(id)!), (self.get(name(byId.get(id)!)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = name(byId.get(at)!);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
      seen.add(key);
    }
  });
  return total;
}

process.env.NODE_ENV = "production";
await build({
  configFile: fileURLToPath(new URL("../packages/web/vite.config.ts", import.meta.url)),
  logLevel: "error",
  mode: "production",
  build: { minify: false },
});

const dashboard = await startUsageDashboard("herdctl-profile-usage-", 100_000, 50);
const { web } = dashboard;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-background-networking"],
});
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(120_000);
  await page.goto(web.loginLink().url);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  for (let i = 0; i <= CLICKS; i++) {
    await toRestingFleetPage(page);
    await page.evaluate(`(() => {
      const t = (window.__timeline = { marks: [] });
      const mark = (what) => t.marks.push(what + "@" + Math.round(performance.now() - t.click));
      document.addEventListener("click", () => {
        t.click = performance.now();
        let frames = 0;
        const frame = () => { if (frames++ < 60) { mark("frame"); requestAnimationFrame(frame); } };
        requestAnimationFrame(frame);
      }, { capture: true, once: true });
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.attributeName === "data-drawn") mark("drawn");
          for (const n of r.addedNodes) if (n.nodeName === "TABLE") mark("table");
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    if (i > 0) await cdp.send("Profiler.start");
    await page.locator("header nav a", { hasText: "Usage" }).click();
    await page.waitForFunction(
      () => document.querySelectorAll("canvas[data-drawn=true]").length === 4,
      null,
      {
        polling: "raf",
      },
    );
    // The tables come in the frame after the charts; their cost belongs to the click too.
    await page.waitForFunction(() => document.querySelectorAll("table").length >= 4, null, {
      polling: "raf",
    });
    const report = await page.evaluate(
      `performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/usage/report")).map((e) => Math.round(e.responseEnd - window.__timeline.click)).at(-1)`,
    );
    const marks = (await page.evaluate("window.__timeline.marks")) as string[];
    if (i === 0) continue;
    const { profile } = (await cdp.send("Profiler.stop")) as { profile: Profile };
    const ms = sum(profile, self, inclusive);
    console.log(`click ${i}: report answered @${report} ms; ${marks.join(" ")}; ${ms.toFixed(0)} ms sampled`);
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([k, v]) => `${(v / CLICKS).toFixed(1).padStart(8)} ms  ${k}`);
  console.log(`self time a click:\n${top(self).join("\n")}`);
  console.log(`inclusive time a click:\n${top(inclusive).join("\n")}`);
} finally {
  await browser.close();
  await dashboard.close();
}
process.exit(0);
