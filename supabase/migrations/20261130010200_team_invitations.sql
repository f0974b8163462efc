/**
 * CryoProtect: team membership by consent (issue 7, item 6)
 * ---------------------------------------------------------------------------------------------------------
 * Nobody is put into a team without agreeing to it. A team owner invites a user (by user id or e-mail);
 * the invitee sees their own pending invitations and accepts one through public.accept_team_invitation(),
 * which makes them a member with the invited role. Invitations expire (7 days by default) and owners can
 * revoke them. Membership rows are made only by acceptance and by public.create_team(); owners still change
 * roles and remove members, and removal ends access at once (no creator exception on teams any more).
 *
 * What errors reveal: inviting a user id that does not exist succeeds exactly like inviting one that does
 * (no foreign key on the invitee); team names are unique per creator, not globally (a global unique name
 * told anyone whether a hidden team of that name existed); accepting answers one error for "no such
 * invitation", "not yours", "expired", "revoked" and "already accepted".
 */

/** --- Team names: unique per creator, not across teams the caller cannot see --- */
alter table public.teams drop constraint teams_name_key;
create unique index teams_created_by_name_key on public.teams (created_by, name);

/** --- Memberships: only the role changes after creation --- */

/**
 * private.guard_membership() trigger
 * For the API roles (any role that does not bypass RLS), a membership's team and user never change (an owner re-pointing a row at another
 * user would add them without consent); only the role does. 42501 otherwise.
 */
create or replace function private.guard_membership()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if not private.is_project_role(current_user::pg_catalog.text)
     and (new.team_id is distinct from old.team_id or new.user_id is distinct from old.user_id) then
    raise exception 'team_members: only the role of a membership can change' using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_membership() is 'Trigger: API roles may change a membership''s role, never its team or user.';
revoke execute on function private.guard_membership() from public;

create trigger team_members_guard before update on public.team_members
  for each row execute function private.guard_membership();

/** --- Invitations --- */

/**
 * An invitation to join a team with a role, addressed to one user id or one e-mail address (lower-case).
 * invited_by, created_at, accepted_at/accepted_by are set by the server; owners may only revoke.
 */
create table public.team_invitations (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  -- No foreign key: its error would tell the inviter whether a user id exists.
  invitee_user_id uuid,
  invitee_email text check (invitee_email is null or (invitee_email = lower(btrim(invitee_email)) and invitee_email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
  role text not null default 'viewer' check (role in ('owner', 'editor', 'viewer')),
  invited_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  constraint team_invitations_one_invitee check (num_nonnulls(invitee_user_id, invitee_email) = 1),
  constraint team_invitations_expiry check (expires_at > created_at),
  constraint team_invitations_accepted check ((accepted_at is null) = (accepted_by is null))
);
comment on table public.team_invitations is
  'Invitations to join a team (by user id or e-mail), accepted by the invitee; expiring and revocable.';
create index team_invitations_team_id_idx on public.team_invitations (team_id, created_at);
create index team_invitations_invitee_user_id_idx on public.team_invitations (invitee_user_id);
create index team_invitations_invitee_email_idx on public.team_invitations (invitee_email);
create index team_invitations_invited_by_idx on public.team_invitations (invited_by);
create index team_invitations_accepted_by_idx on public.team_invitations (accepted_by);

/**
 * private.guard_team_invitation() trigger
 * For the API roles: on insert the server sets inviter (the caller), creation time, and clears acceptance
 * and revocation; expiry defaults to 7 days and is capped at 30. On update only revocation happens: the
 * row keeps every other value, and revoked_at becomes now() (once; an accepted invitation stays as it is).
 * E-mail addresses are stored lower-case for everyone.
 */
create or replace function private.guard_team_invitation()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  api pg_catalog.bool := not private.is_project_role(current_user::pg_catalog.text);
  revoked pg_catalog.timestamptz;
begin
  new.invitee_email := pg_catalog.lower(pg_catalog.btrim(new.invitee_email));
  if not api then
    return new;
  end if;
  if tg_op = 'INSERT' then
    new.invited_by := private.uid();
    new.created_at := pg_catalog.now();
    new.expires_at := least(coalesce(new.expires_at, pg_catalog.now() + '7 days'::pg_catalog.interval),
                                       pg_catalog.now() + '30 days'::pg_catalog.interval);
    new.accepted_at := null;
    new.accepted_by := null;
    new.revoked_at := null;
    return new;
  end if;
  revoked := coalesce(old.revoked_at,
    case when new.revoked_at is not null and old.accepted_at is null then pg_catalog.now() end);
  new := old;
  new.revoked_at := revoked;
  return new;
end
$$;
comment on function private.guard_team_invitation() is
  'Trigger: server-set inviter/timestamps on insert; API updates can only revoke.';
revoke execute on function private.guard_team_invitation() from public;

create trigger team_invitations_guard before insert or update on public.team_invitations
  for each row execute function private.guard_team_invitation();

select private.apply_access_policies('public.team_invitations', 'teams', 'invitation');

/** --- Accepting --- */

/**
 * private.accept_team_invitation(invitation_id uuid) returns uuid
 * Accepts a pending invitation addressed to the caller (their user id, or their e-mail claim) and makes
 * them a member of its team with the invited role (an existing membership is left as it is); returns the
 * team id. Errors: 42501 when not signed in; P0002 with one message for every other refusal (unknown id,
 * someone else's, expired, revoked, already accepted), so it tells nothing about other people's invitations.
 */
create or replace function private.accept_team_invitation(invitation_id pg_catalog.uuid)
returns pg_catalog.uuid
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  mail pg_catalog.text := private.email();
  team pg_catalog.uuid;
  invited_role pg_catalog.text;
begin
  if me is null or pg_catalog.current_setting('role') is distinct from 'authenticated' then
    raise exception 'accept_team_invitation: sign in to accept an invitation' using errcode = '42501';
  end if;
  select i.team_id, i.role into team, invited_role
  from public.team_invitations i
  where i.id = invitation_id
    and (i.invitee_user_id = me or i.invitee_email = mail)
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > pg_catalog.now()
  for update;
  if team is null then
    raise exception 'accept_team_invitation: no pending invitation with this id for you' using errcode = 'P0002';
  end if;
  insert into public.team_members (team_id, user_id, role) values (team, me, invited_role)
  on conflict (team_id, user_id) do nothing;
  update public.team_invitations i set accepted_at = pg_catalog.now(), accepted_by = me where i.id = invitation_id;
  return team;
end
$$;
comment on function private.accept_team_invitation(pg_catalog.uuid) is
  'Accepts the caller''s pending invitation: membership with the invited role; one error for every refusal.';
revoke execute on function private.accept_team_invitation(pg_catalog.uuid) from public, anon, authenticated, cryo_service;
grant execute on function private.accept_team_invitation(pg_catalog.uuid) to authenticated;

/**
 * public.accept_team_invitation(invitation_id uuid) returns uuid
 * RPC: accept an invitation addressed to you; returns the team id. Errors: 42501 (not signed in), P0002
 * (no pending invitation with this id for you: unknown, expired, revoked, accepted or someone else's).
 */
create or replace function public.accept_team_invitation(invitation_id pg_catalog.uuid)
returns pg_catalog.uuid
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$ select private.accept_team_invitation(invitation_id) $$;
comment on function public.accept_team_invitation(pg_catalog.uuid) is 'Accepts an invitation addressed to the caller; returns the team id.';
revoke execute on function public.accept_team_invitation(pg_catalog.uuid) from public, anon, authenticated, cryo_service;
grant execute on function public.accept_team_invitation(pg_catalog.uuid) to authenticated;
