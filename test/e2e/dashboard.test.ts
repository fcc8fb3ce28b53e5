// The dashboard end to end: Debian's Chromium (driven by playwright-core) against a real gateway
// on a temporary SQLite database, with the banking demo seeded and its traffic replayed. One
// browser walks through sign-in, data import, retraining, the playground, the review queue,
// promote/rollback, the charts, API keys, the request log and the examples, checking each effect in the page and through the API.
// Screenshots land in test-results/e2e/ (gitignored).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startDemoGateway, type DemoGateway } from "../../src/cli/demo/demo-gateway.js";
import { replayTraffic } from "../../src/cli/demo/replay.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = join(ROOT, "test-results", "e2e");
const TASK = "banking-demo";
/** Requests the review step sends on top of the replayed traffic. */
const FORCED_IN_REVIEW = 5;
/** Generous bound for anything the page or the gateway has to do (training included). */
const WAIT = 20_000;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) console.warn(`dashboard e2e skipped: ${CHROMIUM} is missing (install it with .ci/chromium.sh)`);

/** A file under `dir` modified after `mtimeMs`, or null. */
function newerThan(dir: string, mtimeMs: number): string | null {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && statSync(path).mtimeMs > mtimeMs) return path;
  }
  return null;
}

/** Polls `fn` until it returns something other than undefined/null/false; fails with `what` after `timeout`. */
async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeout = WAIT): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the locator's text matches. */
async function textMatching(locator: Locator, pattern: RegExp, what = String(pattern)): Promise<string> {
  await locator.first().waitFor({ timeout: WAIT });
  return until(`${what} in the page`, async () => {
    const text = await locator.first().innerText();
    return pattern.test(text) ? text : undefined;
  });
}

