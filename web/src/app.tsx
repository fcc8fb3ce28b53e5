// The dashboard shell: sign-in gate, hash routing, header and the page for the route.
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { ApiClient } from "./api/client.js";
import { SessionContext, storedKey, storeKey, type Session } from "./components/session.js";
import { Empty } from "./components/ui.js";
import { parseHash, type Route } from "./lib/router.js";
import { DiscoveredPage } from "./pages/DiscoveredPage.js";
import { KeysPage } from "./pages/KeysPage.js";
import { Overview } from "./pages/Overview.js";
import { SignIn } from "./pages/SignIn.js";
import { TaskPage } from "./pages/TaskPage.js";

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function App() {
  const [key, setKey] = useState<string | null>(() => storedKey());
  const [notice, setNotice] = useState<string | null>(null);
  const route = useHashRoute();

  const signOut = useCallback((message?: string) => {
    storeKey(null);
    setKey(null);
    setNotice(message ?? null);
  }, []);
  const session = useMemo<Session | null>(() => (key === null ? null : { api: new ApiClient(key), signOut }), [key, signOut]);

  useEffect(() => {
    const title = route.page === "task" ? `${route.task} · Apprentice` : route.page === "keys" ? "API keys · Apprentice" : route.page === "discovered" ? "Discovered · Apprentice" : "Apprentice dashboard";
    document.title = title;
  }, [route]);

  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(k) => {
          storeKey(k);
          setNotice(null);
          setKey(k);
        }}
      />
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <a class="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true">◆</span> Apprentice
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === "overview" ? "page" : undefined}>
            Overview
          </a>
          <a href="#/discovered" aria-current={route.page === "discovered" ? "page" : undefined}>
            Discovered
          </a>
          <a href="#/keys" aria-current={route.page === "keys" ? "page" : undefined}>
            Keys
          </a>
          <a class="secondary" href="/docs" target="_blank" rel="noopener">
            API docs
          </a>
        </nav>
        <button type="button" class="button small ghost" onClick={() => signOut("Signed out.")}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === "overview" ? <Overview /> : null}
        {route.page === "discovered" ? <DiscoveredPage /> : null}
        {route.page === "keys" ? <KeysPage /> : null}
        {route.page === "task" ? <TaskPage key={route.task} name={route.task} tab={route.tab} /> : null}
        {route.page === "not_found" ? (
          <Empty title="No such page">
            <p>
              <code>{route.path}</code> is not a dashboard page. <a href="#/">Back to the overview</a>.
            </p>
          </Empty>
        ) : null}
      </main>
    </SessionContext.Provider>
  );
}
