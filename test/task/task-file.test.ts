import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TaskError } from "../../src/task/definition.js";
import { loadTaskFile, parseTaskText } from "../../src/task/task-file.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-task-"));
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe("loadTaskFile", () => {
  it("reads JSON and YAML, filling defaults", async () => {
    const json = await loadTaskFile(write("t.json", JSON.stringify({ name: "t", instructions: "Classify.", labels: [{ name: "a" }, { name: "b" }] })));
    expect(json.routing.max_error).toBe(0.05);
    const yaml = await loadTaskFile(write("t.yaml", "name: t\ninstructions: Classify.\nlabels:\n  - name: a\n  - name: b\nrouting:\n  max_error: 0.1\n"));
    expect(yaml.routing.max_error).toBe(0.1);
    expect(yaml.labels.map((l) => l.name)).toEqual(["a", "b"]);
  });

  it("names the file in every error", async () => {
    await expect(loadTaskFile(join(dir, "missing.json"))).rejects.toThrow(/missing\.json: file not found/);
    await expect(loadTaskFile(write("t.txt", "{}"))).rejects.toThrow(/t\.txt.*\.json, \.yaml or \.yml/);
    await expect(loadTaskFile(write("bad.json", "{"))).rejects.toThrow(/bad\.json is not valid JSON/);
    await expect(loadTaskFile(write("bad.yml", "a: [1,"))).rejects.toThrow(/bad\.yml is not valid YAML/);
    const invalid = loadTaskFile(write("invalid.json", JSON.stringify({ name: "t", instructions: "x", labels: [{ name: "a" }] })));
    await expect(invalid).rejects.toThrow(TaskError);
    await expect(invalid).rejects.toThrow(/invalid\.json: invalid task: labels/);
  });

  it("parses text directly", () => {
    expect(parseTaskText('{"name":"t","instructions":"x","labels":[{"name":"a"},{"name":"b"}]}', "json", "inline").name).toBe("t");
  });
});