describe.skipIf(!haveChromium && !process.env.CI)("dashboard (Chromium, end to end)", () => {
  let dir: string;
  let demo: DemoGateway;
  let browser: Browser;
  let page: Page;
  let url: string;
  /** Uncaught page errors and console.error lines (a CSP violation is one): each test ends with none. */
  const pageErrors: string[] = [];
  const savedEnv = { OPENAI_API_KEY: process.env.OPENAI_API_KEY, OPENAI_BASE_URL: process.env.OPENAI_BASE_URL };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON replies, read field by field
  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${demo.adminKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const examplesTotal = async (source?: string): Promise<number> => (await api("GET", `/v1/tasks/${TASK}/examples?limit=1${source ? `&source=${source}` : ""}`)).total;
  const promotedVersion = async (): Promise<number | null> => (await api("GET", `/v1/tasks/${TASK}/models`)).promoted;

  async function shot(name: string, width = 1280): Promise<void> {
    const size = page.viewportSize();
    if (width !== size?.width) await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    if (size && width !== size.width) await page.setViewportSize(size);
  }

  async function openTab(title: string): Promise<void> {
    await page.getByRole("navigation", { name: "Task sections" }).getByRole("link", { name: title, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector(`nav.tabs a[aria-current="page"]`)?.textContent === t, title, { timeout: WAIT });
  }

  /** Every ECharts container under `scope`: its accessible label, and its canvas' drawn size. */
  async function charts(): Promise<{ label: string; canvas: { width: number; height: number; boxWidth: number; boxHeight: number } | null }[]> {
    return page.locator("main .chart[role=img]").evaluateAll((els) =>
      els.map((el) => {
        const canvas = el.querySelector("canvas");
        const box = canvas?.getBoundingClientRect();
        return { label: el.getAttribute("aria-label") ?? "", canvas: canvas && box ? { width: canvas.width, height: canvas.height, boxWidth: box.width, boxHeight: box.height } : null };
      }),
    );
  }

  /**
   * Moves the mouse over the chart whose label starts with `labelPrefix`, point after point across
   * its plot, until ECharts shows a tooltip whose text satisfies `wanted`; returns that text.
   */
  async function hoverChart(labelPrefix: string, wanted: (text: string) => boolean = (t) => t.trim() !== ""): Promise<string> {
    const chart = page.locator(`main .chart[role=img][aria-label^="${labelPrefix}"]`).first();
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.boundingBox();
    if (box === null) throw new Error(`no chart "${labelPrefix}…" on the page`);
    const steps = [0.5, 0.3, 0.7, 0.15, 0.85, 0.4, 0.6, 0.22, 0.78];
    for (const fy of steps) {
      for (const fx of steps) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
        const text = await chart.evaluate(async (el) => {
          // The tooltip follows the mouse on the next frames.
          for (let i = 0; i < 5; i++) {
            await new Promise((r) => requestAnimationFrame(r));
            const tip = el.querySelector<HTMLElement>(".chart-tooltip");
            if (tip && getComputedStyle(tip).display !== "none" && getComputedStyle(tip).visibility !== "hidden" && tip.textContent) return tip.innerText;
          }
          return null;
        });
        if (text !== null && wanted(text)) return text;
      }
    }
    throw new Error(`no tooltip with the wanted text while hovering the chart "${labelPrefix}…"`);
  }

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing; CI must install Debian's Chromium with .ci/chromium.sh before the tests`);
    if (!existsSync(join(ROOT, "web", "dist", "index.html"))) execFileSync("npm", ["run", "build:web"], { cwd: ROOT, stdio: "ignore" });
    const stale = newerThan(join(ROOT, "web", "src"), statSync(join(ROOT, "web", "dist", "index.html")).mtimeMs);
    if (stale !== null) console.warn(`dashboard e2e: web/dist is older than ${stale}; run npm run build:web to test the current sources`);
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "apprentice-e2e-"));
    // The simulated teacher, whatever the environment says.
    delete process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    const [started, launched] = await Promise.all([
      startDemoGateway({ port: 0, host: "127.0.0.1", db: join(dir, "e2e.db"), handleSignals: false }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      }),
    ]);
    demo = started;
    browser = launched;
    url = demo.gateway.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Two more versions before any traffic: retrained on the same seed as v1, they tie with it
    // and are promoted. The versions step then has one older than the live one to promote and,
    // behind it, one to roll back to (the newest retired version older than the promoted one).
    for (let i = 0; i < 2; i++) {
      const retrain = await api("POST", `/v1/tasks/${TASK}/retrain`);
      expect(retrain.promoted, retrain.reason).toBe(true);
    }
    // As `npm run demo` does: each retrain the replay starts ends before the next request, so the
    // specialist takes over at the same points however busy the machine is (the review step needs
    // its answers). Without that, a slow retrain left the teacher answering nearly everything.
    const replay = await replayTraffic({ url, key: demo.predictKey, task: TASK }, demo.data.traffic, () => demo.gateway.app.runtimes.idle());
    expect(replay.failed).toBe(0);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on("pageerror", (e) => pageErrors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
    });
  }, 120_000);

  /**
   * HTTP statuses the current test provokes on purpose (a wrong key, a bad file): Chromium logs
   * each failed fetch as a console error, which is then expected rather than a fault.
   */
  const provoked = new Set<number>();
  afterEach(() => {
    const errors = pageErrors.splice(0).filter((e) => {
      const status = /^console\.error: Failed to load resource: the server responded with a status of (\d+)/.exec(e);
      return status === null || !provoked.has(Number(status[1]));
    });
    provoked.clear();
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.gateway.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
  });

  it("signs in: a wrong key is refused with a message, the admin key lists banking-demo", async () => {
    await page.goto(`${url}/`);
    const key = page.getByLabel("Admin API key");
    provoked.add(401);
    await key.fill("apx_not_a_real_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await textMatching(page.getByRole("alert"), /does not know this key/);
    await shot("01-signin-wrong-key");

    await key.fill(demo.adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Tasks", level: 1 }).waitFor();
    const card = page.getByRole("article", { name: TASK });
    await card.getByRole("heading", { name: TASK }).waitFor();
    // The card shows the replayed traffic and the live model.
    const requests = await textMatching(card.locator("dt:has-text('Requests (24h)') + dd"), /^[1-9][\d,]*$/, "a request count");
    expect(Number(requests.replace(/,/g, ""))).toBe(demo.data.traffic.length);
    await textMatching(card.locator("dt:has-text('Model version') + dd"), /^v\d+$/);
    await shot("02-overview");
  });

  it("data: a file with a bad line is rejected whole with that line's reason, then imported partially", async () => {
    await page.getByRole("article", { name: TASK }).getByRole("link", { name: TASK, exact: true }).click();
    await openTab("Data");
    const labels = demo.data.task.labels.map((l) => l.name);
    const csv = [
      "text,label",
      `e2e: the card I ordered last week has not shown up,${labels[0]}`,
      `e2e: this row names a label the task does not have,not_a_real_label`,
      `e2e: someone stole my wallet with the card in it,${labels[1]}`,
      `e2e: how do I set a new pin for my card,${labels[2]}`,
    ].join("\n");
    const file = join(dir, "e2e-import.csv");
    writeFileSync(file, `${csv}\n`);
    const before = await examplesTotal();

    provoked.add(400);
    await page.getByLabel(/^File \(CSV/).setInputFiles(file);
    await page.getByRole("table", { name: "First 4 rows" }).waitFor();
    await page.getByRole("button", { name: "Upload" }).click();
    await textMatching(page.getByRole("alert"), /Nothing imported/);
    const rejected = page.getByRole("table", { name: "Rejected rows with their reasons" });
    const bad = rejected.getByRole("row").filter({ hasText: "not_a_real_label" });
    await bad.waitFor();
    expect(await rejected.locator("tbody tr").count()).toBe(1);
    expect(await bad.locator("td").first().innerText()).toBe("3");
    expect(await examplesTotal()).toBe(before);
    await shot("03-data-rejected");

    await page.getByLabel("Import the good rows even if some are bad").check();
    await page.getByRole("button", { name: "Upload" }).click();
    await textMatching(page.getByRole("status"), /Imported 3 of 4 rows/);
    await rejected.getByRole("row").filter({ hasText: "not_a_real_label" }).waitFor();
    expect(await examplesTotal()).toBe(before + 3);
    expect(await examplesTotal("import")).toBe(3);
    await shot("04-data-imported");
  });

  it("data: retrains from the page and shows the result, which the models list reflects", async () => {
    const versionsBefore = (await api("GET", `/v1/tasks/${TASK}/models`)).data.length as number;
    await page.getByRole("button", { name: "Retrain now" }).click();
    const result = await textMatching(page.locator(".notice[role=status]").filter({ hasText: /promoted/i }), /(Promoted: version \d+ is live|Not promoted: version \d+ stays live)/, "the retrain result");
    const models = await api("GET", `/v1/tasks/${TASK}/models`);
    const promoted = /Promoted: version (\d+)/.exec(result);
    if (promoted) {
      expect(models.data.length).toBeGreaterThan(versionsBefore);
      expect(models.promoted).toBe(Number(promoted[1]));
      // The header's model follows the new version.
      await textMatching(page.locator(".head-facts dt:has-text('Model') + dd"), new RegExp(`^v${promoted[1]}$`));
    } else {
      // Not promoted: the reply says why, and the live version is unchanged.
      expect(result).toMatch(/Candidate accuracy/);
      expect(await page.locator(".notice[role=status] p.small").innerText()).not.toBe("");
      expect(models.promoted).toBe(Number(/version (\d+) stays live/.exec(result)![1]));
    }
    await shot("05-data-retrained");
  });

  it("playground: a text gets a label, a confidence, top labels and a route with its reason", async () => {
    await openTab("Playground");
    await page.getByLabel("Text to classify").fill("my new card still hasn't arrived, it's been two weeks");
    await page.getByRole("button", { name: "Explain" }).click();
    const result = page.getByRole("region", { name: "What the router would do" });
    await result.waitFor();
    const label = await result.locator("dt:has-text(\"Specialist's label\") + dd").innerText();
    expect(demo.data.task.labels.map((l) => l.name)).toContain(label);
    expect(await result.locator("dt:has-text('Confidence') + dd").innerText()).toMatch(/^(0|1)?\.\d+$|^[01]$/);
    const bars = result.getByRole("listitem");
    const n = await bars.count();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(5);
    const top = await result.locator("ol.bars progress").evaluateAll((els) => els.map((e) => ({ name: e.getAttribute("aria-label") ?? "", value: (e as HTMLProgressElement).value })));
    expect(top[0].name.startsWith(`${label}: `)).toBe(true);
    for (const t of top) expect(t.value).toBeGreaterThan(0);
    expect(await result.locator(".route-decision").innerText()).toMatch(/^(Specialist answers|Sent to the teacher)$/);
    expect((await result.locator(".route-why").innerText()).length).toBeGreaterThan(10);
    await shot("06-playground");
  });

  it("review: three items resolved with the digit keys and one with n (none of these) become feedback examples", async () => {
    const feedbackBefore = await examplesTotal("feedback");
    // The replay's specialist answers were made under the stricter thresholds of the first versions,
    // so none may be below today's low-confidence line: vague texts answered by the specialist
    // on request are.
    const vague = ["I have a question about my account", "something is not right here", "can you help me with this please", "what about the thing from yesterday", "it still does not work"];
    expect(vague).toHaveLength(FORCED_IN_REVIEW);
    const forced = await fetch(`${url}/v1/tasks/${TASK}/predict`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.predictKey}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: vague, route: "specialist" }),
    });
    expect(forced.status).toBe(200);
    await openTab("Review");
    const progress = page.getByLabel("Review progress");
    const first = await textMatching(progress, /0 done · 0 skipped · [1-9]\d* remaining/, "a queue with items");
    const remaining = Number(/(\d+) remaining/.exec(first)![1]);
    expect(remaining).toBeGreaterThanOrEqual(4);
    const item = page.getByRole("article", { name: "Review item" });
    const seen: string[] = [];
    const noneBefore = (await api("GET", `/v1/tasks/${TASK}/examples?limit=1&label=none_of_these`)).total as number;
    for (let i = 1; i <= 4; i++) {
      await item.waitFor();
      await until("the item to be ready", async () => (await item.getAttribute("aria-busy")) === "false");
      const text = await item.locator("blockquote").innerText();
      expect(seen).not.toContain(text);
      seen.push(text);
      await page.keyboard.press(i === 4 ? "n" : "1");
      await textMatching(progress, new RegExp(`^${i} done · 0 skipped · ${remaining - i} remaining`));
    }
    // The page says what "low confidence" means, with the line the gateway used.
    const line = (await api("GET", `/v1/tasks/${TASK}/review?kind=low_confidence&limit=1`)).low_confidence_below as number | null;
    await textMatching(page.locator("p.hint").filter({ hasText: "Low confidence:" }), line === null ? /every specialist answer/ : new RegExp(`below ${line.toFixed(3).replace(".", "\\.")} confidence`));
    await shot("07-review");
    await until("4 more feedback examples", async () => (await examplesTotal("feedback")) === feedbackBefore + 4);
    const none = await api("GET", `/v1/tasks/${TASK}/examples?limit=5&label=none_of_these`);
    expect(none.total).toBe(noneBefore + 1);
    expect((none.data as { text: string }[]).map((e) => e.text)).toContain(seen[3]);
  });

  it("versions: promotes an older version and rolls back, each confirmed in a dialog", async () => {
    // beforeAll made sure of three versions or more.
    const models = await api("GET", `/v1/tasks/${TASK}/models`);
    const versions = (models.data as { version: number }[]).map((m) => m.version).sort((a, b) => b - a);
    expect(versions.length).toBeGreaterThanOrEqual(3);
    const live = models.promoted as number;
    expect(live).toBe(versions[0]);
    const [target, previous] = [versions[1], versions[2]];
    await openTab("Versions");
    await page.getByRole("button", { name: `Promote version ${target}`, exact: true }).waitFor();

    await page.getByRole("button", { name: `Promote version ${target}`, exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Promote version ${target}?`, exact: true });
    await dialog.waitFor();
    await shot("08-versions-dialog");
    await dialog.getByRole("button", { name: `Promote v${target}`, exact: true }).click();
    await textMatching(page.getByRole("status"), new RegExp(`^Version ${target} is now live`));
    await dialog.waitFor({ state: "detached" });
    expect(await promotedVersion()).toBe(target);
    await page.getByRole("button", { name: `Promote version ${live}`, exact: true }).waitFor();

    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    const rollback = page.getByRole("dialog", { name: `Roll back to version ${previous}?`, exact: true });
    await rollback.waitFor();
    await rollback.getByRole("button", { name: "Roll back", exact: true }).click();
    await textMatching(page.getByRole("status"), new RegExp(`^Version ${previous} is now live`));
    await rollback.waitFor({ state: "detached" });
    expect(await promotedVersion()).toBe(previous);
    await page.getByRole("button", { name: `Promote version ${target}`, exact: true }).waitFor();
    // Nothing older than the oldest version to roll back to: the button says so instead of failing.
    if (previous === versions[versions.length - 1]) expect(await page.getByRole("button", { name: "Roll back", exact: true }).isDisabled()).toBe(true);
    // The live row shows the threshold the router uses now, as GET /v1/tasks/:name reports it.
    const now = (await api("GET", `/v1/tasks/${TASK}`)).cascade.threshold as number | null;
    const liveRow = page.getByRole("table", { name: /Model versions/ }).locator("tbody tr").filter({ has: page.locator("td strong", { hasText: new RegExp(`^v${previous}$`) }) });
    await textMatching(liveRow, new RegExp(`${now === null ? "none" : now.toFixed(3).replace(".", "\\.")}\\s*router's now`), "the router's threshold in the live row");
    // At 1400 px wide every column fits: nothing is cut off at the right edge.
    await page.setViewportSize({ width: 1400, height: 900 });
    const overflow = await page.locator("main .table-wrap").first().evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("09-versions", 1400);
    await page.setViewportSize({ width: 1280, height: 900 });
    await shot("09-versions");
  });

  it("charts: traffic and quality charts render their data on a sized canvas", async () => {
    const drawn = (c: Awaited<ReturnType<typeof charts>>[number]) => c.canvas !== null && c.canvas.width > 0 && c.canvas.height > 0 && c.canvas.boxWidth > 0 && c.canvas.boxHeight > 0;

    await openTab("Traffic");
    const traffic = await until("the traffic chart", async () => (await charts()).find((c) => c.label.startsWith("Requests over time") && drawn(c)));
    // "Requests over time, stacked by source: Specialist 123, Teacher 45, …": every replayed request,
    // and the review step's forced ones.
    const counts = [...traffic.label.matchAll(/ (\d+)(?=,|$)/g)].map((m) => Number(m[1]));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(demo.data.traffic.length + FORCED_IN_REVIEW);
    const saved = page.getByRole("region", { name: "Cost saved" });
    if ((await saved.locator(".chart").count()) > 0) {
      const all = await charts();
      expect(all.filter(drawn).length).toBe(all.length);
    } else await saved.getByText("Nothing to price yet").waitFor();
    // Hovered, every chart's tooltip shows its figures laid out by the stylesheet ("Specialist 239",
    // not "Specialist239" as when the CSP stripped ECharts' inline styles), with no console error.
    const trafficTip = await hoverChart("Requests over time");
    expect(trafficTip).toMatch(/Specialist\s+[\d,]+/);
    expect(trafficTip).toMatch(/Teacher\s+[\d,]+/);
    if ((await saved.locator(".chart").count()) > 0) expect(await hoverChart("Cost saved over time")).toMatch(/Saved per bucket\s+(USD|—)/);
    await shot("10-traffic");

    await openTab("Quality");
    const quality = await until("the curve and the heatmap", async () => {
      const all = await charts();
      const curve = all.find((c) => c.label.startsWith("Coverage–accuracy curve") && drawn(c));
      const heat = all.find((c) => c.label.startsWith("Confusion heatmap") && drawn(c));
      return curve && heat ? { curve, heat } : undefined;
    });
    const report = await api("GET", `/v1/tasks/${TASK}/report`);
    expect(report.curve.length).toBeGreaterThan(0);
    expect(quality.curve.label).toContain(`over ${report.curve.length} thresholds`);
    expect(Number(/over (\d+) labels/.exec(quality.heat.label)![1])).toBeGreaterThan(1);
    expect(await page.getByRole("table", { name: "Top confusions" }).locator("tbody tr").count()).toBeGreaterThan(0);
    expect(await hoverChart("Coverage–accuracy curve")).toMatch(/^threshold [01]\.\d{3}\s+coverage\s+[\d.]+%\s+accuracy\s+[\d.]+%$/);
    const heatTip = await hoverChart("Confusion heatmap");
    const [, actual, predicted] = /^\d+ examples?\s+actual\s+(.+?)\s+predicted\s+(.+)$/s.exec(heatTip) ?? [];
    expect(report.labels).toContain(actual);
    expect(report.labels).toContain(predicted);
    await shot("11-quality");
  });

  it("charts: a label named like markup shows as text in the heatmap's tooltip, nothing injected", async () => {
    // Two labels over the same texts (one of them named like an HTML injection) so the model
    // confuses them, and a third apart. The teacher is the demo task's: it is never called.
    const hostile = "<img src=x onerror=window.__pwned=1>";
    const demoTask = await api("GET", `/v1/tasks/${TASK}`);
    const names = demo.data.task.labels.map((l) => l.name);
    const texts = (label: string) => [...demo.data.seed, ...demo.data.traffic].filter((e) => e.label === label).map((e) => e.text);
    const examples = [
      ...[...texts(names[0]), ...texts(names[1])].map((text, i) => ({ text, label: i % 2 === 0 ? hostile : "plain_twin" })),
      ...texts(names[2]).map((text) => ({ text, label: "plain_apart" })),
    ];
    const name = "e2e-markup";
    await api("POST", "/v1/tasks", {
      name,
      instructions: "Sort the messages.",
      labels: [{ name: hostile }, { name: "plain_twin" }, { name: "plain_apart" }],
      teacher: demoTask.definition.teacher,
      training: { min_examples: 40 },
    });
    await api("POST", `/v1/tasks/${name}/examples`, examples);
    await until("a model for the markup task", async () => (await api("GET", `/v1/tasks/${name}/models`)).promoted !== null);
    const report = await api("GET", `/v1/tasks/${name}/report`);
    expect((report.top_confusions as { actual: string; predicted: string }[]).some((c) => c.actual === hostile || c.predicted === hostile)).toBe(true);

    await page.evaluate((hash) => (location.hash = hash), `#/tasks/${name}/quality`);
    await until("the heatmap", async () => (await charts()).find((c) => c.label.startsWith("Confusion heatmap") && c.canvas !== null && c.canvas.width > 0));
    const tip = await hoverChart("Confusion heatmap", (t) => t.includes(hostile));
    expect(tip).toMatch(/(actual|predicted)\s+<img src=x onerror=window\.__pwned=1>/);
    const injected = await page.evaluate(() => ({ pwned: (window as { __pwned?: number }).__pwned ?? null, images: document.querySelectorAll("img[src=x]").length, tipChildren: Array.from(document.querySelectorAll(".chart-tooltip *")).map((el) => el.tagName.toLowerCase()) }));
    expect(injected.pwned).toBeNull();
    expect(injected.images).toBe(0);
    expect(injected.tipChildren.every((tag) => tag === "div" || tag === "span")).toBe(true);
    await shot("11b-quality-markup-label");
    await page.evaluate((hash) => (location.hash = hash), `#/tasks/${TASK}/quality`);
  });

  it("keys: a new key's secret is shown once and works; revoked, it stops working", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Keys" }).click();
    await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
    const table = page.getByRole("table", { name: "API keys, oldest first" });
    await table.getByRole("row").filter({ hasText: "demo admin" }).filter({ hasText: "this dashboard's key" }).waitFor();

    await page.getByLabel("Name", { exact: true }).fill("e2e <b>batch</b>");
    await page.getByLabel("Role", { exact: true }).selectOption("predict");
    await page.getByLabel("Teacher calls per hour").fill("100");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByLabel("Secret").inputValue();
    expect(secret).toMatch(/^apx_[A-Za-z0-9_-]{43}$/);
    const row = table.getByRole("row").filter({ hasText: "e2e <b>batch</b>" });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/100 calls\/h/);
    expect(await page.locator("b", { hasText: "batch" }).count()).toBe(0);
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    expect(models.status).toBe(200);
    await shot("15-keys-created");

    // Dismissed, the secret is nowhere in the page, nor after reloading it.
    await page.getByRole("button", { name: "I have stored it" }).click();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await table.getByRole("row").filter({ hasText: "e2e <b>batch</b>" }).waitFor();
    expect(await page.content()).not.toContain(secret);

    await page.getByRole("button", { name: "Revoke key e2e <b>batch</b>" }).click();
    const dialog = page.getByRole("dialog");
    await textMatching(dialog, /stops working at once/);
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await textMatching(page.locator(".notice[role=status]"), /Revoked “e2e <b>batch<\/b>”/);
    await textMatching(table.getByRole("row").filter({ hasText: "e2e <b>batch</b>" }), /revoked/);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    await shot("16-keys-revoked");
  });

  it("requests: filtered by source and text, one opened shows the teacher's answer and takes a correction", async () => {
    await page.evaluate((hash) => (location.hash = hash), `#/tasks/${TASK}/requests`);
    const table = page.getByRole("table", { name: "Requests, newest first" });
    await table.locator("tbody tr").first().waitFor();
    await page.getByLabel("Answered by").selectOption("teacher");
    await page.getByRole("button", { name: "Search" }).click();
    await until("only teacher rows", async () => {
      const cells = await table.locator("tbody tr td:nth-child(5)").allInnerTexts();
      return cells.length > 0 && cells.every((c) => c.startsWith("teacher"));
    });
    // A word of the newest teacher-answered input narrows the list to requests containing it.
    const newest = (await api("GET", `/v1/tasks/${TASK}/requests?source=teacher&limit=1`)).data[0] as { id: string; input: string; label: string };
    const word = newest.input.split(/\s+/).sort((a, b) => b.length - a.length)[0];
    await page.getByLabel("Input contains").fill(word);
    await page.getByRole("button", { name: "Search" }).click();
    await until("rows containing the word", async () => {
      const inputs = await table.locator("tbody tr td:nth-child(3)").allInnerTexts();
      return inputs.includes(newest.input) && inputs.every((t) => t.toLowerCase().includes(word.toLowerCase()));
    });
    await shot("17-requests-filtered");

    await page.getByRole("button", { name: `Open request ${newest.id}` }).click();
    const detail = page.getByRole("region", { name: `Request ${newest.id}` });
    await textMatching(detail.locator("dt:has-text(\"Teacher's answer\") + dd"), new RegExp(`^${newest.label}$`));
    await textMatching(detail.locator("dt:has-text('Audit') + dd"), /not an audit/);
    const other = demo.data.task.labels.map((l) => l.name).find((l) => l !== newest.label)!;
    await detail.getByLabel("Right label").selectOption(other);
    await detail.getByRole("button", { name: "Save as feedback" }).click();
    await textMatching(detail.locator(".notice[role=status]"), new RegExp(`Saved: “${other}”`));
    await textMatching(detail.locator("dt:has-text('Stored example') + dd"), new RegExp(`^${other} \\(feedback\\)$`));
    expect((await api("GET", `/v1/tasks/${TASK}/requests/${newest.id}`)).example).toMatchObject({ label: other, source: "feedback" });
    await shot("18-request-corrected");
  });

  it("examples: one found by text is relabelled, then deleted; what a retrain would change follows; the export downloads", async () => {
    await page.evaluate((hash) => (location.hash = hash), `#/tasks/${TASK}/examples`);
    const table = page.getByRole("table", { name: "Examples, oldest first" });
    await table.locator("tbody tr").first().waitFor();
    const target = (await api("GET", `/v1/tasks/${TASK}/examples?source=import&holdout=false&limit=1`)).data[0] as { id: number; text: string; label: string };
    await page.getByLabel("Text contains").fill(target.text);
    await page.getByRole("button", { name: "Search" }).click();
    await until("the searched example alone", async () => (await table.locator("tbody tr").count()) === 1 && (await table.locator("tbody tr td:nth-child(2)").innerText()) === target.text);

    await page.getByRole("button", { name: `Edit example ${target.id}` }).click();
    const editor = page.getByRole("region", { name: `Example ${target.id}` });
    const other = demo.data.task.labels.map((l) => l.name).find((l) => l !== target.label)!;
    await editor.getByLabel("Right label").selectOption(other);
    await editor.getByRole("button", { name: "Save label" }).click();
    await textMatching(page.locator(".notice[role=status]"), new RegExp(`Saved: example ${target.id} is now labelled “${other}”`));
    expect((await api("GET", `/v1/tasks/${TASK}/examples?q=${encodeURIComponent(target.text)}`)).data[0]).toMatchObject({ id: target.id, label: other, source: "human", origin: "edit" });
    // The counts are since the live version: the edit may have started a retrain that covers it.
    await textMatching(page.locator("dt:has-text('Relabelled') + dd"), /^\d+$/);
    await page.getByRole("button", { name: "Show where the live model disagrees" }).click();
    await textMatching(page.locator("p", { hasText: "The live model disagrees with" }), /most recently added or relabelled/);
    await shot("19-examples-relabelled");

    await page.getByRole("button", { name: `Edit example ${target.id}` }).click();
    await editor.getByRole("button", { name: "Delete example" }).click();
    const dialog = page.getByRole("dialog");
    await textMatching(dialog, /forgets it now/);
    await dialog.getByRole("button", { name: "Delete example" }).click();
    await textMatching(page.locator(".notice[role=status]"), new RegExp(`Deleted example ${target.id}`));
    await textMatching(table.locator("tbody tr"), /No example matches/);
    expect((await api("GET", `/v1/tasks/${TASK}/examples?q=${encodeURIComponent(target.text)}`)).total).toBe(0);
    await textMatching(page.locator("dt:has-text('Deleted') + dd"), /^\d+$/);

    // The export of the whole task (the search cleared), saved by the browser.
    await page.getByLabel("Text contains").fill("");
    await page.getByRole("button", { name: "Search" }).click();
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: WAIT }), page.getByRole("button", { name: "Export CSV" }).click()]);
    expect(download.suggestedFilename()).toBe(`${TASK}-examples.csv`);
    const csv = readFileSync((await download.path())!, "utf8");
    expect(csv.split("\r\n")[0]).toBe("id,text,label,source,origin,holdout,audited,key_name,created_at,updated_at");
    expect(csv.split("\r\n").length - 2).toBe(await examplesTotal());
    expect(csv).not.toContain(target.text);
    await shot("20-examples-deleted");
  });

  it("screenshots: the remaining pages, and the overview and review queue on a phone", async () => {
    await openTab("Settings");
    await page.getByRole("button", { name: /save/i }).first().waitFor();
    await shot("12-settings");

    await openTab("Review");
    await textMatching(page.getByLabel("Review progress"), /done/);
    await shot("13-review", 390);

    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("article", { name: TASK }).waitFor();
    await shot("14-overview", 390);
  });
});
