import { lazy, Suspense, useEffect, useState } from "react";
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
import { prefetchUsageReport } from "./usage-query.js";

// Its own chunk with chart.js: no other page loads the charting library.
const loadUsagePage = () => import("./pages/usage.js");
const UsagePage = lazy(loadUsagePage);

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
    // The usage page's chunk (chart.js) is fetched and parsed ahead of a click on "Usage", so that
    // click waits only for the report and the drawing: once the first page has had a second for
    // its own requests, when the browser has nothing else to do (Safari, without
    // requestIdleCallback: then).
    const preload = () => void loadUsagePage().catch(() => {});
    let idle: number | undefined;
    const timer = setTimeout(() => {
      if (typeof requestIdleCallback === "function") idle = requestIdleCallback(preload, { timeout: 5_000 });
      else preload();
    }, 1_000);
    return () => {
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
    };
  }, [auth]);

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
