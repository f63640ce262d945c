import { expect } from "chai";
import { readFileSync } from "node:fs";
import { DOC, optionsTable, withTable } from "../../scripts/options-doc.js";

describe("docs/configuration.md", () => {
  it("lists every module option exactly as the modules declare them (npm run docs:options)", async () => {
    const doc = readFileSync(DOC, "utf8");
    expect(doc).to.equal(withTable(doc, await optionsTable()));
  });
});
