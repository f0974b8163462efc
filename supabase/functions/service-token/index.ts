// Entry point of the token endpoint (routes in app.ts): validates the environment when the function loads, so a
// bad variable fails the deploy, not a request, and serves the app with the isolate's database.
import { loadConfig } from "../_shared/config.ts";
import { database } from "../_shared/db.ts";
import { createServiceTokenApp } from "./app.ts";

loadConfig();

const app = createServiceTokenApp({ database });

export default { fetch: app.fetch };
