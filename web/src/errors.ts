// API errors in words a person understands: what happened and what to do about it. The machine code stays
// visible in small print, for a bug report.
import { ApiError } from "./api.ts";
import { h } from "./dom.ts";

// Codes whose API message is already a sentence about the user's own input.
const INPUT_HINTS: Record<string, string> = {
  NON_POSITIVE_CONCENTRATION: "Every concentration must be a number above zero.",
  NOT_A_NUMBER: "A value is not a number.",
  UNKNOWN_UNIT: "That concentration unit is not one the estimate converts.",
  PERCENT_OVER_100: "The percentages add up to more than 100 %.",
  MOLECULAR_WEIGHT_REQUIRED: "A molar unit needs the component's molecular weight.",
  INVALID_DENSITY: "A density must be a positive number in g/mL.",
  DUPLICATE_COMPONENT: "The same component is listed twice.",
  EMPTY_MIXTURE: "Add at least one component.",
  MISSING_NAME: "Every component needs a name.",
  TOO_MANY_IDENTIFIERS: "That is more identifiers than one lookup takes.",
};

/** One sentence (or two) for `e`, whatever was thrown. */
export function describeError(e: unknown): string {
  if (!(e instanceof ApiError)) return `Something went wrong in the page: ${String((e as Error)?.message ?? e)}`;
  const said = e.message && !/^HTTP_/.test(e.message) ? ` (${e.message.replace(/\.$/, "")}.)` : "";
  if (e.status === 0) return "Could not reach the CryoProtect server. Check your connection, then try again.";
  if (e.status === 401) return "Your sign-in is no longer valid. Please sign in again.";
  if (e.status === 403) return `You do not have access to this.${said}`;
  // A route the server does not have (an API older than this app) is not "nothing found".
  if (e.status === 404 && /^no route for /i.test(e.message)) {
    return "This server does not offer that yet (its API is older than this app).";
  }
  if (e.status === 404) return `Nothing was found for that: it does not exist, or it belongs to a team you are not in.`;
  if (e.status === 413) return `That is too much at once; send fewer identifiers or a shorter text.${said}`;
  if (e.status === 429) return "Too many requests in a short time. Wait a few seconds, then try again.";
  if (e.status >= 500) return "The server could not answer just now. Try again in a moment.";
  const hint = INPUT_HINTS[e.code];
  if (hint) return `${hint}${said}`;
  return `The request was not accepted${e.message ? `: ${e.message.replace(/\.$/, "")}` : ""}.`;
}

/** An alert box for `e` (role=alert: read out at once), with the machine code in small print. */
export function errorBox(e: unknown, what?: string): HTMLElement {
  const code = e instanceof ApiError ? e.code : null;
  return h(
    "div",
    { role: "alert", class: "error" },
    h("p", null, what ? h("strong", null, `${what}: `) : null, describeError(e)),
    code
      ? h("p", { class: "code" }, `Error code ${code}${e instanceof ApiError && e.status ? `, HTTP ${e.status}` : ""}`)
      : null,
  );
}
