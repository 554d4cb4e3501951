-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d):
-- the reach role and one database per service, the same as infra/postgres/postgres.sh.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reach') THEN
    CREATE ROLE reach LOGIN CREATEDB PASSWORD 'reach';
  END IF;
END
$$;

SELECT format('CREATE DATABASE %I OWNER reach', name)
  FROM unnest(ARRAY['reach_profile', 'reach_segmenter', 'reach_campaign',
                    'reach_notifier', 'reach_analytics']) AS name
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name)
\gexec
