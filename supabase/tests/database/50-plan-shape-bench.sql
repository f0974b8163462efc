/**
 * Plan shapes of the RLS suite's queries (`npm run bench -- rls`, scripts/bench/rls.mjs) that 09-plan-shape.sql
 * does not cover: name search, a molecule's toxicity profile (keyset page), the toxicity summary's lookup,
 * and the batch lookup of identifiers. On scale-like data made here and analyzed, as a member and as a
 * scoped service client: each is served by its index, never seq-scans a big table, never sorts what the
 * index already orders, and evaluates the access helpers once per statement. Timing is not asserted here;
 * these are the shapes that make the suite's numbers possible.
 */

begin;
select plan(29);
select tests.access_fixture();

-- Scale-like data: 30k molecules (a fifth private to Alpha or Beta), 6k with identifiers, 2k with five
-- toxicity records each, 1k mixtures.
insert into public.molecules (id, name, smiles, inchikey, molecular_weight, source, team_id, visibility)
select md5('bplan:' || i)::uuid, 'SB-' || substr(md5('bplan-name:' || i), 1, 10), 'C',
       translate(upper(substr(md5('bk' || i), 1, 14)), '0123456789', 'GHIJKLMNOP') || '-'
         || translate(upper(substr(md5('bk' || i), 15, 10)), '0123456789', 'GHIJKLMNOP') || '-N',
       46 + i % 300, 'plan test',
       case when i % 10 = 1 then tests.fid('teams', 'A') when i % 10 = 2 then tests.fid('teams', 'B') end,
       case when i % 10 in (1, 2) then 'team' else 'public' end
from generate_series(1, 30000) i;
insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id, visibility)
select m.id, 'cas', (1000 + i) || '-' || lpad((i % 100)::text, 2, '0') || '-' || (i % 10), 'plan test', m.team_id, m.visibility
from generate_series(1, 6000) i join public.molecules m on m.id = md5('bplan:' || (i * 5))::uuid;
insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier,
  value, unit, conversion, species, route, record_key, team_id, visibility)
select m.id, 'exact', tests.fid('toxicity_sources', 'P'), tests.fid('toxicity_endpoints', 'P'),
       (array['LD50', 'hit_call', 'AC50', 'GHS_category', 'LD50'])[k]::public.toxicity_value_type, '1', '=',
       case k when 2 then 1 when 4 then 3 else 10 * k end,
       (array['mg/kg', 'call', 'µM', 'category', 'mg/kg'])[k], 'none', 'rat', 'oral',
       encode(sha256(convert_to('bplan:' || i || ':' || k, 'UTF8')), 'hex'), m.team_id, m.visibility
from generate_series(1, 2000) i join public.molecules m on m.id = md5('bplan:' || (i * 3))::uuid,
     generate_series(1, 5) k;
-- and one heavily tested molecule (3,000 records, as a Tox21 compound has): its pages need the index order
insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier,
  value, unit, conversion, record_key)
select md5('bplan:9')::uuid, 'exact', tests.fid('toxicity_sources', 'P'), tests.fid('toxicity_endpoints', 'P'),
       (array['LD50', 'hit_call', 'AC50'])[1 + k % 3]::public.toxicity_value_type, '1', '=', case k % 3 when 1 then k % 2 else 1 + k end,
       (array['mg/kg', 'call', 'µM'])[1 + k % 3], 'none', encode(sha256(convert_to('bplan-heavy:' || k, 'UTF8')), 'hex')
from generate_series(1, 3000) k;
analyze public.molecules;
analyze public.molecule_identifiers;
analyze public.toxicity_records;
refresh materialized view private.toxicity_summary;
analyze private.toxicity_summary;

