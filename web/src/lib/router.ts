// Hash routes (#/tasks/:name/...), so the gateway serves one index.html for every page.

export const TASK_TABS = ["traffic", "requests", "examples", "quality", "versions", "settings", "review", "explain", "data"] as const;
export type TaskTab = (typeof TASK_TABS)[number];

export const TAB_TITLES: Record<TaskTab, string> = {
  traffic: "Traffic",
  requests: "Requests",
  examples: "Examples",
  quality: "Quality",
  versions: "Versions",
  settings: "Settings",
  review: "Review",
  explain: "Playground",
  data: "Data",
};

export type Route = { page: "overview" } | { page: "keys" } | { page: "discovered" } | { page: "task"; task: string; tab: TaskTab } | { page: "not_found"; path: string };

/** `#/tasks/banking/review` → { page: "task", task: "banking", tab: "review" }. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\?.*$/, "");
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { page: "overview" };
  if (parts.length === 1 && parts[0] === "keys") return { page: "keys" };
  if (parts.length === 1 && parts[0] === "discovered") return { page: "discovered" };
  if (parts[0] === "tasks" && parts.length >= 2 && parts.length <= 3) {
    let task: string;
    try {
      task = decodeURIComponent(parts[1]);
    } catch {
      return { page: "not_found", path };
    }
    const tab = parts[2] ?? "traffic";
    if ((TASK_TABS as readonly string[]).includes(tab)) return { page: "task", task, tab: tab as TaskTab };
  }
  return { page: "not_found", path };
}

export function taskHref(task: string, tab: TaskTab = "traffic"): string {
  return `#/tasks/${encodeURIComponent(task)}${tab === "traffic" ? "" : `/${tab}`}`;
}
