// Opening a store: which URL means what, and errors that say what went wrong without leaking a
// password. Needs no database server.
import { describe, expect, it } from "vitest";
import { DEFAULT_SQLITE_PATH, openStore, parseStoreUrl, redactUrl, StoreOpenError } from "../../src/store/index.js";
import { rowsPerInsert } from "../../src/store/context.js";

describe("parseStoreUrl", () => {
  it("defaults to the SQLite file under ./.apprentice", () => {
    expect(parseStoreUrl(undefined)).toEqual({ kind: "sqlite", path: DEFAULT_SQLITE_PATH });
    expect(DEFAULT_SQLITE_PATH).toBe("./.apprentice/apprentice.db");
  });

  it.each([
    ["data/app.db", "data/app.db"],
    ["/var/lib/apprentice/app.db", "/var/lib/apprentice/app.db"],
    [":memory:", ":memory:"],
    ["sqlite::memory:", ":memory:"],
    ["sqlite:data/app.db", "data/app.db"],
    ["sqlite://data/app.db", "data/app.db"],
    ["sqlite:///var/lib/app.db", "/var/lib/app.db"],
    ["SQLITE:x.db", "x.db"],
  ])("%s is SQLite at %s", (url, path) => {
    expect(parseStoreUrl(url)).toEqual({ kind: "sqlite", path });
  });

  it("reads a PostgreSQL URL, with or without port, and its schema parameter", () => {
    expect(parseStoreUrl("postgres://app:pw@db.internal:6543/apprentice?schema=gw&sslmode=require")).toEqual({
      kind: "postgres",
      connectionString: "postgres://app:pw@db.internal:6543/apprentice?sslmode=require",
      host: "db.internal",
      port: 6543,
      database: "apprentice",
      user: "app",
      schema: "gw",
    });
    expect(parseStoreUrl("postgresql://me@localhost/db")).toMatchObject({ kind: "postgres", port: 5432, user: "me", database: "db", schema: undefined });
  });

  it("refuses other schemes and empty paths", () => {
    expect(() => parseStoreUrl("mysql://root@localhost/db")).toThrow(/unsupported database URL scheme "mysql:"/);
    expect(() => parseStoreUrl("sqlite:")).toThrow(StoreOpenError);
    expect(() => parseStoreUrl("  ")).toThrow(/empty/);
  });

  it("never repeats a password in its errors", () => {
    let message = "";
    try {
      parseStoreUrl("postgres://user:p@ss%zz-secret@host:notaport/db");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/invalid PostgreSQL URL/);
    expect(message).not.toContain("secret");
  });
});

describe("redactUrl", () => {
  it("hides the password and only the password", () => {
    expect(redactUrl("postgres://app:s3cret@db:5432/x")).toBe("postgres://app:***@db:5432/x");
    expect(redactUrl("postgres://app@db/x")).toBe("postgres://app@db/x");
    expect(redactUrl("not a url://a:b@c")).not.toContain(":b@");
  });
});

describe("openStore", () => {
  it("names the PostgreSQL server it cannot reach, without the password", async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const err = await openStore("postgres://apprentice:TopSecret-42@127.0.0.1:1/apprentice").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    const message = (err as Error).message;
    expect(message).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(database "apprentice", user "apprentice"\): .*ECONNREFUSED/);
    expect(message).not.toContain("TopSecret-42");
  });
});

describe("insert chunking", () => {
  it("stays under each dialect's parameter limit", () => {
    for (const columns of [1, 9, 14, 50]) {
      expect(rowsPerInsert("sqlite", columns) * columns).toBeLessThanOrEqual(32766 - 64);
      expect(rowsPerInsert("postgres", columns) * columns).toBeLessThanOrEqual(65535 - 64);
      expect(rowsPerInsert("sqlite", columns)).toBeGreaterThan(0);
    }
  });
});