-- 1,000 identifiers for the batch lookup: 700 InChIKeys, 200 CAS numbers, 100 that match nothing
create temporary table batch_keys as
select array_agg(k order by o) as keys from (
  select translate(upper(substr(md5('bk' || i), 1, 14)), '0123456789', 'GHIJKLMNOP') || '-'
           || translate(upper(substr(md5('bk' || i), 15, 10)), '0123456789', 'GHIJKLMNOP') || '-N' as k, i as o
  from generate_series(1, 700) i
  union all select (1000 + i) || '-' || lpad((i % 100)::text, 2, '0') || '-' || (i % 10), 1000 + i from generate_series(1, 200) i
  union all select 'ZZZZZZZZZZZZZZ-' || lpad(i::text, 10, '0') || '-N', 2000 + i from generate_series(1, 100) i) x;
grant select on batch_keys to authenticated;

create temporary table plans (name text primary key, plan jsonb);
insert into plans values
  ('name_search', tests.plan_as('viewer_a', $$select id, name, inchikey from public.molecules
                                              where name >= 'SB-a1' and name < 'SB-a2' order by name, id limit 20$$)),
  ('toxicity_profile', tests.plan_as('viewer_a', format($$select id, value_type, value, unit from public.toxicity_records
      where molecule_id = %L and (value_type, id) > ('AC50'::text, '00000000-0000-0000-0000-000000000000'::uuid)
      order by value_type, id limit 50$$, md5('bplan:3')::uuid))),
  ('toxicity_profile_heavy', tests.plan_as('viewer_a', format($$select id, value_type, value, unit from public.toxicity_records
      where molecule_id = %L and (value_type, id) > ('LD50'::text, '00000000-0000-0000-0000-000000000000'::uuid)
      order by value_type, id limit 50$$, md5('bplan:9')::uuid))),
  ('batch_lookup', tests.plan_as('viewer_a', format($$select i.ord, i.key, m.id, m.name
      from unnest(%L::text[]) with ordinality as i(key, ord)
      left join lateral (
        select m.id, m.name from public.molecules m where m.inchikey = i.key
        union all
        select m.id, m.name from public.molecule_identifiers x join public.molecules m on m.id = x.molecule_id
        where x.kind = 'cas' and x.value = i.key) m on true
      order by i.ord$$, (select keys from batch_keys))));

-- The toxicity profile as a scoped service client (cryo_service with toxicity:read for Alpha)
do $$
declare
  p json;
begin
  perform tests.authenticate_as_role('cryo_service',
    jsonb_build_object('scope', 'toxicity:read', 'team_id', tests.fid('teams', 'A')));
  execute format($q$explain (analyze, costs off, timing off, format json)
    select id, value_type, value, unit from public.toxicity_records
    where molecule_id = %L and (value_type, id) > ('LD50'::text, '00000000-0000-0000-0000-000000000000'::uuid)
    order by value_type, id limit 50$q$, md5('bplan:9')::uuid) into p;
  perform tests.clear_authentication();
  insert into plans values ('toxicity_profile_service', p::jsonb);
end
$$;

-- The summary's read (the query inside private.read_toxicity_summary, run by its definer) for 20 molecules
do $$
declare
  p json;
begin
  execute format($q$explain (analyze, costs off, timing off, format json)
    select s.molecule_id, s.record_count from public.molecules m
    join private.toxicity_summary s on s.molecule_id = m.id
    where m.id = any (%L::uuid[])
      and private.row_readable(m.team_id, m.visibility) and private.row_readable(s.team_id, s.visibility)$q$,
    (select array_agg(md5('bplan:' || (i * 3))::uuid) from generate_series(1, 20) i)) into p;
  insert into plans values ('summary', p::jsonb);
end
$$;

-- ==== as a member of Alpha ====
select ok(jsonb_path_exists(plan, '$.** ? (@."Node Type" starts with "Index" && @."Index Name" == "molecules_name_id_idx")'),
  'a name search (prefix as a range) reads the (name, id) index') from plans where name = 'name_search';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Sort")'),
  'a name search takes its order from the index: no sort') from plans where name = 'name_search';
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "toxicity_records_molecule_idx")'),
  'a toxicity profile page of a molecule with a few records reads the (molecule_id, value_type, id) index')
  from plans where name = 'toxicity_profile';
