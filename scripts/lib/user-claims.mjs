// The local demo users' sign-in: their password, and the claims of a user access token as Supabase Auth mints
// them (password sign-in), in one place for the two local minters: `npm run token` (scripts/token.mjs) and the
// local Auth emulation (scripts/platform/auth.ts).
// No imports: it runs under Node and Deno alike.

/**
 * The password of every seeded demo user for the local Auth emulation (scripts/platform/auth.ts), which only a
 * local stack mounts. Never a production credential: hosted projects use their own Supabase Auth.
 */
export const DEMO_PASSWORD = "cryoprotect-demo";

/**
 * userClaims({ sub, email, phone?, isAnonymous?, sessionId, now? }) → the claims of an access token, without
 * iss/iat/exp (the signer adds them): aud and role "authenticated", aal1, amr [{ method: "password", timestamp
 * (seconds) }], the session id, app_metadata { provider: "email", providers: ["email"] }, empty user_metadata.
 */
export function userClaims({ sub, email, phone = "", isAnonymous = false, sessionId, now = Date.now() }) {
  return {
    aud: "authenticated",
    sub,
    email: email.toLowerCase(),
    phone,
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: Math.floor(now / 1000) }],
    session_id: sessionId,
    is_anonymous: isAnonymous,
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
  };
}
