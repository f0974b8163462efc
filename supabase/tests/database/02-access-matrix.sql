/**
 * The access matrix: every table of the access model × every actor × select / insert / update / delete on
 * a public row, a row of Alpha and a row of Beta (an insert: a new row of Alpha).
 *
 * What each row model promises is written below as literal rows, one line per row model, action and actor;
 * each table is checked against the rows of its model in private.access_registry, through its statements
 * in tests.matrix_fixture. A new table is covered once it is registered and described there; nothing here
 * changes. Outcomes: 'allowed' (rows affected or returned), 'filtered' (RLS hid the row: nothing
 * happens), 'denied' (42501); null where a cell is not tried (inserts go to Alpha only). A role whose
 * policy for an action is `false` holds no privilege for it (20261130040200_grants_follow_policies.sql, so
 * it cannot LOCK the table): its updates and deletes are 'denied', not 'filtered'.
 *
 * Actors: anon; outsider (signed in, in no team); viewer_a, editor_a, owner_a (Alpha); editor_b (Beta);
 * the service client cryo_service with the table's resource scope for Alpha (svc_write_a: write,
 * svc_read_a: read), with write for Beta (svc_write_b), or with a scope for another resource (svc_none).
 */
begin;
select plan(753);
select tests.access_fixture();

create temporary table expected (row_model text, action text, actor text, on_public text, on_alpha text, on_beta text);
insert into expected values
  -- team_data: rows with team_id + visibility. Public rows for every reader, team rows for the team;
  -- the team's editors and owners and its writing service client write
  -- row model   action    actor          public      Alpha's     Beta's
  ('team_data', 'select', 'anon',        'allowed',  'filtered', 'filtered'),
  ('team_data', 'select', 'outsider',    'allowed',  'filtered', 'filtered'),
  ('team_data', 'select', 'viewer_a',    'allowed',  'allowed',  'filtered'),
  ('team_data', 'select', 'editor_a',    'allowed',  'allowed',  'filtered'),
  ('team_data', 'select', 'owner_a',     'allowed',  'allowed',  'filtered'),
  ('team_data', 'select', 'editor_b',    'allowed',  'filtered', 'allowed'),
  ('team_data', 'select', 'svc_write_a', 'allowed',  'allowed',  'filtered'),
  ('team_data', 'select', 'svc_read_a',  'allowed',  'allowed',  'filtered'),
  ('team_data', 'select', 'svc_write_b', 'allowed',  'filtered', 'allowed'),
  ('team_data', 'select', 'svc_none',    'filtered', 'filtered', 'filtered'),
  ('team_data', 'insert', 'anon',        null,       'denied',   null),
  ('team_data', 'insert', 'outsider',    null,       'denied',   null),
  ('team_data', 'insert', 'viewer_a',    null,       'denied',   null),
  ('team_data', 'insert', 'editor_a',    null,       'allowed',  null),
  ('team_data', 'insert', 'owner_a',     null,       'allowed',  null),
  ('team_data', 'insert', 'editor_b',    null,       'denied',   null),
  ('team_data', 'insert', 'svc_write_a', null,       'allowed',  null),
  ('team_data', 'insert', 'svc_read_a',  null,       'denied',   null),
  ('team_data', 'insert', 'svc_write_b', null,       'denied',   null),
  ('team_data', 'insert', 'svc_none',    null,       'denied',   null),
  ('team_data', 'update', 'anon',        'denied',   'denied',   'denied'),
  ('team_data', 'update', 'outsider',    'filtered', 'filtered', 'filtered'),
  ('team_data', 'update', 'viewer_a',    'filtered', 'filtered', 'filtered'),
  ('team_data', 'update', 'editor_a',    'filtered', 'allowed',  'filtered'),
  ('team_data', 'update', 'owner_a',     'filtered', 'allowed',  'filtered'),
  ('team_data', 'update', 'editor_b',    'filtered', 'filtered', 'allowed'),
  ('team_data', 'update', 'svc_write_a', 'filtered', 'allowed',  'filtered'),
  ('team_data', 'update', 'svc_read_a',  'filtered', 'filtered', 'filtered'),
  ('team_data', 'update', 'svc_write_b', 'filtered', 'filtered', 'allowed'),
  ('team_data', 'update', 'svc_none',    'filtered', 'filtered', 'filtered'),
  ('team_data', 'delete', 'anon',        'denied',   'denied',   'denied'),
  ('team_data', 'delete', 'outsider',    'filtered', 'filtered', 'filtered'),
  ('team_data', 'delete', 'viewer_a',    'filtered', 'filtered', 'filtered'),
  ('team_data', 'delete', 'editor_a',    'filtered', 'allowed',  'filtered'),
  ('team_data', 'delete', 'owner_a',     'filtered', 'allowed',  'filtered'),
  ('team_data', 'delete', 'editor_b',    'filtered', 'filtered', 'allowed'),
  ('team_data', 'delete', 'svc_write_a', 'filtered', 'allowed',  'filtered'),
  ('team_data', 'delete', 'svc_read_a',  'filtered', 'filtered', 'filtered'),
  ('team_data', 'delete', 'svc_write_b', 'filtered', 'filtered', 'allowed'),
  ('team_data', 'delete', 'svc_none',    'filtered', 'filtered', 'filtered'),
  -- reference: public reference data: everyone with a read right reads, nobody writes through the API
  -- row model   action    actor          public      Alpha's     Beta's
  ('reference', 'select', 'anon',        'allowed',  null,       null),
  ('reference', 'select', 'outsider',    'allowed',  null,       null),
  ('reference', 'select', 'viewer_a',    'allowed',  null,       null),
  ('reference', 'select', 'editor_a',    'allowed',  null,       null),
  ('reference', 'select', 'owner_a',     'allowed',  null,       null),
  ('reference', 'select', 'editor_b',    'allowed',  null,       null),
  ('reference', 'select', 'svc_write_a', 'allowed',  null,       null),
  ('reference', 'select', 'svc_read_a',  'allowed',  null,       null),
  ('reference', 'select', 'svc_write_b', 'allowed',  null,       null),
  ('reference', 'select', 'svc_none',    'filtered', null,       null),
  ('reference', 'insert', 'anon',        'denied',   null,       null),
  ('reference', 'insert', 'outsider',    'denied',   null,       null),
  ('reference', 'insert', 'viewer_a',    'denied',   null,       null),
  ('reference', 'insert', 'editor_a',    'denied',   null,       null),
  ('reference', 'insert', 'owner_a',     'denied',   null,       null),
  ('reference', 'insert', 'editor_b',    'denied',   null,       null),
  ('reference', 'insert', 'svc_write_a', 'denied',   null,       null),
  ('reference', 'insert', 'svc_read_a',  'denied',   null,       null),
  ('reference', 'insert', 'svc_write_b', 'denied',   null,       null),
  ('reference', 'insert', 'svc_none',    'denied',   null,       null),
  ('reference', 'update', 'anon',        'denied',   null,       null),
  ('reference', 'update', 'outsider',    'denied',   null,       null),
  ('reference', 'update', 'viewer_a',    'denied',   null,       null),
  ('reference', 'update', 'editor_a',    'denied',   null,       null),
  ('reference', 'update', 'owner_a',     'denied',   null,       null),
  ('reference', 'update', 'editor_b',    'denied',   null,       null),
  ('reference', 'update', 'svc_write_a', 'denied',   null,       null),
  ('reference', 'update', 'svc_read_a',  'denied',   null,       null),
  ('reference', 'update', 'svc_write_b', 'denied',   null,       null),
  ('reference', 'update', 'svc_none',    'denied',   null,       null),
  ('reference', 'delete', 'anon',        'denied',   null,       null),
  ('reference', 'delete', 'outsider',    'denied',   null,       null),
  ('reference', 'delete', 'viewer_a',    'denied',   null,       null),
  ('reference', 'delete', 'editor_a',    'denied',   null,       null),
  ('reference', 'delete', 'owner_a',     'denied',   null,       null),
  ('reference', 'delete', 'editor_b',    'denied',   null,       null),
  ('reference', 'delete', 'svc_write_a', 'denied',   null,       null),
  ('reference', 'delete', 'svc_read_a',  'denied',   null,       null),
  ('reference', 'delete', 'svc_write_b', 'denied',   null,       null),
  ('reference', 'delete', 'svc_none',    'denied',   null,       null),
  -- team: teams: members read, owners change; nobody inserts (public.create_team() does)
  -- row model   action    actor          public      Alpha's     Beta's
  ('team',      'select', 'anon',        null,       'filtered', 'filtered'),
  ('team',      'select', 'outsider',    null,       'filtered', 'filtered'),
  ('team',      'select', 'viewer_a',    null,       'allowed',  'filtered'),
  ('team',      'select', 'editor_a',    null,       'allowed',  'filtered'),
  ('team',      'select', 'owner_a',     null,       'allowed',  'filtered'),
  ('team',      'select', 'editor_b',    null,       'filtered', 'allowed'),
  ('team',      'select', 'svc_write_a', null,       'allowed',  'filtered'),
  ('team',      'select', 'svc_read_a',  null,       'allowed',  'filtered'),
  ('team',      'select', 'svc_write_b', null,       'filtered', 'allowed'),
  ('team',      'select', 'svc_none',    null,       'filtered', 'filtered'),
  ('team',      'insert', 'anon',        null,       'denied',   null),
  ('team',      'insert', 'outsider',    null,       'denied',   null),
  ('team',      'insert', 'viewer_a',    null,       'denied',   null),
  ('team',      'insert', 'editor_a',    null,       'denied',   null),
  ('team',      'insert', 'owner_a',     null,       'denied',   null),
  ('team',      'insert', 'editor_b',    null,       'denied',   null),
  ('team',      'insert', 'svc_write_a', null,       'denied',   null),
  ('team',      'insert', 'svc_read_a',  null,       'denied',   null),
  ('team',      'insert', 'svc_write_b', null,       'denied',   null),
  ('team',      'insert', 'svc_none',    null,       'denied',   null),
  ('team',      'update', 'anon',        null,       'denied',   'denied'),
  ('team',      'update', 'outsider',    null,       'filtered', 'filtered'),
  ('team',      'update', 'viewer_a',    null,       'filtered', 'filtered'),
  ('team',      'update', 'editor_a',    null,       'filtered', 'filtered'),
  ('team',      'update', 'owner_a',     null,       'allowed',  'filtered'),
  ('team',      'update', 'editor_b',    null,       'filtered', 'filtered'),
  ('team',      'update', 'svc_write_a', null,       'denied',   'denied'),
  ('team',      'update', 'svc_read_a',  null,       'denied',   'denied'),
  ('team',      'update', 'svc_write_b', null,       'denied',   'denied'),
  ('team',      'update', 'svc_none',    null,       'denied',   'denied'),
  ('team',      'delete', 'anon',        null,       'denied',   'denied'),
  ('team',      'delete', 'outsider',    null,       'filtered', 'filtered'),
  ('team',      'delete', 'viewer_a',    null,       'filtered', 'filtered'),
  ('team',      'delete', 'editor_a',    null,       'filtered', 'filtered'),
  ('team',      'delete', 'owner_a',     null,       'allowed',  'filtered'),
  ('team',      'delete', 'editor_b',    null,       'filtered', 'filtered'),
  ('team',      'delete', 'svc_write_a', null,       'denied',   'denied'),
  ('team',      'delete', 'svc_read_a',  null,       'denied',   'denied'),
  ('team',      'delete', 'svc_write_b', null,       'denied',   'denied'),
  ('team',      'delete', 'svc_none',    null,       'denied',   'denied'),
  -- membership: memberships: as teams; rows come only from team creation and accepted invitations
  -- row model   action    actor          public      Alpha's     Beta's
  ('membership','select', 'anon',        null,       'filtered', 'filtered'),
  ('membership','select', 'outsider',    null,       'filtered', 'filtered'),
  ('membership','select', 'viewer_a',    null,       'allowed',  'filtered'),
  ('membership','select', 'editor_a',    null,       'allowed',  'filtered'),
  ('membership','select', 'owner_a',     null,       'allowed',  'filtered'),
  ('membership','select', 'editor_b',    null,       'filtered', 'allowed'),
  ('membership','select', 'svc_write_a', null,       'allowed',  'filtered'),
  ('membership','select', 'svc_read_a',  null,       'allowed',  'filtered'),
  ('membership','select', 'svc_write_b', null,       'filtered', 'allowed'),
  ('membership','select', 'svc_none',    null,       'filtered', 'filtered'),
  ('membership','insert', 'anon',        null,       'denied',   null),
  ('membership','insert', 'outsider',    null,       'denied',   null),
  ('membership','insert', 'viewer_a',    null,       'denied',   null),
  ('membership','insert', 'editor_a',    null,       'denied',   null),
  ('membership','insert', 'owner_a',     null,       'denied',   null),
  ('membership','insert', 'editor_b',    null,       'denied',   null),
  ('membership','insert', 'svc_write_a', null,       'denied',   null),
  ('membership','insert', 'svc_read_a',  null,       'denied',   null),
  ('membership','insert', 'svc_write_b', null,       'denied',   null),
  ('membership','insert', 'svc_none',    null,       'denied',   null),
  ('membership','update', 'anon',        null,       'denied',   'denied'),
  ('membership','update', 'outsider',    null,       'filtered', 'filtered'),
  ('membership','update', 'viewer_a',    null,       'filtered', 'filtered'),
  ('membership','update', 'editor_a',    null,       'filtered', 'filtered'),
  ('membership','update', 'owner_a',     null,       'allowed',  'filtered'),
  ('membership','update', 'editor_b',    null,       'filtered', 'filtered'),
  ('membership','update', 'svc_write_a', null,       'denied',   'denied'),
  ('membership','update', 'svc_read_a',  null,       'denied',   'denied'),
  ('membership','update', 'svc_write_b', null,       'denied',   'denied'),
  ('membership','update', 'svc_none',    null,       'denied',   'denied'),
  ('membership','delete', 'anon',        null,       'denied',   'denied'),
  ('membership','delete', 'outsider',    null,       'filtered', 'filtered'),
  ('membership','delete', 'viewer_a',    null,       'filtered', 'filtered'),
  ('membership','delete', 'editor_a',    null,       'filtered', 'filtered'),
  ('membership','delete', 'owner_a',     null,       'allowed',  'filtered'),
  ('membership','delete', 'editor_b',    null,       'filtered', 'filtered'),
  ('membership','delete', 'svc_write_a', null,       'denied',   'denied'),
  ('membership','delete', 'svc_read_a',  null,       'denied',   'denied'),
  ('membership','delete', 'svc_write_b', null,       'denied',   'denied'),
  ('membership','delete', 'svc_none',    null,       'denied',   'denied'),
  -- invitation: invitations: the team's owners manage them, the invitee reads their own pending ones
  -- row model   action    actor          public      Alpha's     Beta's
  ('invitation','select', 'anon',        null,       'filtered', 'filtered'),
  ('invitation','select', 'outsider',    null,       'allowed',  'allowed'),
  ('invitation','select', 'viewer_a',    null,       'filtered', 'filtered'),
  ('invitation','select', 'editor_a',    null,       'filtered', 'filtered'),
  ('invitation','select', 'owner_a',     null,       'allowed',  'filtered'),
  ('invitation','select', 'editor_b',    null,       'filtered', 'filtered'),
  ('invitation','select', 'svc_write_a', null,       'filtered', 'filtered'),
  ('invitation','select', 'svc_read_a',  null,       'filtered', 'filtered'),
  ('invitation','select', 'svc_write_b', null,       'filtered', 'filtered'),
  ('invitation','select', 'svc_none',    null,       'filtered', 'filtered'),
  ('invitation','insert', 'anon',        null,       'denied',   null),
  ('invitation','insert', 'outsider',    null,       'denied',   null),
  ('invitation','insert', 'viewer_a',    null,       'denied',   null),
  ('invitation','insert', 'editor_a',    null,       'denied',   null),
  ('invitation','insert', 'owner_a',     null,       'allowed',  null),
  ('invitation','insert', 'editor_b',    null,       'denied',   null),
  ('invitation','insert', 'svc_write_a', null,       'denied',   null),
  ('invitation','insert', 'svc_read_a',  null,       'denied',   null),
  ('invitation','insert', 'svc_write_b', null,       'denied',   null),
  ('invitation','insert', 'svc_none',    null,       'denied',   null),
  ('invitation','update', 'anon',        null,       'denied',   'denied'),
  ('invitation','update', 'outsider',    null,       'filtered', 'filtered'),
  ('invitation','update', 'viewer_a',    null,       'filtered', 'filtered'),
  ('invitation','update', 'editor_a',    null,       'filtered', 'filtered'),
  ('invitation','update', 'owner_a',     null,       'allowed',  'filtered'),
  ('invitation','update', 'editor_b',    null,       'filtered', 'filtered'),
  ('invitation','update', 'svc_write_a', null,       'denied',   'denied'),
  ('invitation','update', 'svc_read_a',  null,       'denied',   'denied'),
  ('invitation','update', 'svc_write_b', null,       'denied',   'denied'),
  ('invitation','update', 'svc_none',    null,       'denied',   'denied'),
  ('invitation','delete', 'anon',        null,       'denied',   'denied'),
  ('invitation','delete', 'outsider',    null,       'filtered', 'filtered'),
  ('invitation','delete', 'viewer_a',    null,       'filtered', 'filtered'),
  ('invitation','delete', 'editor_a',    null,       'filtered', 'filtered'),
  ('invitation','delete', 'owner_a',     null,       'allowed',  'filtered'),
  ('invitation','delete', 'editor_b',    null,       'filtered', 'filtered'),
  ('invitation','delete', 'svc_write_a', null,       'denied',   'denied'),
  ('invitation','delete', 'svc_read_a',  null,       'denied',   'denied'),
  ('invitation','delete', 'svc_write_b', null,       'denied',   'denied'),
  ('invitation','delete', 'svc_none',    null,       'denied',   'denied');

