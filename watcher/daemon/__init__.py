"""The daemon (`watcher run`): scheduling, signals, sd_notify, leader lease, metrics.

Split by idea: `schedule` (settings -> triggers, pure), `jobstore` (the
scheduler's jobs kept equal to the config), `work` (polls and maintenance as
drainable, fenced tasks), `jobs` (the maintenance work itself), `lease`
(leader election and fencing), `notify` (systemd), `metrics`, `http` and
`health` (observability), `snapshot` (what is read back from the database),
`memory` (giving memory back after a parse), `service` (the life cycle that
ties them together), `start` (the process `watcher run` execs), `isolated` (the
child that records a body) and `boot` (how both processes are started).
"""
