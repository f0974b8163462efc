/**
 * Plan shape under RLS on scale-like data (30k molecules, 9k mixture components, made here and analyzed):
 * a member's hot queries use indexes, evaluate the access helper once per statement (an InitPlan run
 * once), and never seq-scan the big tables. Timing is not asserted here; see `npm run bench -- rls`.
 */

begin;
select plan(17);
select tests.access_fixture();

-- Scale-like data: mostly public molecules, a share private to each team
insert into public.molecules (id, name, smiles, inchikey, molecular_weight, source, team_id, visibility)
select md5('plan:' || i)::uuid, 'compound ' || lpad(i::text, 6, '0'), 'C',
       translate(upper(substr(md5('k' || i), 1, 14)), '0123456789', 'GHIJKLMNOP') || '-'
         || translate(upper(substr(md5('k' || i), 15, 10)), '0123456789', 'GHIJKLMNOP') || '-N',
       46 + i % 300, 'plan test',
       case when i % 10 = 1 then tests.fid('teams', 'A') when i % 10 = 2 then tests.fid('teams', 'B') end,
       case when i % 10 in (1, 2) then 'team' else 'public' end
from generate_series(1, 30000) i;
insert into public.mixtures (id, name, source, team_id, visibility)
select md5('planmix:' || i)::uuid, 'mixture ' || i, 'plan test',
       case when i % 2 = 0 then tests.fid('teams', 'A') end, case when i % 2 = 0 then 'team' else 'public' end
from generate_series(1, 3000) i;
insert into public.mixture_components (mixture_id, molecule_id, concentration, unit)
select md5('planmix:' || i)::uuid, md5('plan:' || (((i * 7 + j * 3001) % 2999) * 10 + 3))::uuid, 1 + j, 'M'
from generate_series(1, 3000) i, generate_series(0, 2) j;
analyze public.molecules;
analyze public.mixtures;
analyze public.mixture_components;

create temporary table plans (name text primary key, plan jsonb);
insert into plans values
  ('list', tests.plan_as('viewer_a', $$select id, name, inchikey, molecular_weight from public.molecules
                                       where (name, id) > ('compound 010000', '00000000-0000-0000-0000-000000000000'::uuid)
                                       order by name, id limit 50$$)),
  ('inchikey', tests.plan_as('viewer_a', format($$select * from public.molecules where inchikey = %L$$,
    translate(upper(substr(md5('k1'), 1, 14)), '0123456789', 'GHIJKLMNOP') || '-' || translate(upper(substr(md5('k1'), 15, 10)), '0123456789', 'GHIJKLMNOP') || '-N'))),
  ('team', tests.plan_as('viewer_a', format($$select id from public.molecules where team_id = %L order by id limit 50$$, tests.fid('teams', 'A')))),
  ('mixture', tests.plan_as('viewer_a', format($$select x.name, c.concentration, c.unit, m.name from public.mixtures x
    join public.mixture_components c on c.mixture_id = x.id join public.molecules m on m.id = c.molecule_id where x.id = %L$$,
    md5('planmix:2')::uuid)));

-- Indexes, never a sequential scan of the big tables
select ok(jsonb_path_exists(plan, '$.** ? (@."Node Type" starts with "Index" && @."Index Name" == "molecules_name_id_idx")'),
  'a member''s keyset list page reads the (name, id) index') from plans where name = 'list';
select ok(jsonb_path_exists(plan, '$.** ? (@."Node Type" starts with "Index" && @."Index Name" == "molecules_inchikey_idx")'),
  'a member''s InChIKey lookup uses the InChIKey index') from plans where name = 'inchikey';
select ok(jsonb_path_exists(plan, '$.** ? (@."Index Name" == "molecules_team_id_idx" || @."Index Name" == "molecules_pkey")'),
  'a member''s team listing uses an index') from plans where name = 'team';
select ok(jsonb_path_exists(plan, '$.** ? (@."Relation Name" == "mixture_components" && (@."Node Type" starts with "Index" || @."Node Type" == "Bitmap Heap Scan"))'),
  'a mixture''s components are found through an index') from plans where name = 'mixture';
select ok(not jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Seq Scan" && (@."Relation Name" == "molecules" || @."Relation Name" == "mixture_components"))'),
  format('the %s query never seq-scans molecules or mixture_components', name)) from plans order by name;

-- The access helper: once per statement, never per row
select ok(jsonb_path_exists(plan, '$.** ? (@."Parent Relationship" == "InitPlan" && @."Actual Loops" == 1)'),
  format('the %s query evaluates the access helper in an InitPlan run once', name)) from plans where name in ('list', 'inchikey', 'team') order by name;
select ok(not jsonb_path_exists(plan, '$.** ? (@.Filter like_regex "my_team_ids")'),
  format('the %s query never calls my_team_ids() inside a per-row filter', name)) from plans order by name;

-- The list page really returns the page
-- The runner owns the temp table: API roles may not create temporary objects (TEMPORARY is revoked).
create temporary table page (id uuid, name text, visibility text, team_id uuid);
grant insert on page to authenticated;
-- as a viewer of Alpha
select tests.authenticate_as('acc_viewer_a');
insert into page select id, name, visibility, team_id from public.molecules
  where (name, id) > ('compound 010000', '00000000-0000-0000-0000-000000000000'::uuid) order by name, id limit 50;
select tests.clear_authentication();
select is((select count(*)::int from page), 50, 'the list page is full');
select ok(not exists (select from page where visibility = 'team' and team_id <> tests.fid('teams', 'A')),
  'the list page holds no other team''s private molecule');

select * from finish();
rollback;
