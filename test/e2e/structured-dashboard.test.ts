// A structured task in the dashboard, end to end: Debian's Chromium (driven by playwright-core)
// against a test gateway whose simulated teacher answers money-transfer requests with objects.
// The task is created and trained through the API; the page then shows its answers as fields: the
// playground with each field's confidence and the extracted values highlighted in the text, the
// request log, and the quality page's per-field table. The gateway also forwards other models to a
// simulated upstream LLM: calls sent through it with the openai client become a captured task, which
// the Discovered page shows, switches to serve, renames and deletes. APPRENTICE_E2E_DIST points it at
// another dashboard build than web/dist. Screenshots land in test-results/e2e/.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileOutput } from "../../src/task/output-fields.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { lastUserText, startSimulatedLlm, type SimulatedLlm } from "../../src/teacher/simulated-llm-server.js";
import { structuredResponseFormat } from "../../src/teacher/structured-prompt.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { TRANSFER_FIELDS, TRANSFER_OUTPUT, transferRequests } from "../helpers/transfer-requests.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "../server/helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = join(ROOT, "test-results", "e2e");
const TASK = "transfers";
const WAIT = 20_000;
/** The dashboard build to test (default: web/dist, built if missing). */
const DIST = process.env.APPRENTICE_E2E_DIST ?? join(ROOT, "web", "dist");
/** The captured task's name once renamed on the Discovered page. */
const RENAMED = "app-transfers";

const TRAIN = transferRequests(400, 41);
/** A text the teacher never saw: the specialist must answer it itself. */
const FRESH = transferRequests(200, 42).find((r) => r.object.intent === "send_money" && !TRAIN.some((t) => t.text === r.text))!;

/** What the app sends its own LLM through the gateway: the gateway captures these calls. */
const CAPTURED = transferRequests(400, 43);
const APP_MODEL = "gpt-4o-mini";

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) console.warn(`structured dashboard e2e skipped: ${CHROMIUM} is missing (install it with .ci/chromium.sh)`);

