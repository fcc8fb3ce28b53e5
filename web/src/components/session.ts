// The signed-in session: the API client with the admin key, and a way out. The key lives in
// sessionStorage only (gone when the tab closes), never in localStorage or a cookie.
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import { ApiClient, ApiError, errorMessage } from "../api/client.js";

export const KEY_STORAGE = "apprentice.adminKey";

export interface Session {
  api: ApiClient;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === null) throw new Error("useSession outside a signed-in page");
  return s;
}

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // storage disabled: the key lasts as long as the page
  }
}

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Runs `load` when `deps` change and on reload(); a reply to an older call is dropped. A 401 means
 * the key stopped working (revoked): the session ends with a message.
 */
export function useApi<T>(load: (api: ApiClient) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const session = useSession();
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const call = useRef(0);
  useEffect(() => {
    const id = ++call.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(session.api).then(
      (data) => {
        if (id === call.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (id !== call.current) return;
        if (error instanceof ApiError && error.status === 401) session.signOut(`Signed out: ${errorMessage(error)}`);
        setState({ data: undefined, error, loading: false });
      },
    );
  }, [session.api, tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Whether a CSS media query matches, following changes (false where matchMedia is missing). */
export function useMediaQuery(query: string): boolean {
  const get = () => typeof matchMedia === "function" && matchMedia(query).matches;
  const [matches, setMatches] = useState(get);
  useEffect(() => {
    if (typeof matchMedia !== "function") return;
    const list = matchMedia(query);
    const onChange = () => setMatches(list.matches);
    list.addEventListener("change", onChange);
    onChange();
    return () => list.removeEventListener("change", onChange);
  }, [query]);
  return matches;
}
