#!/usr/bin/env bash
# A private single-node Slurm cluster for tests (tests/slurm_test.cpp):
#   slurm_cluster.sh start DIR   munged, slurmctld and slurmd on this machine, configured in DIR
#                                (slurm.conf, munge key, state, spool, logs, non-default ports);
#                                prints SLURM_CONF=DIR/slurm.conf when the node is idle.
#   slurm_cluster.sh stop DIR    stops the three daemons started in DIR (by their pid files).
# Exit 77 (with the reason on stderr) when Slurm or munge is missing or we are not root (the
# daemons run as root here, SlurmUser=root); 1 when they are installed but do not come up.
set -euo pipefail
cmd=$1
dir=$(realpath -m "$2")

stop() {
  for name in slurmd slurmctld munged; do
    local pidfile="$dir/$name.pid"
    [[ -s $pidfile ]] || continue
    local pid
    pid=$(<"$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [[ $cmd == stop ]]; then
  stop
  exit 0
fi

for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "SKIP: $tool is not installed (Debian: slurm-wlm munge slurm-client)" >&2; exit 77; }
done
[[ $(id -u) == 0 ]] || { echo "SKIP: the test cluster's daemons must run as root" >&2; exit 77; }

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
key="$dir/munge/munge.key"
[[ -s $key ]] || { head -c 1024 /dev/urandom >"$key"; chmod 400 "$key"; }
socket="$dir/munge/munge.socket"
munged --force --key-file="$key" --socket="$socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"

node=$(hostname -s)
read -r cpus mem < <(slurmd -C | awk '{for(i=1;i<=NF;i++){split($i,a,"=");v[a[1]]=a[2]}} END{print v["CPUs"], v["RealMemory"]}')
# Ports derived from the directory, so two test runs on one machine do not collide.
base=$((20000 + $(cksum <<<"$dir" | cut -d' ' -f1) % 20000))
cat >"$dir/slurm.conf" <<CONF
ClusterName=vidxtest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
EnforcePartLimits=ALL
MailProg=/bin/true
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$node"
for _ in $(seq 150); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  if [[ $state == idle* ]]; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "the test cluster in $dir did not come up (node state '${state:-none}'); logs:" >&2
tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/munged.log >&2 || true
stop
exit 1
