/** Cost ledger, launch prices, budgets and the idle rule: pure functions for the session layer and the CLI. */
export * from "./events.js";
export * from "./money.js";
export * from "./ledger.js";
export * from "./journal.js";
export * from "./price.js";
export * from "./launch.js";
export * from "./budget.js";
export * from "./report.js";
