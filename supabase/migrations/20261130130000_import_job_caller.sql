/**
 * CryoProtect: an import job records who started it (issue 10)
 * ---------------------------------------------------------------------------------------------------------
 * toxicity_import_jobs.client_id was a uuid, but service client ids are text (`cpc_` + 24 base32
 * characters, private.service_client_id), so the import start stored null. The column becomes text, and
 * both caller columns are stamped by the server from the verified request, never taken from a client:
 * client_id from the token's `client_id` claim (service clients), created_by from private.uid() (users).
 */

alter table public.toxicity_import_jobs alter column client_id type text using client_id::text;
alter table public.toxicity_import_jobs add constraint toxicity_import_jobs_client_id_format
check (client_id is null or client_id ~ '^cpc_[a-z0-9]{1,60}$');

/**
 * private.stamp_import_job_caller() trigger (before insert on public.toxicity_import_jobs)
 * Sets client_id and created_by from the request's verified claims, whatever the insert said.
 */
create or replace function private.stamp_import_job_caller()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  claims pg_catalog.jsonb := private.request_claims();
begin
  new.client_id := case when claims operator(pg_catalog.->>) 'role' = 'cryo_service'
                        then nullif(claims operator(pg_catalog.->>) 'client_id', '') end;
  new.created_by := private.uid();
  return new;
end
$$;
comment on function private.stamp_import_job_caller() is
  'Trigger: stamps an import job''s client_id (service token claim) and created_by (user) from the verified request.';
revoke execute on function private.stamp_import_job_caller() from public, anon, authenticated, cryo_service;
create trigger toxicity_import_jobs_stamp_caller before insert on public.toxicity_import_jobs
for each row execute function private.stamp_import_job_caller();
