/**
 * CryoProtect: the toxicity summary answers a service client only with toxicity:read (fix of
 * 20261130050300_toxicity_summary.sql)
 * ---------------------------------------------------------------------------------------------------------
 * private.read_toxicity_summary() checked the live molecule and the row's owner with private.row_readable(),
 * which knows a service client's team but not its scope: a client of team A holding only another resource's
 * scope (say molecules:write) read the public rows AND team A's private toxicity summary, which the table
 * policies (toxicity:read) would never show it. Found by supabase/tests/database/41-toxicity-summary.sql.
 * Now a cryo_service caller must hold toxicity:read (or :write), as for the records themselves; users and
 * anon are unchanged.
 */
create or replace function private.read_toxicity_summary(p_molecule_ids pg_catalog.uuid[])
returns table (molecule_id pg_catalog.uuid, team_id pg_catalog.uuid, visibility pg_catalog.text, record_count pg_catalog.int8,
               source_count pg_catalog.int8, lowest_ghs_category pg_catalog.int4, has_skeleton_matches pg_catalog.bool,
               ld50 pg_catalog.jsonb, hit_calls pg_catalog.jsonb)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.cardinality(p_molecule_ids) > 1000 then
    raise exception 'at most 1000 molecule ids' using errcode = '22023';
  end if;
  -- A service client reads toxicity data only with its scope (the 'role' setting is the caller's API role).
  if pg_catalog.current_setting('role') = 'cryo_service' and not private.service_has_scope('toxicity', 'read') then
    return;
  end if;
  return query
  select s.molecule_id, s.team_id, s.visibility::pg_catalog.text, s.record_count, s.source_count, s.lowest_ghs_category,
         s.has_skeleton_matches, s.ld50, s.hit_calls
  from public.molecules m
  join private.toxicity_summary s on s.molecule_id = m.id
  where m.id = any (p_molecule_ids)
    and private.row_readable(m.team_id, m.visibility)
    and private.row_readable(s.team_id, s.visibility)
  order by s.molecule_id, s.team_id nulls first;
end
$$;
comment on function private.read_toxicity_summary(pg_catalog.uuid[]) is
  'Toxicity summary rows of readable molecules, owner rows the caller may read only (live access; service clients need toxicity:read).';
revoke execute on function private.read_toxicity_summary(pg_catalog.uuid[]) from public, anon, authenticated, cryo_service;
grant execute on function private.read_toxicity_summary(pg_catalog.uuid[]) to anon, authenticated, cryo_service;
