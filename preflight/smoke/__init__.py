"""`make smoke`: the stack's generated workloads run on this machine, the way their pod specs say.

From the offline plan of a stack, every Deployment and StatefulSet starts from this repository's
app sources (or a stand-in for a public image's entrypoint) under its pod's uid/gid, without
capabilities, with no_new_privs, on a read-only root with its volumes mounted where the spec puts
them, and is probed exactly as declared; then a request goes through the frontend into PostgreSQL,
and the backup CronJob, the README's restore procedure and the freshness job run against that
database and moto's S3. The run has network and PID namespaces of its own; each pod an address on
its loopback, and a hosts file that resolves the Services.

Entry point: `python -m preflight.smoke --stack dev` (__main__.py isolates the run, run.py runs it).
"""

# Names the scratch directory the launcher makes and the run mounts its own tmpfs on.
SCRATCH_ENV = "PREFLIGHT_SMOKE_SCRATCH"