describe.skipIf(!haveChromium && !process.env.CI)("dashboard with a structured task (Chromium, end to end)", () => {
  let g: TestGateway;
  let llm: SimulatedLlm;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing; CI must install Debian's Chromium with .ci/chromium.sh before the tests`);
    if (!existsSync(join(DIST, "index.html")) && process.env.APPRENTICE_E2E_DIST === undefined) execFileSync("npm", ["run", "build:web"], { cwd: ROOT, stdio: "ignore" });
    mkdirSync(SHOTS, { recursive: true });
    const key = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: [...TRAIN, FRESH], accuracy: 1 });
    const appAnswers = new Map(CAPTURED.map((r) => [r.text, JSON.stringify(r.object)]));
    llm = await startSimulatedLlm((body) => ({ content: appAnswers.get(lastUserText(body)) ?? "{}" }));
    g = await startTestGateway(undefined, { teacher: new SimulatedTeacher({ key }), upstream: { baseURL: llm.url, apiKey: "sk-simulated" }, options: { dashboardDir: DIST } });
    const created = await g.request("POST", "/v1/tasks", {
      body: {
        name: TASK,
        instructions: "Read the banking app user's request.",
        output: TRANSFER_OUTPUT,
        teacher: { name: "sim" },
        routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0 },
        training: { retrain_every: 1000, min_examples: 50, holdout_fraction: 0.3, seed: 1 },
      },
    });
    expect(created.status).toBe(201);
    const taught = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs: TRAIN.map((t) => t.text) } });
    expect(taught.status).toBe(200);
    const retrain = await g.request("POST", `/v1/tasks/${TASK}/retrain`);
    expect(retrain.body.promoted).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 })).newPage();
    page.setDefaultTimeout(WAIT);
    page.on("pageerror", (e) => pageErrors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
    });
    await page.goto(`${g.url}/`);
    await page.getByLabel("Admin API key").fill(g.adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Tasks", level: 1 }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (g) await stopTestGateway(g);
    await llm?.close();
  });

  it("playground: the specialist's answer as fields with confidences, its extracted values highlighted in the text", async () => {
    await page.goto(`${g.url}/#/tasks/${TASK}/explain`);
    // The header counts fields, not labels (a structured task has none).
    expect(await page.locator(".head-facts dt:has-text('Fields') + dd").innerText()).toBe("5");
    await page.getByLabel("Text to classify").fill(FRESH.text);
    await page.getByRole("button", { name: "Explain" }).click();
    const result = page.getByRole("region", { name: "What the router would do" });
    const list = result.locator(".field-list");
    await list.waitFor();
    const shown = await list.locator(".field-item").evaluateAll((els) => els.map((el) => [el.querySelector("dt")!.textContent, el.querySelector("dd")!.textContent]));
    expect(shown.map(([name]) => name)).toEqual(TRANSFER_FIELDS.map((f) => f.name));
    const value = (name: string) => shown.find(([n]) => n === name)![1]!;
    expect(value("intent")).toMatch(/^send_money \d+%$/);
    expect(value("recipient")).toMatch(new RegExp(`^${FRESH.object.recipient as string} \\d+%$`));
    // Extracted values are marked in the text with their field's name.
    const recipient = result.locator(".highlighted-text mark[data-field=recipient]");
    await recipient.waitFor();
    expect(await recipient.evaluate((m) => m.firstChild!.textContent)).toBe(FRESH.object.recipient);
    expect(await recipient.locator(".hl-field").innerText()).toMatch(/recipient/i);
    // Without the field names, the highlighted paragraph is the text itself, untouched.
    const plain = await result.locator(".highlighted-text").evaluate((p) => {
      const copy = p.cloneNode(true) as HTMLElement;
      copy.querySelectorAll(".hl-field").forEach((l) => l.remove());
      return copy.textContent;
    });
    expect(plain).toBe(FRESH.text);
    expect(await result.locator(".route-decision").innerText()).toMatch(/^(Specialist answers|Sent to the teacher)$/);
    expect(await result.getByText(/^\{/).count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "structured-playground-1280.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("requests and quality: answers as fields in the log, agreement per field instead of a confusion matrix", async () => {
    await page.goto(`${g.url}/#/tasks/${TASK}/requests`);
    const table = page.getByRole("table", { name: "Requests, newest first" });
    const firstAnswer = table.locator("tbody tr").first().locator(".field-list.compact");
    await firstAnswer.waitFor();
    expect(await firstAnswer.locator("dt").allInnerTexts()).toEqual(TRANSFER_FIELDS.map((f) => f.name));
    expect(await table.locator("tbody").innerText()).not.toContain('{"intent"');

    await page.goto(`${g.url}/#/tasks/${TASK}/quality`);
    const perField = page.getByRole("table", { name: /Agreement per field/ });
    await perField.waitFor();
    const fields = await perField.locator("tbody tr td:first-child").allInnerTexts();
    expect(fields).toEqual(TRANSFER_FIELDS.map((f) => f.name));
    await page.locator("dt:has-text('Exact match') + dd").waitFor();
    // The curve is named after what it measures: whole objects right in every field.
    await page.getByRole("img", { name: /^Coverage–exact match curve/ }).waitFor();
    expect(await page.getByText("Top confusions").count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "structured-quality-1280.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("data: imports answer objects from a JSONL file, without a label column to map", async () => {
    const rows = transferRequests(3, 97).map((r) => ({ text: r.text, output: r.object }));
    const before = (await g.request("GET", `/v1/tasks/${TASK}`)).body.cascade.examples as number;
    await page.goto(`${g.url}/#/tasks/${TASK}/data`);
    await page.getByLabel(/^File \(CSV/).setInputFiles({ name: "objects.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(rows.map((r) => JSON.stringify(r)).join("\n") + "\n") });
    expect(await page.getByLabel("Label column").count()).toBe(0);
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByRole("status").filter({ hasText: /Imported 3 of 3 rows/ }).waitFor({ timeout: WAIT });
    expect((await g.request("GET", `/v1/tasks/${TASK}`)).body.cascade.examples).toBe(before + 3);
    expect(pageErrors).toEqual([]);
  });

  it("every other page opens on a structured task without an error: fields listed where labels would be", async () => {
    await page.goto(`${g.url}/#/`);
    await page.getByRole("article", { name: TASK }).waitFor();
    for (const tab of ["traffic", "examples", "versions", "settings", "review", "data"]) {
      await page.goto(`${g.url}/#/tasks/${TASK}${tab === "traffic" ? "" : `/${tab}`}`);
      await page.locator(".tab-body").waitFor();
      await page.waitForLoadState("networkidle");
      expect(await page.locator(".error-box").count(), tab).toBe(0);
      if (tab === "settings") expect(await page.locator(".field-kinds dt").allInnerTexts()).toEqual(TRANSFER_FIELDS.map((f) => f.name));
      if (tab === "examples") {
        const first = page.locator("tbody tr").first().locator(".field-list.compact");
        await first.waitFor();
        expect(await first.locator("dt").allInnerTexts()).toEqual(TRANSFER_FIELDS.map((f) => f.name));
      }
    }
    expect(pageErrors).toEqual([]);
  });

  it("discovered: the app's structured calls to its LLM become a captured task, shown, switched to serve, renamed and deleted", async () => {
    const app = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
    const responseFormat = structuredResponseFormat(compileOutput(TRANSFER_OUTPUT), "transfer");
    for (const r of CAPTURED) {
      const reply = await app.chat.completions.create({ model: APP_MODEL, messages: [{ role: "system", content: "Read the banking app user's request." }, { role: "user", content: r.text }], response_format: responseFormat });
      expect(JSON.parse(reply.choices[0].message.content!)).toEqual(r.object);
    }
    // The request log is written a few milliseconds after each reply, and the first specialist trains in the background.
    await expect.poll(async () => (await g.request("GET", "/v1/captured")).body.data[0]?.shadow.requests, { timeout: WAIT }).toBe(CAPTURED.length);
    await expect.poll(async () => (await g.request("GET", "/v1/captured")).body.data[0]?.model_version, { timeout: WAIT }).toBeGreaterThan(0);
    const name = (await g.request("GET", "/v1/captured")).body.data[0].name as string;

    await page.goto(`${g.url}/#/`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Discovered" }).click();
    const card = page.getByRole("article", { name });
    await card.waitFor();
    expect(await card.locator(".shadow-sentence").innerText()).toMatch(new RegExp(`^The specialist would (have answered \\d+%|not have answered any) of these ${CAPTURED.length} calls`));
    expect(await card.locator(".kv").innerText()).toContain(APP_MODEL);
    expect(await card.locator(".captured-fields code").allInnerTexts()).toEqual(TRANSFER_FIELDS.map((f) => f.name));
    expect(await card.locator(".captured-samples li").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, "discovered-1280.png"), fullPage: true });

    await card.getByRole("radio", { name: "Serve" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await card.getByRole("status").filter({ hasText: "Now in serve mode." }).waitFor();
    expect((await g.request("GET", `/v1/captured/${name}`)).body.capture.mode).toBe("serve");
    await card.locator(".badge-mode-serve").waitFor();
    // Served, the app still gets its answer in the shape it asked for.
    const served = await app.chat.completions.create({ model: APP_MODEL, messages: [{ role: "system", content: "Read the banking app user's request." }, { role: "user", content: CAPTURED[0].text }], response_format: responseFormat });
    expect(Object.keys(JSON.parse(served.choices[0].message.content!) as object).sort()).toEqual(TRANSFER_FIELDS.map((f) => f.name).sort());

    // Renamed on the page: the task moves with its calls, and the card and its links follow the new name.
    await card.getByRole("button", { name: "Rename", exact: true }).click();
    await card.getByLabel("New name").fill(RENAMED);
    await card.getByRole("button", { name: "Rename task" }).click();
    await page.getByRole("status").filter({ hasText: `Renamed “${name}” to “${RENAMED}”.` }).waitFor();
    const renamed = page.getByRole("article", { name: RENAMED });
    await renamed.waitFor();
    expect(((await g.request("GET", "/v1/captured")).body.data as { name: string }[]).map((t) => t.name)).toEqual([RENAMED]);

    // Described on the page: the task's description and a field's, saved in one request.
    await renamed.getByRole("button", { name: "Describe", exact: true }).click();
    await renamed.getByLabel("Task description").fill("Transfer requests from the banking app.");
    await renamed.getByLabel(`Field ${TRANSFER_FIELDS[0].name}`).fill("Read from the user's message.");
    await renamed.getByRole("button", { name: "Save descriptions" }).click();
    await page.getByRole("status").filter({ hasText: `Descriptions of “${RENAMED}” saved.` }).waitFor();
    const described = (await g.request("GET", `/v1/captured/${RENAMED}`)).body;
    expect(described.description).toBe("Transfer requests from the banking app.");
    expect(described.fields.find((f: { name: string }) => f.name === TRANSFER_FIELDS[0].name).description).toBe("Read from the user's message.");

    // The captured task is an ordinary task for the other pages.
    await renamed.getByRole("link", { name: "Requests" }).click();
    expect(page.url()).toContain(`#/tasks/${RENAMED}/requests`);
    const log = page.getByRole("table", { name: "Requests, newest first" });
    await log.locator("tbody tr .field-list.compact").first().waitFor();
    expect(await page.locator(".error-box").count()).toBe(0);

    // Deleted on the page, after a confirmation naming it.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Discovered" }).click();
    await page.getByRole("article", { name: RENAMED }).getByRole("button", { name: "Delete…" }).click();
    const confirm = page.getByRole("dialog", { name: `Delete “${RENAMED}”?` });
    await confirm.getByRole("button", { name: "Delete task" }).click();
    await page.getByRole("status").filter({ hasText: `Deleted “${RENAMED}”.` }).waitFor();
    await page.getByRole("article", { name: RENAMED }).waitFor({ state: "detached" });
    expect((await g.request("GET", `/v1/captured/${RENAMED}`)).status).toBe(404);
    expect(pageErrors).toEqual([]);
  });
});
