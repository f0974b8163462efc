/**
 * Plan shapes of the toxicity reads on scale-like data: the summary lookup (public.toxicity_summary) and a
 * molecule's records page use their indexes, evaluate the access helper once per statement, and never
 * seq-scan the big tables.
 *
 * The data are made here and analyzed, as in 09-plan-shape.sql: 10,000 molecules (10 % private to Alpha or
 * Beta) and 40,000 toxicity records over 2,000 of them, skewed (molecule k of the 2,000 has 10 + k % 21
 * records; one has 400), a share private to each team; then the summary is refreshed. No planner setting
 * is changed: the plans must be chosen on these statistics. That holds with these sizes; on a 10-row
 * table a sequential scan is the right plan and the test would (rightly) not assert this. On the 1M × 5M
 * data of `npm run db:scale` the same plans were observed (docs/data-model.md).
 *
 * The summary lookup runs inside a security-definer function, whose inner plan EXPLAIN does not show: its
 * query is taken from the deployed function (pg_proc.prosrc, the text after `return query`) and explained by
 * a definer of the same owner while acting as the member, as the function itself would run.
 */
begin;
select plan(11);
select tests.access_fixture();

-- Scale-like data: molecules, then records over the first 2,000 of them (triggers on: the access rule holds)
insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility)
select md5('toxplan:' || i)::uuid, 'tox plan ' || i, 'C',
       translate(upper(substr(md5('tk' || i), 1, 14)), '0123456789', 'GHIJKLMNOP') || '-'
         || translate(upper(substr(md5('tk' || i), 15, 10)), '0123456789', 'GHIJKLMNOP') || '-N', 'plan test',
       case when i % 10 = 1 then tests.fid('teams', 'A') when i % 10 = 2 then tests.fid('teams', 'B') end,
       case when i % 10 in (1, 2) then 'team' else 'public' end
from generate_series(1, 10000) i;
insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier, value, unit,
                                     conversion, species, route, record_key, team_id, visibility)
select m.id, 'exact', tests.fid('toxicity_sources', 'P'), e.id, case when j % 4 = 0 then 'LD50' else 'hit_call' end,
       (case when j % 4 = 0 then 100 + j else j % 2 end)::text, '=', case when j % 4 = 0 then 100 + j else j % 2 end,
       case when j % 4 = 0 then 'mg/kg' else 'call' end, 'as given', case when j % 4 = 0 then 'rat' end, case when j % 4 = 0 then 'oral' end,
       md5('toxplan-record:' || k || ':' || j) || md5('toxplan-record-b:' || k || ':' || j),
       m.team_id, m.visibility
from generate_series(1, 2000) k
join public.molecules m on m.id = md5('toxplan:' || k)::uuid
join public.toxicity_endpoints e on e.code = 'stress_response'
cross join lateral generate_series(1, case when k = 3 then 400 else 10 + k % 21 end) j;
-- a share of Alpha's and Beta's own records about public molecules
insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier, value, unit,
                                     conversion, record_key, team_id, visibility)
select md5('toxplan:' || k)::uuid, 'exact', tests.fid('toxicity_sources', 'P'), tests.fid('toxicity_endpoints', 'P'), 'LD50', '50', '=', 50,
       'mg/kg', 'as given', md5('toxplan-team:' || k) || md5('toxplan-team-b:' || k), tests.fid('teams', t), 'team'
from generate_series(3, 2000, 10) k, unnest(array['A', 'B']) t;
analyze public.molecules;
analyze public.toxicity_records;
do $$ begin perform private.refresh_catalogue_view('toxicity_summary'); end $$;
analyze private.toxicity_summary;

-- The summary lookup's own query, explained as the function runs it (definer rights, the caller's API role).
create function tests.explain_summary_lookup(ids uuid[])
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  q text := (select substring(p.prosrc from '(?i)return query\s+(select.*?);\s*end') from pg_proc p
             where p.oid = 'private.read_toxicity_summary(uuid[])'::regprocedure);
  plan json;
begin
  if q is null then
    raise exception 'the summary reader has no `return query select …;` to explain';
  end if;
  execute 'explain (analyze, costs off, timing off, format json) ' || replace(q, 'p_molecule_ids', format('%L::uuid[]', ids)) into plan;
  return plan::jsonb;
end
$$;
grant execute on function tests.explain_summary_lookup(uuid[]) to authenticated;

create temporary table plans (name text primary key, plan jsonb);
grant insert on plans to authenticated;
-- as a viewer of Alpha
select tests.authenticate_as('acc_viewer_a');
insert into plans values
  ('summary', tests.explain_summary_lookup(array(select md5('toxplan:' || k)::uuid from generate_series(1, 50) k)));
select tests.clear_authentication();
insert into plans values
  ('records', tests.plan_as('viewer_a', format($$select id, value_type, qualifier, value, unit, species, route from public.toxicity_records
                                               where molecule_id = %L order by value_type, id limit 50$$, md5('toxplan:3')::uuid))),
  ('records_next', tests.plan_as('viewer_a', format($$select id, value, unit from public.toxicity_records
                                                    where molecule_id = %L and value_type = 'LD50' and id > %L order by id limit 50$$,
                                                    md5('toxplan:3')::uuid, '00000000-0000-0000-0000-000000000000')));

/** --- The summary lookup --- */
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "toxicity_summary_key")'),
  'the summary lookup finds a molecule''s rows through the view''s (molecule_id, owner) index') from plans where name = 'summary';
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "molecules_pkey")'),
  'and the live molecules through their primary key') from plans where name = 'summary';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Seq Scan" && (@."Relation Name" == "toxicity_summary" || @."Relation Name" == "molecules"))'),
  'it never seq-scans the view or the molecules') from plans where name = 'summary';
select tests.authenticate_as('acc_viewer_a');
select is((select count(*)::int from public.toxicity_summary(array(select md5('toxplan:' || k)::uuid from generate_series(1, 50) k))),
  (select count(*)::int from generate_series(1, 50) k where k % 10 <> 2) + 5,
  'and it answers: a public row for each readable molecule with records (Beta''s excluded) plus Alpha''s own rows');
select tests.clear_authentication();

/** --- A molecule's records page (keyset on the (molecule_id, value_type, id) index) --- */
select ok(jsonb_path_exists(plan, '$.** ? (@."Node Type" starts with "Index" && @."Index Name" == "toxicity_records_molecule_idx")'),
  format('the %s page reads the (molecule_id, value_type, id) index', name)) from plans where name like 'records%' order by name;
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Sort")'),
  format('the %s page needs no sort: the index gives its order', name)) from plans where name like 'records%' order by name;
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == "toxicity_records")'),
  format('the %s page never seq-scans toxicity_records', name)) from plans where name like 'records%' order by name;
select ok(jsonb_path_exists(plan, '$.** ? (@."Parent Relationship" == "InitPlan" && @."Actual Loops" == 1)'),
  'the records page evaluates the access helper in an InitPlan run once') from plans where name = 'records';

select * from finish();
rollback;
