// Live pages (overview, traffic, request log) refresh by themselves while someone looks at them: a
// hidden tab asks the gateway nothing, and catches up as soon as it is shown again.
import { useEffect } from "preact/hooks";

/** Often enough to follow traffic, rare enough that a page left open costs the gateway little. */
export const LIVE_REFRESH_MS = 15_000;

/** Calls `reload` every `intervalMs` while the document is visible, and when it becomes visible. */
export function useLiveRefresh(reload: () => void, intervalMs = LIVE_REFRESH_MS): void {
  useEffect(() => {
    const ifVisible = () => {
      if (document.visibilityState === "visible") reload();
    };
    const timer = setInterval(ifVisible, intervalMs);
    document.addEventListener("visibilitychange", ifVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", ifVisible);
    };
  }, [reload, intervalMs]);
}
