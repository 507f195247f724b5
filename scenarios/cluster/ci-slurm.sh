#!/usr/bin/env bash
# CI: a sharded sweep on a real Slurm cluster of one node (this machine),
# checked against the same sweep on one machine.
#
# Installs Debian's slurm-wlm and munge when missing, starts munged,
# slurmctld and slurmd with a private configuration (own ports, own
# directories, 2 CPUs), submits scenarios/cluster/slurm/submit.sh's array
# job and merge job with the release dst, waits for them (with a timeout),
# then requires the merged report to equal a single `dst sweep` of the same
# seeds: run counts, the verdict of every (scenario, seed), failure groups,
# fault coverage and the exit status. Stops the cluster on exit.
#   scenarios/cluster/ci-slurm.sh [DST]   (default target/release/dst)
set -euo pipefail
# A DST given relative to where the script was started from.
dst=${1:+$(realpath "$1")}
cd "$(dirname "$0")/../.."
dst=${dst:-$(realpath "${CARGO_TARGET_DIR:-target}/release/dst")}
[ -x "$dst" ] || { echo "ci-slurm: no dst binary at $dst: build it with cargo build --release" >&2; exit 1; }

# A mix of failing and passing runs, so that failure groups are compared
# too: demo/rpc/lossy_counter fails on every seed, demo/raft/stale_commit on
# seed 4 of these.
pattern=demo/ seeds=0..16 shards=4
wait_secs=${DST_SLURM_TIMEOUT:-300}

# jq compares the reports.
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v jq >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "== installing slurm-wlm, munge and jq"
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends slurm-wlm munge jq >/dev/null); then
      echo "ci-slurm: SKIPPED: apt-get could not install slurm-wlm, munge and jq" >&2
      exit 0
    fi
  else
    echo "ci-slurm: SKIPPED: no slurmctld, munged or jq, and no root apt-get to install them" >&2
    exit 0
  fi
fi

work=$(mktemp -d /tmp/dst-slurm.XXXXXX)
chmod 700 "$work"
pids=()
cleanup() {
  status=$?
  # Cancel what is left, then stop the daemons this script started (by pid).
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" != 0 ]; then
    echo "ci-slurm: failed; the daemons' logs:" >&2
    tail -n 20 "$work"/*.log >&2 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# munge authenticates Slurm's messages: a private key and socket, so that a
# munged the machine may already run is left alone.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 600 "$work/munge.key"
# --force: munged otherwise refuses a socket in a folder others cannot
# enter, and this folder is private to the run (chmod 700) on purpose.
munged --foreground --force --socket="$work/munge.socket" --key-file="$work/munge.key" \
  --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munged.seed" >"$work/munged.out" 2>&1 &
pids+=($!)

# Ports away from Slurm's defaults (6817/6818), for the same reason, and
# picked at random so that two CI runs on one machine rarely collide.
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool" "$work/results"
cat >"$work/slurm.conf" <<CONF
ClusterName=dst-ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool/%n
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
# No cgroups in a CI container: track and place tasks the plain way.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf

for _ in $(seq 50); do [ -S "$work/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge.socket" ] || { echo "ci-slurm: munged did not start" >&2; exit 1; }
echo "== starting slurmctld and slurmd on $host"
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || { echo "ci-slurm: node $host is '${state:-unreachable}', not idle" >&2; sinfo -N -l >&2 || true; exit 1; }

echo "== submitting $shards shards of dst sweep $pattern --seeds $seeds"
started=$(date +%s%N)
results=$work/results
scenarios/cluster/slurm/submit.sh "$dst" "$pattern" "$seeds" "$shards" "$results"
deadline=$(($(date +%s) + wait_secs))
while squeue -h -u "$(id -un)" 2>/dev/null | grep -q .; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "ci-slurm: the jobs did not end within ${wait_secs}s" >&2
    squeue >&2 || true
    exit 1
  fi
  sleep 1
done
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
[ -f "$results/merge.status" ] || { echo "ci-slurm: the merge job did not run" >&2; cat "$results"/logs/* >&2 || true; exit 1; }
cat "$results/merged.txt"
echo "== the same sweep on one machine"
set +e
"$dst" sweep "$pattern" --seeds "$seeds" --json "$work/single.json" >"$work/single.txt"
single_status=$?
set -e
tail -n 1 "$work/single.txt"

# What a sweep found, without where and how fast: equal for a merge of
# shards and a single sweep.
findings='{runs, passed, failed, complete, seed_count, scenarios, fault_runs,
  virtual_nanos, groups, failures: [.failures[] | del(.virtual_secs)]}'
# Every (scenario, seed) of the range with its verdict; passing runs are not
# listed in a summary, so a complete sweep's are all the others.
# shellcheck disable=SC2016 # $a, $b, $s and $failed are jq's variables
verdicts='(.seeds | split("..") | map(tonumber)) as [$a, $b]
  | ([.failures[] | "\(.scenario) \(.seed)"] | map({(.): true}) | add // {}) as $failed
  | .scenarios[] as $s | range($a; $b) | "\($s) \(.) \(if $failed["\($s) \(.)"] then "FAIL" else "PASS" end)"'
status=0
if ! diff <(jq -S "$findings" "$work/single.json") <(jq -S "$findings" "$results/merged.json"); then
  echo "ci-slurm: the merged report's findings differ from the single sweep's (above)" >&2
  status=1
fi
if ! diff <(jq -r "$verdicts" "$work/single.json") <(jq -r "$verdicts" "$results/merged.json") >/dev/null; then
  echo "ci-slurm: per-seed verdicts differ" >&2
  status=1
fi
merge_status=$(cat "$results/merge.status")
if [ "$merge_status" != "$single_status" ]; then
  echo "ci-slurm: dst merge exited $merge_status, the single sweep $single_status" >&2
  status=1
fi
runs=$(jq .runs "$results/merged.json")
verdict_lines=$(jq -r "$verdicts" "$results/merged.json" | wc -l)
[ "$verdict_lines" = "$runs" ] || { echo "ci-slurm: $verdict_lines verdicts for $runs runs" >&2; status=1; }
[ "$status" = 0 ] || exit "$status"
echo "ci-slurm: $shards Slurm shards merged = one sweep ($runs runs, $(jq .failed "$results/merged.json") failed, $(jq '.groups | length' "$results/merged.json") failure groups); submit to merged report in ${elapsed_ms} ms"
