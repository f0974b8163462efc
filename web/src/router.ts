// Hash routes → pages. Each page renders into a container and may be async (it loads its data).
import { lookupPage } from "./pages/lookup.ts";
import { mixturePage, mixturesPage } from "./pages/mixtures.ts";
import { profilePage } from "./pages/profile.ts";
import { searchPage } from "./pages/search.ts";
import { signInPage } from "./pages/signin.ts";
import { h } from "./dom.ts";

export interface PageContext {
  /** False once the user has navigated away (drop late results). */
  isCurrent(): boolean;
}
export type Page = (el: HTMLElement, ctx: PageContext) => Promise<void> | void;

/** The page, title and highlighted navigation entry for `hash` (e.g. "#/molecules/DMSO?cursor=x"). */
export function route(hash: string): { page: Page; title: string; nav: string } {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  switch (parts[0] ?? "") {
    case "":
      return { page: (el, ctx) => searchPage(el, ctx, params.get("q") ?? ""), title: "Search", nav: "search" };
    case "molecules":
      if (parts[1]) {
        return { page: (el, ctx) => profilePage(el, ctx, parts[1]), title: `Molecule ${parts[1]}`, nav: "search" };
      }
      break;
    case "lookup":
      return { page: lookupPage, title: "Batch lookup", nav: "lookup" };
    case "mixtures":
      if (parts[1]) {
        return { page: (el, ctx) => mixturePage(el, ctx, parts[1], params), title: "Mixture", nav: "mixtures" };
      }
      return { page: mixturesPage, title: "Mixtures", nav: "mixtures" };
    case "signin":
      return { page: (el) => signInPage(el, params.get("next") ?? "#/"), title: "Sign in", nav: "" };
  }
  return {
    page: (el) => el.append(h("h1", null, "Page not found"), h("p", null, h("a", { href: "#/" }, "Go to search"))),
    title: "Not found",
    nav: "",
  };
}
