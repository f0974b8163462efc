/**
 * CryoProtect: API access
 * ---------------------------------------------------------------------------------------------------------
 * The login role that the edge functions use through the transaction pooler. It holds no privileges of its
 * own (NOINHERIT) and can only switch, per transaction, to the API roles granted to it; it is never a
 * superuser and never BYPASSRLS, so application work through it always runs under RLS.
 * Its password is not part of any migration: set it once per project (see README, "Deploy").
 */

/** --- Roles --- */
do $$
begin
  if not exists (select from pg_roles where rolname = 'cryo_api') then
    create role cryo_api nologin noinherit nobypassrls;
  end if;
end
$$;

grant anon, authenticated to cryo_api;
alter role cryo_api set statement_timeout = '8s';
alter role cryo_api set lock_timeout = '8s';
alter role cryo_api set idle_in_transaction_session_timeout = '15s';

comment on role cryo_api is
  'Login role of the edge functions (via the pooler). Switches to anon/authenticated per transaction; no privileges of its own.';
