// Entry point of the toxicity function (routes in app.ts): validates the environment when the function
// loads, so a bad variable fails the deploy, not a request, and serves the app with the isolate's database.
import { loadConfig } from "../_shared/config.ts";
import { database } from "../_shared/db.ts";
import { createToxicityApp } from "./app.ts";

loadConfig();

const app = createToxicityApp({ database });

export default { fetch: app.fetch };
