// The operator's teacher declarations: where the default comes from, which teacher a task without
// a name gets, how a task stored with the old teacher block is mapped, and what is shown of a teacher.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/server/config.js";
import { teacherRegistry } from "../../src/server/start.js";
import { TeacherRegistry } from "../../src/server/runtime/teachers.js";
import { parseTask } from "../../src/task/definition.js";
import { taskBody } from "./helpers.js";

const ENV = { OPENAI_API_KEY: "sk-env-key-000000000000", OPENAI_BASE_URL: "http://127.0.0.1:9/env/v1", LOCAL_KEY: "sk-local-key-0000000000" };
const stored = (teacher: Record<string, unknown>) => parseTask(taskBody("t", { teacher }));

describe("teacher declarations", () => {
  it("takes the default from the environment unless the configuration declares one", () => {
    const fromEnv = teacherRegistry({}, ENV);
    expect(fromEnv.names()).toEqual(["default"]);
    expect(fromEnv.describe(stored({ name: "default" }))).toEqual({ name: "default", provider: "openai", model: "gpt-4o-mini", status: "ready" });

    const config = parseConfig({ teachers: { default: { base_url: "http://127.0.0.1:9/local/v1", api_key_env: "LOCAL_KEY", model: "llama" } } }, "apprentice.yaml", "/");
    const fromFile = teacherRegistry({ config }, ENV);
    expect(fromFile.describe(stored({ name: "default" }))).toMatchObject({ name: "default", model: "llama", status: "ready" });
    // Without any declaration there is no teacher at all.
    expect(teacherRegistry({}, {}).names()).toEqual([]);
  });

  it("gives a task without a name `default`, else the only teacher, else none", () => {
    const two = new TeacherRegistry({ a: { api_key_env: "LOCAL_KEY" }, b: { api_key_env: "LOCAL_KEY" } }, ENV);
    expect(two.defaultName()).toBeNull();
    expect(() => two.checkTask(taskBody("t", { teacher: {} }))).toThrow(/^teacher\.name: this gateway declares several teachers \(a, b\): name one/);
    const one = new TeacherRegistry({ a: { api_key_env: "LOCAL_KEY" } }, ENV);
    expect(one.checkTask(taskBody("t", { teacher: { few_shot: 3 } })).teacher).toMatchObject({ name: "a", few_shot: 3 });
    const withDefault = new TeacherRegistry({ a: { api_key_env: "LOCAL_KEY" }, default: {} }, ENV);
    expect(withDefault.checkTask(taskBody("t", { teacher: {} })).teacher.name).toBe("default");
  });

  it("maps an old teacher block by base URL (trailing slashes aside), to the default without one, and to nothing otherwise", () => {
    const registry = new TeacherRegistry({ default: { api_key_env: "OPENAI_API_KEY" }, local: { base_url: "http://127.0.0.1:9/local/v1/", api_key_env: "LOCAL_KEY" } }, ENV);
    expect(registry.describe(stored({ provider: "openai", base_url: "http://127.0.0.1:9/local/v1", api_key_env: "X" }))).toMatchObject({ name: "local", status: "ready" });
    expect(registry.describe(stored({ provider: "openai", api_key_env: "HOME" }))).toMatchObject({ name: "default", status: "ready" });
    expect(registry.describe(stored({ provider: "openai", base_url: "http://127.0.0.1:9/other/v1" }))).toMatchObject({ name: null, status: "unavailable" });
    // Simulated, where no simulated teacher is enabled.
    expect(registry.describe(stored({ provider: "sim" }))).toMatchObject({ name: null, status: "unavailable" });
  });

  it("never shows a key, the variable of one that is set, or a base URL", () => {
    const registry = new TeacherRegistry({ local: { base_url: "http://127.0.0.1:9/local/v1", api_key_env: "LOCAL_KEY" }, keyless: { api_key_env: "NOT_SET" } }, ENV);
    const shown = JSON.stringify([registry.describe(stored({ name: "local" })), registry.describe(stored({ name: "keyless" })), registry.describe(stored({ name: "gone" }))]);
    for (const secret of [ENV.LOCAL_KEY, "LOCAL_KEY", "127.0.0.1:9"]) expect(shown).not.toContain(secret);
    // The missing key's variable is named to the admin, so the operator knows what to set.
    expect(shown).toContain("NOT_SET");
  });
});
