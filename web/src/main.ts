// The app shell: reads config.json, creates the supabase-js client, keeps the account area in step with the
// session, and renders the page named by the URL's hash (#/, #/molecules/<ref>, #/lookup, #/mixtures, ...).
// Hash routes need no rewrite rule on the static host.
import "./style.css";
import { initClient, supabase } from "./api.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { h, replace } from "./dom.ts";
import { errorBox } from "./errors.ts";
import { route } from "./router.ts";

const main = document.getElementById("main") as HTMLElement;
const account = document.getElementById("account") as HTMLElement;

let renderSeq = 0;

/** Renders the page for the current hash; `focus` moves focus to its heading (after a navigation). */
async function render(focus: boolean) {
  const mine = ++renderSeq;
  const { page, title, nav } = route(location.hash);
  document.querySelectorAll<HTMLAnchorElement>("[data-nav]").forEach((a) => {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  document.title = `${title} · CryoProtect`;
  const container = h("div", { class: "page" });
  replace(main, container);
  try {
    await page(container, { isCurrent: () => mine === renderSeq });
  } catch (e) {
    if (mine === renderSeq) replace(container, h("h1", null, title), errorBox(e));
  }
  if (focus && mine === renderSeq) (main.querySelector("h1") as HTMLElement | null ?? main).focus?.();
}

function renderAccount(email: string | null) {
  if (email) {
    replace(
      account,
      h("span", { class: "who" }, "Signed in as ", h("strong", null, email)),
      h("button", {
        type: "button",
        class: "link-button",
        onclick: async () => {
          await supabase().auth.signOut();
        },
      }, "Sign out"),
    );
  } else {
    replace(account, h("a", { href: `#/signin?next=${encodeURIComponent(location.hash || "#/")}` }, "Sign in"));
  }
}

async function boot() {
  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    replace(
      main,
      h("h1", null, "CryoProtect cannot start"),
      h(
        "div",
        { role: "alert", class: "error" },
        h("p", null, e instanceof ConfigError ? e.message : String(e)),
        h("p", null, "The site's config.json must name the project URL and its anon key (see docs/web-app.md)."),
      ),
    );
    return;
  }
  const client = initClient(config);
  const { data } = await client.auth.getSession();
  let current = data.session?.user.email ?? null;
  renderAccount(current);
  client.auth.onAuthStateChange((_event, session) => {
    const email = session?.user.email ?? null;
    if (email === current) return;
    current = email;
    renderAccount(email);
    // What a page shows depends on who asks (team-private data): show it again for the new caller.
    setTimeout(() => render(false), 0);
  });
  addEventListener("hashchange", () => render(true));
  await render(false);
  document.body.dataset.ready = "true";
}

void boot();
