// The lint rules that keep the seams between modules (eslint.config.js): a module reaches
// core only through core/types.ts and another module only through its index.ts or types.ts.
import { expect } from "chai";
import { ESLint } from "eslint";

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await new ESLint().lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("lint rules for the module seams", function () {
  this.timeout(30_000);

  it("refuses a module's import of a sibling's private file, of core other than types.ts, and of express", async () => {
    const found = await problems("modules/invites_page/zz.ts", [
      'import { newCode } from "../invites/codes.js";',
      'import { listen } from "../../core/http.js";',
      'import express from "express";',
      "export const x = [newCode, listen, express];",
    ].join("\n"));
    expect(found).to.have.length(3);
    expect(found[0]).to.contain("only through its index.ts or types.ts");
    expect(found[1]).to.contain("only through core/types.ts");
  });

  it("lets a module use core/types.ts, a sibling's index.ts and types.ts, and web/", async () => {
    expect(await problems("modules/invites_page/zz.ts", [
      'import { opt } from "../../core/types.js";',
      'import { normalizeCode } from "../invites/index.js";',
      'import type { Invite } from "../invites/types.js";',
      'import { html } from "../../web/html.js";',
      "export const x: unknown[] = [opt, normalizeCode, html, {} as Invite];",
    ].join("\n"))).to.deep.equal([]);
  });

  it("keeps web/ a library: no module and no core file but core/types.ts", async () => {
    expect(await problems("web/zz.ts", 'import { x } from "../modules/invites/index.js";\nimport { y } from "../core/store.js";\nexport const z = [x, y];')).to.have.length(2);
  });
});
