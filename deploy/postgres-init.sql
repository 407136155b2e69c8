-- The optional PostgreSQL warehouse beside Airflow's metadata database (docker-compose.yml).
CREATE ROLE funnelhouse LOGIN PASSWORD 'funnelhouse';
CREATE DATABASE warehouse OWNER funnelhouse;
