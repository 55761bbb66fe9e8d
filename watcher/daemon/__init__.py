"""The daemon (`watcher run`): scheduling, signals, sd_notify, leader lease, metrics.

Split by idea: `schedule` (settings -> triggers, pure), `lease` (leader election
and fencing), `notify` (systemd), `metrics` and `http` (observability), `health`
(/healthz's judgement), `snapshot` (what is read back from the database), `jobs`
(maintenance work) and `service` (the life cycle that ties them together).
"""
