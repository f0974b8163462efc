/**
 * Threat: a stale summary shows what may no longer be read. The materialized views are refreshed every
 * 10–15 minutes, but a molecule or mixture made private, or deleted, stops being summarised to anyone who
 * can no longer read it at once, before any refresh (the readers check the live row).
 */
begin;
select plan(19);
select tests.access_fixture();

-- Alpha publishes its molecule and mixture; the views are refreshed while they are public.
-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
update public.molecules set visibility = 'public' where id = tests.fid('molecules', 'A');
update public.mixtures set visibility = 'public' where id = tests.fid('mixtures', 'A');
select tests.clear_authentication();
do $$ begin
  perform private.refresh_catalogue_view('molecule_property_summary');
  perform private.refresh_catalogue_view('mixture_composition_summary');
end $$;

/** --- While public --- */
-- as anon
select tests.authenticate_as_role('anon');
select is((select value_count from public.molecule_property_summary(tests.fid('molecules', 'A'))), 1::bigint,
  'anon reads the property summary of the published molecule');
select is((select component_count from public.mixture_composition_summary(tests.fid('mixtures', 'A'))), 1::bigint,
  'anon reads the composition summary of the published mixture');
select tests.clear_authentication();

/** --- Un-published: read back at once, no refresh --- */
-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
update public.molecules set visibility = 'team' where id = tests.fid('molecules', 'A');
update public.mixtures set visibility = 'team' where id = tests.fid('mixtures', 'A');
select tests.clear_authentication();
select is((select visibility from private.molecule_property_summary where molecule_id = tests.fid('molecules', 'A')), 'public',
  'the materialized view still says the molecule is public (no refresh has run)');
select is((select visibility from private.mixture_composition_summary where mixture_id = tests.fid('mixtures', 'A')), 'public',
  'the materialized view still says the mixture is public');

-- as anon
select tests.authenticate_as_role('anon');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'A'))$$,
  'anon gets no property summary of the molecule once it is private');
select is_empty($$select * from public.mixture_composition_summary(tests.fid('mixtures', 'A'))$$,
  'anon gets no composition summary of the mixture once it is private');
select tests.clear_authentication();

-- as a signed-in user in no team
select tests.authenticate_as('acc_outsider');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'A'))$$,
  'a non-member gets no property summary of the un-published molecule');
select is_empty($$select * from public.mixture_composition_summary(tests.fid('mixtures', 'A'))$$,
  'a non-member gets no composition summary of the un-published mixture');
select tests.clear_authentication();

-- as an editor of Beta
select tests.authenticate_as('acc_editor_b');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'A'))$$,
  'a member of another team gets nothing either');
select tests.clear_authentication();

-- as a viewer of Alpha
select tests.authenticate_as('acc_viewer_a');
select is((select value_count from public.molecule_property_summary(tests.fid('molecules', 'A'))), 1::bigint,
  'a member of the molecule''s team still reads its summary');
select is((select component_count from public.mixture_composition_summary(tests.fid('mixtures', 'A'))), 1::bigint,
  'a member of the mixture''s team still reads its summary');
select tests.clear_authentication();

/** --- Deleted: read back at once, no refresh --- */
-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
delete from public.molecules where id = tests.fid('molecules', 'A');
delete from public.mixtures where id = tests.fid('mixtures', 'A');
select tests.clear_authentication();
select isnt_empty($$select 1 from private.molecule_property_summary where molecule_id = tests.fid('molecules', 'A')$$,
  'the materialized view still holds the deleted molecule');

-- as a viewer of Alpha
select tests.authenticate_as('acc_viewer_a');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'A'))$$,
  'even a member of its team gets no summary of a deleted molecule');
select is_empty($$select * from public.mixture_composition_summary(tests.fid('mixtures', 'A'))$$,
  'nor of a deleted mixture');
select tests.clear_authentication();

-- A public molecule deleted by the project (reference data): gone for everyone at once.
delete from public.mixture_components where molecule_id = tests.fid('molecules', 'P');
delete from public.molecules where id = tests.fid('molecules', 'P');
-- as anon
select tests.authenticate_as_role('anon');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'P'))$$,
  'anon gets no summary of a deleted public molecule');
select tests.clear_authentication();
-- as a signed-in user in no team
select tests.authenticate_as('acc_outsider');
select is_empty($$select * from public.molecule_property_summary(tests.fid('molecules', 'P'))$$,
  'nor does a signed-in non-member');
select tests.clear_authentication();

/** --- Still answering what may be read --- */
-- as anon
select tests.authenticate_as_role('anon');
select is((select component_count from public.mixture_composition_summary(tests.fid('mixtures', 'P'))), 1::bigint,
  'anon still reads the summary of a public mixture (numbers from the view until the next refresh)');
select is_empty($$select * from public.mixture_composition_summary(tests.fid('mixtures', 'B'))$$,
  'anon never reads another team''s private mixture summary');
select tests.clear_authentication();
-- as an editor of Beta
select tests.authenticate_as('acc_editor_b');
select is((select component_count from public.mixture_composition_summary(tests.fid('mixtures', 'B'))), 1::bigint,
  'a member reads their own team''s private mixture summary');
select tests.clear_authentication();

select * from finish();
rollback;
