"""What the Airflow DAGs run: task callables (`tasks`) and the DAG builders (`dags`).

DAG files in `dags/` only call the builders, so they stay short and import fast.
"""
