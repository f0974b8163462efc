/**
 * Invitations by e-mail belong to the user whose address Supabase Auth has confirmed.
 * The `email` claim is issued before the address is confirmed (sign-up with confirmations off, some
 * providers), so whoever signs up as victim@... got the victim's invitations. private.email() now answers
 * from auth.users: the caller's address when email_confirmed_at is set, else null; the claim is never read.
 * The invitation read policy and accept_team_invitation() both call it, so both follow.
 */

/**
 * private.email() returns text
 * The signed-in caller's confirmed e-mail address (auth.users.email, lower-cased and trimmed), or null when
 * the caller is not a user (private.uid() null), has no address, or has not confirmed it. Security definer
 * because API roles cannot read auth.users; it reads only the caller's own row.
 */
create or replace function private.email()
returns pg_catalog.text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select nullif(pg_catalog.lower(pg_catalog.btrim(u.email::pg_catalog.text)), '')
  from auth.users u
  where u.id = private.uid()
    and u.email_confirmed_at is not null
$$;
comment on function private.email() is
  'The caller''s confirmed e-mail address from auth.users (lower-case), or null; never the token''s email claim.';
revoke execute on function private.email() from public;
grant execute on function private.email() to anon, authenticated, cryo_service;
