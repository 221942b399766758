/**
 * Vitest setup for every test file: @pulumi/pulumi loads as `formations plan` loads it, without
 * its closure serialiser (TypeScript, arborist) until something calls it (components/sdk-load.ts),
 * which saves each test file that loads the SDK most of that load.
 */
import { deferClosureSerializer } from "../../components/sdk-load.js";

deferClosureSerializer();
