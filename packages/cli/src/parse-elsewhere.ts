/**
 * What query.cjs has in place of on-demand/fleet-config.ts (scripts/bundle-cli.mjs): YAML, zod
 * and the schemas are two thirds of the fleet's parse, ~800 KB that would make every query
 * command's file and code cache three times the size. A query that needs the fleet parsed (its
 * kept `status` facts are stale, `jobs -a`, a fleet on PostgreSQL) asks for it before it prints
 * anything, and is then answered by commander's program, which has the parser (query.ts).
 */
export class ParseElsewhere extends Error {
  constructor() {
    super("the fleet's parse is not in query.cjs");
    this.name = "ParseElsewhere";
  }
}

export async function loadFleet(): Promise<never> {
  throw new ParseElsewhere();
}
