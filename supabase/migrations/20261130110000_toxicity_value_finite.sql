/**
 * CryoProtect: a toxicity value is a finite number (fix of 20261130050200_toxicity_records.sql)
 * ---------------------------------------------------------------------------------------------------------
 * The landed check `value = value and value not in ('Infinity', '-Infinity')` meant to refuse NaN, but in
 * Postgres NaN equals NaN (and sorts above every number, so a NaN LD50 also passed the positive-dose
 * check): a NaN value was stored. Found by supabase/tests/database/40-toxicity-schema.sql. The constraint
 * keeps its name, so errors and tests that name it stay true.
 */
alter table public.toxicity_records drop constraint toxicity_records_value_check;
alter table public.toxicity_records add constraint toxicity_records_value_check
  check (value not in ('NaN'::double precision, 'Infinity'::double precision, '-Infinity'::double precision));
