/**
 * What a policy costs per statement (docs/rls-performance.md): every helper a policy calls is plpgsql, whose
 * query plan lives as long as the connection, never a `language sql` function (with its SET clause it is
 * never inlined, and its body is parsed and planned again inside every statement that calls it: that was
 * most of the member's gap). In a member's indexed lookup, membership is one InitPlan holding no scan of its
 * own (the probe of team_members runs inside the helper's cached plan), run once for a team row and not at
 * all for a public row. Timing is not asserted here; see `node scripts/bench/rls-gap.mjs`.
 */
begin;
select plan(12);
select tests.access_fixture();

-- The helpers the policies call, as written in pg_policy (read and check expressions of every policy)
create temporary table policy_helpers on commit drop as
select distinct f.m[1] as name, l.lanname as language
from pg_catalog.pg_policy p
cross join lateral (values (pg_catalog.pg_get_expr(p.polqual, p.polrelid)), (pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))) e(expr)
cross join lateral regexp_matches(e.expr, 'private\.([a-z_0-9]+)\(', 'g') f(m)
join pg_catalog.pg_proc pr on pr.proname = f.m[1] and pr.pronamespace = 'private'::regnamespace
join pg_catalog.pg_language l on l.oid = pr.prolang;

select ok((select count(*) from policy_helpers where name in ('my_team_ids', 'my_editable_team_ids', 'my_owned_team_ids', 'uid')) = 4,
  'the policies reach membership and identity through the private helpers');
select is(array(select name || ' (' || language || ')' from policy_helpers where language <> 'plpgsql' order by name), '{}'::text[],
  'no helper a policy calls is a SQL function planned again in every statement: all are plpgsql');
select is((select l.lanname::text from pg_catalog.pg_proc pr join pg_catalog.pg_language l on l.oid = pr.prolang
           where pr.oid = 'private.request_claims()'::regprocedure), 'plpgsql',
  'the claims reader the helpers call is plpgsql too');
select ok((select bool_and(pr.prosecdef and pr.proconfig = array['search_path=pg_catalog, pg_temp'])
           from pg_catalog.pg_proc pr
           where pr.oid in ('private.my_team_ids()'::regprocedure, 'private.my_editable_team_ids()'::regprocedure,
                            'private.my_owned_team_ids()'::regprocedure, 'private.my_teammate_ids()'::regprocedure,
                            'private.email()'::regprocedure)),
  'the membership and e-mail helpers stay definers with search_path pg_catalog, pg_temp');

-- A member's lookups: a team row and a public row
create temporary table plans (name text primary key, plan jsonb) on commit drop;
insert into plans values
  ('team row', tests.plan_as('viewer_a', format($$select * from public.molecules where inchikey = %L$$, 'FIXTUREMOLECUL-AAAAAAAAAA-N'))),
  ('public row', tests.plan_as('viewer_a', format($$select * from public.molecules where inchikey = %L$$, 'FIXTUREMOLECUL-PPPPPPPPPP-N'))),
  ('non-member team row', tests.plan_as('outsider', format($$select * from public.molecules where inchikey = %L$$, 'FIXTUREMOLECUL-AAAAAAAAAA-N')));

select is(jsonb_array_length(jsonb_path_query_array(plan, 'strict $.** ? (@."Parent Relationship" == "InitPlan")')), 1,
  format('the %s lookup holds exactly one InitPlan (membership, once per statement)', name)) from plans order by name;
select ok(not jsonb_path_exists(plan, '$.** ? (@."Relation Name" == "team_members")'),
  format('the %s lookup plans no scan of team_members: the probe runs inside the helper''s cached plan', name)) from plans order by name;
select ok(jsonb_path_exists(plan, '$.** ? (@."Parent Relationship" == "InitPlan" && @."Node Type" == "Result" && !exists(@.Plans) && @."Actual Loops" == 1)'),
  'a member''s team-row lookup runs the membership InitPlan once, as a bare call') from plans where name = 'team row';
select ok(jsonb_path_exists(plan, '$.** ? (@."Parent Relationship" == "InitPlan" && @."Actual Loops" == 0)'),
  'a public-row lookup never runs the membership helper (visibility = ''public'' decides first)') from plans where name = 'public row';

select * from finish();
rollback;
