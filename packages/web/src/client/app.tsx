import { lazy, Suspense, useEffect, useRef, useState } from "react";
import { api, setUnauthorizedHandler } from "./api.js";
import { ApprovalsLink } from "./components/approvals-link.js";
import { CommandPalette } from "./components/command-palette.js";
import { ConnectionIndicator, Link } from "./components/common.js";
import { live } from "./live.js";
import { AgentPage } from "./pages/agent.js";
import { ApprovalsPage } from "./pages/approvals.js";
import { ChatPage, ChatsPage } from "./pages/chats.js";
import { Dashboard } from "./pages/dashboard.js";
import { JobPage } from "./pages/job.js";
import { JobsPage } from "./pages/jobs.js";
import { Login } from "./pages/login.js";
import { useLocation } from "./router.js";
import { dropEarlyUsageReport, prefetchUsageReport } from "./usage-query.js";

// Its own chunk with chart.js: no other page loads the charting library.
type UsageModule = typeof import("./pages/usage.js");
let usageModule: UsageModule | undefined;
const loadUsagePage = () =>
  import("./pages/usage.js").then((m) => {
    usageModule = m;
    return m;
  });
// React.lazy suspends on the promise it is given even when the chunk is already loaded (the idle
// preload), and React then holds the page back for its fallback throttle: ~300 ms of a click on
// Usage went there. A thenable that answers at once lets the first render show the page.
const UsagePage = lazy(() =>
  usageModule
    ? // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, for React.lazy (above)
      ({ then: (ok: (m: UsageModule) => void) => ok(usageModule!) } as Promise<UsageModule>)
    : loadUsagePage(),
);

function Page() {
  const { path, query } = useLocation();
  const agent = /^\/agents\/([^/]+)\/?$/.exec(path);
  if (agent) return <AgentPage key={agent[1]} name={decodeURIComponent(agent[1]!)} />;
  const job = /^\/jobs\/([^/]+)\/?$/.exec(path);
  if (job) return <JobPage key={job[1]} id={decodeURIComponent(job[1]!)} />;
  if (path === "/jobs" || path === "/jobs/") return <JobsPage />;
  if (path === "/chats/new") return <ChatPage key="chat" id={null} agent={query.get("agent") ?? ""} />;
  const chat = /^\/chats\/([^/]+)\/?$/.exec(path);
  if (chat) return <ChatPage key="chat" id={decodeURIComponent(chat[1]!)} />;
  if (path === "/chats" || path === "/chats/") return <ChatsPage />;
  if (path === "/approvals" || path === "/approvals/") return <ApprovalsPage />;
  if (path === "/usage" || path === "/usage/")
    return (
      <Suspense fallback={<p className="muted">Loading charts…</p>}>
        <UsagePage />
      </Suspense>
    );
  return <Dashboard />;
}

export function App() {
  const [auth, setAuth] = useState<"checking" | "needed" | "ok">("checking");
  const { path } = useLocation();

  useEffect(() => {
    setUnauthorizedHandler(() => setAuth("needed"));
    // Opened on the usage page: its chunk and its report load beside the session check, not after.
    const here = new URL(location.href);
    if (/^\/usage\/?$/.test(here.pathname)) {
      loadUsagePage().catch(() => {}); // the lazy page meets the same failure and reports it
      prefetchUsageReport(here.searchParams);
    }
    api
      .get<{ authenticated: boolean }>("/api/session")
      .then((s) => setAuth(s.authenticated ? "ok" : "needed"))
      .catch(() => setAuth("ok"));
  }, []);
  useEffect(() => {
    if (auth !== "ok") return;
    live.connect();
    // A report asked for ahead of a click is the API's answer only while no job changes.
    return live.on((msg) => msg.type === "job" && dropEarlyUsageReport());
  }, [auth]);
  const firstPage = useRef(true);
  useEffect(() => {
    if (auth !== "ok" || path.startsWith("/usage")) return;
    // What a click on "Usage" needs is fetched while the dashboard is idle: the usage chunk
    // (chart.js, parsed once) and the report (kept until a job changes or it is half a minute
    // old, and asked again on the next page shown or when the pointer is on "Usage"). The click
    // then only draws. The first page shown gets a second for its own requests first; later pages
    // the first idle moment (Safari, without requestIdleCallback: then).
    const preload = () => {
      void loadUsagePage().catch(() => {});
      prefetchUsageReport(new URLSearchParams());
    };
    let idle: number | undefined;
    const whenIdle = () => {
      if (typeof requestIdleCallback === "function") idle = requestIdleCallback(preload, { timeout: 5_000 });
      else preload();
    };
    const timer = firstPage.current ? setTimeout(whenIdle, 1_000) : undefined;
    if (!firstPage.current) whenIdle();
    firstPage.current = false;
    return () => {
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
    };
  }, [auth, path]);

  if (auth === "checking") return null;
  if (auth === "needed") return <Login onDone={() => setAuth("ok")} />;
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          herdctl
        </Link>
        <nav>
          <Link to="/" className={path === "/" ? "active" : ""}>
            Fleet
          </Link>
          <Link to="/jobs" className={path.startsWith("/jobs") ? "active" : ""}>
            Jobs
          </Link>
          <Link to="/chats" className={path.startsWith("/chats") ? "active" : ""} testId="nav-chats">
            Chats
          </Link>
          <Link
            to="/usage"
            className={path.startsWith("/usage") ? "active" : ""}
            testId="nav-usage"
            onIntent={() => prefetchUsageReport(new URLSearchParams())}
          >
            Usage
          </Link>
          <ApprovalsLink active={path.startsWith("/approvals")} />
        </nav>
        <ConnectionIndicator />
      </header>
      <main>
        <Page />
      </main>
      <CommandPalette />
    </>
  );
}
