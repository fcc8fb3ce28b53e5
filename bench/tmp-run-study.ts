import { runStudy } from "./oos-study.js";
const rows = await runStudy((s) => console.log(s));
(await import("node:fs")).writeFileSync("/tmp/oos-study.json", JSON.stringify(rows, null, 1));
