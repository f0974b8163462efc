/**
 * Catalogue views: the materialized views stay private, refresh concurrently with their timing recorded,
 * are scheduled by pg_cron, and are read only through functions that re-apply the access rule.
 */
begin;
select plan(23);
select tests.access_fixture();

-- Private, never exposed
select is((select count(*)::int from pg_matviews where schemaname = 'public'), 0, 'no materialized view in the exposed schema');
select is((select array_agg(matviewname::text order by matviewname) from pg_matviews where schemaname = 'private'),
  array['catalogue_counts', 'mixture_composition_summary', 'molecule_property_summary', 'toxicity_summary'],
  'the four catalogue views live in private');
select is((select count(*)::int from pg_matviews m
           where m.schemaname = 'private' and (has_table_privilege('anon', format('private.%I', m.matviewname), 'select')
             or has_table_privilege('authenticated', format('private.%I', m.matviewname), 'select')
             or has_table_privilege('cryo_service', format('private.%I', m.matviewname), 'select'))), 0,
  'no API role can select a materialized view directly');
select is((select count(*)::int from pg_matviews m where m.schemaname = 'private'
           and not exists (select from pg_index i join pg_class c on c.oid = i.indrelid
                           where c.relname = m.matviewname and c.relnamespace = 'private'::regnamespace
                             and i.indisunique and i.indpred is null and i.indexprs is null)), 0,
  'every materialized view has the plain unique index REFRESH CONCURRENTLY needs');
select is((select count(*)::int from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
           and not coalesce(c.reloptions @> array['security_invoker=true'], false)), 0, 'every view in public is security_invoker');

-- Refresh records when and how long
select cmp_ok(private.refresh_catalogue_view(v), '>=', 0::numeric, format('%s refreshes concurrently and reports its duration', v))
from unnest(array['molecule_property_summary', 'mixture_composition_summary', 'catalogue_counts', 'toxicity_summary']) v;
select is((select count(*)::int from public.catalogue_refresh_status where last_refreshed_at is not null and last_duration_ms is not null), 4,
  'the status view shows when each view last refreshed and how long it took');
select throws_ok($$select private.refresh_catalogue_view('molecules')$$, '22023', null, 'only registered catalogue views can be refreshed');

-- Scheduled by pg_cron at the stated intervals
select is((select array_agg(j.schedule order by l.view_name) from private.matview_refresh_log l
           join cron.job j on j.command = format('select private.refresh_catalogue_view(%L)', l.view_name)),
  (select array_agg(l.schedule order by l.view_name) from private.matview_refresh_log l), 'each view is scheduled at the interval its status row states');
select is((select count(*)::int from cron.job where schedule ~ '^\S+ \S+ \S+ \S+ \S+$'), (select count(*)::int from cron.job),
  'every cron schedule uses the five-field syntax of pg_cron 1.4');

-- Readers re-apply the access rule
select tests.authenticate_as('acc_viewer_a');
select is((select component_count from public.mixture_composition_summary(tests.fid('mixtures', 'A'))), 1::bigint,
  'a member reads the composition summary of their team''s private mixture');
select is((select solute_g_per_l from public.mixture_composition_summary(tests.fid('mixtures', 'P'))), 0::numeric,
  'a member reads a public mixture summary (molar solute mass 0 g/L when the molecule has no weight)');
select is_empty($$select * from public.mixture_composition_summary(tests.fid('mixtures', 'B'))$$,
  'a member of Alpha gets nothing for Beta''s private mixture');
select is((select value_count from public.molecule_property_summary(tests.fid('molecules', 'A'))), 1::bigint,
  'a member reads the property summary of their team''s private molecule');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'B'))$$,
  'a member of Alpha gets no property summary of Beta''s private molecule');
select throws_ok($$select * from private.mixture_composition_summary$$, '42501', null, 'a member cannot read the materialized view itself');
select tests.clear_authentication();

select tests.authenticate_as_role('anon');
select is((select mean_value from public.molecule_property_summary(tests.fid('molecules', 'P'))), 42::numeric,
  'anon reads the property summary of a public molecule');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'A'))$$, 'anon gets nothing for a private molecule');
select cmp_ok((select row_count from public.catalogue_counts() where entity = 'molecules'), '>=', 1::bigint, 'anon reads the public catalogue counts');
select tests.clear_authentication();
select is((select row_count from private.catalogue_counts where entity = 'molecules'),
  (select count(*) from public.molecules where visibility = 'public'), 'catalogue counts count public rows only');

select * from finish();
rollback;
