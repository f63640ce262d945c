import { expect } from "chai";
import { orderByDependencies, resolveModules, LoadError } from "../../core/loader.js";
import type { ModuleDefinition } from "../../core/types.js";

const mod = (name: string, dependencies: string[] = []): ModuleDefinition => ({ name, dependencies, setup: () => undefined });

describe("module loader", () => {
  it("orders modules after their dependencies, keeping the given order otherwise", () => {
    const order = orderByDependencies([mod("page", ["invites"]), mod("api", ["invites"]), mod("invites"), mod("adhoc", ["invites", "page"])]);
    expect(order.map((m) => m.name)).to.deep.equal(["invites", "page", "api", "adhoc"]);
  });

  it("fails on a cycle, naming it", () => {
    expect(() => orderByDependencies([mod("a", ["b"]), mod("b", ["c"]), mod("c", ["a"])]))
      .to.throw(LoadError, "modules depend on each other in a cycle: a -> b -> c -> a");
  });

  it("fails on a missing dependency, naming both modules", async () => {
    const known = new Map([["a", mod("a", ["nowhere_to_be_found"])]]);
    try {
      await resolveModules(["a"], [], known);
      expect.fail("should have thrown");
    } catch (e) {
      expect(e).to.be.instanceOf(LoadError);
      expect((e as LoadError).code).to.equal("dependency_missing");
      expect((e as Error).message).to.match(/module "a" depends on "nowhere_to_be_found", which cannot be found/);
    }
  });

  it("loads a dependency that exists but is not enabled (as Prosody's module:depends)", async () => {
    const known = new Map([["a", mod("a", ["b"])], ["b", mod("b")]]);
    const order = await resolveModules(["a"], [], known);
    expect(order.map((m) => m.name)).to.deep.equal(["b", "a"]);
  });

  it("fails on an unknown module, naming it", async () => {
    try {
      await resolveModules(["no_such_module"], [], new Map());
      expect.fail("should have thrown");
    } catch (e) {
      expect((e as LoadError).code).to.equal("module_not_found");
      expect((e as Error).message).to.match(/unknown module "no_such_module"/);
    }
  });
});
