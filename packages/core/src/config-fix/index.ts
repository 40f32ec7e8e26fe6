export { type FileFixes, fixConfigFiles } from "./fix.js";
export type { FixChange } from "./plan.js";