select ok(jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Index Scan" && @."Index Name" == "toxicity_records_molecule_idx")'),
  'a later page of a molecule with 3,000 records walks the same index in its order') from plans where name = 'toxicity_profile_heavy';
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Cond" like_regex "ROW\\(\\(value_type\\)::text, id\\) >")'),
  'a later page seeks its keyset cursor in the index (an index condition, not a filter over the pages before it)')
  from plans where name = 'toxicity_profile_heavy';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Rows Removed by Filter" > 0)'),
  'a later page reads no row of the pages before it') from plans where name = 'toxicity_profile_heavy';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Sort")'),
  'a later page takes its order from the index: no sort') from plans where name = 'toxicity_profile_heavy';
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "molecules_inchikey_idx")'),
  'a batch lookup finds InChIKeys through the InChIKey index') from plans where name = 'batch_lookup';
-- Either b-tree on the identifier's value answers equality: (kind, value), or the search's value_prefix
-- (text_pattern_ops, 20261130090000); the planner picks by size. What must not happen is a scan.
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "molecule_identifiers_kind_value_idx" || @."Index Name" == "molecule_identifiers_value_prefix_idx")'),
  'a batch lookup finds other identifiers through an index on their value') from plans where name = 'batch_lookup';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Seq Scan" && (@."Relation Name" == "molecules" || @."Relation Name" == "molecule_identifiers" || @."Relation Name" == "toxicity_records"))'),
  format('the %s query never seq-scans molecules, molecule_identifiers or toxicity_records', name))
  from plans where name <> 'summary' order by name;
select ok(not jsonb_path_exists(plan, '$.** ? (@."Parent Relationship" == "InitPlan" && @."Actual Loops" > 1)'),
  format('the %s query evaluates each access helper at most once per statement', name))
  from plans where name <> 'summary' order by name;
select ok(not jsonb_path_exists(plan, '$.** ? (@.Filter like_regex "my_team_ids|service_team_id|row_readable")'),
  format('the %s query never calls an access helper inside a per-row filter', name))
  from plans where name <> 'summary' order by name;

-- ==== as a scoped service client of Alpha ====
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Cond" like_regex "ROW\\(\\(value_type\\)::text, id\\) >")'),
  'a service client''s later page seeks its cursor in the same index') from plans where name = 'toxicity_profile_service';

-- ==== the summary's read, by its definer ====
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "toxicity_summary_key")'),
  'the toxicity summary of a page of molecules reads the matview through its (molecule_id, owner_key, visibility) index')
  from plans where name = 'summary';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Seq Scan" && (@."Relation Name" == "toxicity_summary" || @."Relation Name" == "molecules"))'),
  'the toxicity summary never seq-scans the matview or molecules') from plans where name = 'summary';

-- The shapes answer correctly: the batch keeps every key once per match, in order, and hides Beta's rows
create temporary table batch_rows (ord bigint, key text, id uuid);
grant insert on batch_rows to authenticated;
select tests.authenticate_as('acc_viewer_a');
insert into batch_rows
select i.ord, i.key, m.id from unnest((select keys from batch_keys)) with ordinality as i(key, ord)
left join lateral (
  select m.id from public.molecules m where m.inchikey = i.key
  union all
  select m.id from public.molecule_identifiers x join public.molecules m on m.id = x.molecule_id
  where x.kind = 'cas' and x.value = i.key) m on true;
select tests.clear_authentication();
select is((select count(distinct ord)::int from batch_rows), 1000, 'the batch lookup answers every one of the 1,000 keys');
select ok(not exists (select from batch_rows b join public.molecules m on m.id = b.id where m.team_id = tests.fid('teams', 'B')),
  'the batch lookup returns none of Beta''s private molecules to a member of Alpha');

select * from finish();
rollback;
