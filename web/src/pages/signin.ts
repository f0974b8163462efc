// Sign in with email and password through supabase-js Auth (the project's Supabase Auth; on the local stack,
// its emulation for the demo users). Members then see their teams' data too.
import { supabase } from "../api.ts";
import { appConfig } from "../config.ts";
import { append, h, replace } from "../dom.ts";

export function signInPage(el: HTMLElement, next: string) {
  const hint = appConfig()?.signInHint;
  const message = h("div", { "aria-live": "polite" });
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "stack narrow",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        button.disabled = true;
        replace(message);
        const { error } = await supabase().auth.signInWithPassword({
          email: email.value.trim(),
          password: password.value,
        });
        button.disabled = false;
        if (error) {
          const words = error.status === 400
            ? "The email or password is not right. Check both and try again."
            : error.status === 0 || !error.status
            ? "Could not reach the sign-in service. Check your connection and try again."
            : `Signing in failed: ${error.message}`;
          replace(message, h("div", { role: "alert", class: "error" }, h("p", null, words)));
          password.focus();
          return;
        }
        location.hash = next.startsWith("#/") && !next.startsWith("#/signin") ? next : "#/";
      },
    },
    h("div", { class: "field" }, h("label", { for: "email" }, "Email"), email),
    h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
    button,
  );
  append(el, [
    h("h1", { tabindex: "-1" }, "Sign in"),
    h(
      "p",
      { class: "lead" },
      "Anyone can read the public data. Members of a team also see their team's private molecules, records and mixtures.",
    ),
    hint ? h("p", { class: "note" }, hint) : null,
    message,
    form,
  ]);
}
