// One gateway for a test file, capturing an app's calls to the simulated transfers LLM: started
// before the file's tests, stopped after them.
import OpenAI from "openai";
import { afterAll, beforeAll } from "vitest";
import { startSimulatedLlm, type SimulatedLlm } from "../../../src/teacher/simulated-llm-server.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "../helpers.js";
import { transferLlm } from "./transfer-calls.js";

export interface CaptureGateway {
  llm: SimulatedLlm;
  g: TestGateway;
  /** The app: the official client, its base URL the gateway. */
  app: OpenAI;
}

/** Registers the file's setup and teardown; the fields are set once its beforeAll has run. */
export function useCaptureGateway(upstreamKey: string): CaptureGateway {
  const fixture = {} as CaptureGateway;
  beforeAll(async () => {
    fixture.llm = await startSimulatedLlm(transferLlm);
    fixture.g = await startTestGateway(undefined, { upstream: { baseURL: fixture.llm.url, apiKey: upstreamKey } });
    fixture.app = new OpenAI({ baseURL: `${fixture.g.url}/v1`, apiKey: fixture.g.predictKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await stopTestGateway(fixture.g);
    await fixture.llm.close();
  });
  return fixture;
}

/** Captured calls the gateway is done with (learned, or shed): the row is handed to the request log just before this counts. */
export async function learnedCalls(g: TestGateway): Promise<number> {
  return (await g.app.metrics.captured.get()).values.reduce((s, v) => s + v.value, 0);
}
