-- Local demo data. Never applied to hosted projects by `db push` (only with --include-seed).
-- Demo users, as Supabase Auth would have created them (confirmed email sign-ups).
insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
values
  ('a11ce000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'alice@example.org', now(), '{"provider":"email","providers":["email"]}', '{"full_name":"Alice (demo)"}'),
  ('b0b00000-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'bob@example.org',   now(), '{"provider":"email","providers":["email"]}', '{"full_name":"Bob (demo)"}'),
  ('ca201000-0000-4000-8000-000000000003', 'authenticated', 'authenticated', 'carol@example.org', now(), '{"provider":"email","providers":["email"]}', '{"full_name":"Carol (demo)"}'),
  ('da7e0000-0000-4000-8000-000000000004', 'authenticated', 'authenticated', 'dave@example.org',  now(), '{"provider":"email","providers":["email"]}', '{"full_name":"Dave (demo)"}')
on conflict (id) do nothing;
