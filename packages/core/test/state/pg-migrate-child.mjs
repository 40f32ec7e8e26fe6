// Opens the state database given as argv[2] and brings its schema up to date, as each herdctl
// process does at open; built code (npm run build), as a second machine would run it.
import { migratePg } from "../../dist/state/pg/schema.js";
import { SyncPgClient } from "../../dist/state/pg/sync-client.js";

const client = new SyncPgClient(process.argv[2]);
migratePg(client);
console.log(JSON.stringify({ event: "migrated" }));
client.close();
