// The plugin fixture (test/fixtures/modules/hello/index.js) as a module definition, built
// the way core's loader builds it: by calling its default export with core's helpers.
import * as core from "../../core/types.js";
import type { ModuleDefinition } from "../../core/types.js";
import helloPlugin from "../fixtures/modules/hello/index.js";

export interface HelloApi { greet(name: string): string; count(): Promise<number> }

export const hello: ModuleDefinition = helloPlugin(core);