-- The matrix covers every table of the access model
select is(
  (select coalesce(array_agg(r.table_name::text order by r.table_name::text), '{}') from private.access_registry r
   where r.kind <> 'profile' and not exists (select from tests.matrix_fixture f where f.table_name = r.table_name)),
  '{}'::text[], 'every registered table (profiles aside: 03-access-model specifies them) is described in tests.matrix_fixture');
select is(
  (select coalesce(array_agg(distinct r.kind order by r.kind), '{}') from private.access_registry r
   where r.kind <> 'profile' and not exists (select from expected e where e.row_model = r.kind)),
  '{}'::text[], 'every row model in use has its expectations written here');
select is((select count(*)::int from expected), 200, 'ten actors, four actions, five row models: every line is written out');

-- Every cell
select is(tests.matrix_case(e.actor, r.table_name, e.action, c.target), c.expected,
  format('%s: %s of %s row by %s is %s', r.table_name, e.action, c.label, e.actor, c.expected))
from private.access_registry r
join expected e on e.row_model = r.kind
cross join lateral (values (1, 'P', 'the public', e.on_public), (2, 'A', 'Alpha''s', e.on_alpha), (3, 'B', 'Beta''s', e.on_beta)) c(n, target, label, expected)
where c.expected is not null
order by r.table_name::text, e.action, e.actor, c.n;

select * from finish();
rollback;
