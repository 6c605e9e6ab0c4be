#!/usr/bin/env bash
# Starts a one-node Slurm (slurmctld, slurmd, slurmdbd on MariaDB, munge) with 4 typed GPUs on character devices,
# following ../shared/notes/local-slurm.md. Idempotent: a daemon already answering is left alone.
# Needs root and the Debian packages slurm-wlm slurmdbd munge mariadb-server. State lives in $SLURM_STATE_DIR.
set -euo pipefail

state_dir="${SLURM_STATE_DIR:-/tmp/gpuscope-slurm}"
cluster="${SLURM_CLUSTER_NAME:-gpuscope}"
account="${SLURM_TEST_ACCOUNT:-gpuscope-test}"
host="$(hostname -s)"
db_pass="gpuscope-slurmdbd"

say() { echo "start-local-slurm: $*"; }
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() { # description, seconds, command...
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  say "gave up waiting for $what after ${seconds}s"
  return 1
}

if [ "$(id -u)" != 0 ]; then say "must run as root (daemons run as SlurmUser=root)"; exit 1; fi
for bin in munged mysqld_safe slurmdbd slurmctld slurmd sacctmgr; do
  command -v "$bin" >/dev/null || { say "$bin not found: apt-get install slurm-wlm slurmdbd munge mariadb-server"; exit 1; }
done
mkdir -p "$state_dir"/{ctld,spool,log,dev} /etc/slurm

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    say "created /etc/munge/munge.key"
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  if munge -n >/dev/null 2>&1; then say "munged already running"; return; fi
  su -s /bin/sh munge -c /usr/sbin/munged
  wait_for munged 10 munge -n
  say "started munged"
}

start_mariadb() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  if ! mariadb -e 'select 1' >/dev/null 2>&1; then
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql >/dev/null
    (mysqld_safe --user=mysql >"$state_dir/log/mysqld_safe.log" 2>&1 &)
    wait_for MariaDB 30 mariadb -e 'select 1'
    say "started MariaDB"
  else
    say "MariaDB already running"
  fi
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$db_pass';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
}

write_configs() {
  # GRES File= must name character devices: plain files are rejected, and without File= no GPU indices are given.
  for i in 0 1 2 3; do [ -c "$state_dir/dev/nvidia$i" ] || mknod "$state_dir/dev/nvidia$i" c 1 3; done
  cat >"$state_dir/slurm.conf" <<EOF
ClusterName=$cluster
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/spool
SlurmctldPidFile=$state_dir/slurmctld.pid
SlurmdPidFile=$state_dir/slurmd.pid
SlurmctldLogFile=$state_dir/log/slurmctld.log
SlurmdLogFile=$state_dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu,gres/gpu:h100
JobCompType=jobcomp/filetxt
JobCompLoc=$state_dir/jobcomp.log
JobAcctGatherType=jobacct_gather/linux
NodeName=$host CPUs=2 RealMemory=20000 Gres=gpu:h100:4 State=UNKNOWN
PartitionName=gpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "NodeName=$host Name=gpu Type=h100 File=$state_dir/dev/nvidia[0-3]" >"$state_dir/gres.conf"
  cat >"$state_dir/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=slurm_acct_db
LogFile=$state_dir/log/slurmdbd.log
PidFile=$state_dir/slurmdbd.pid
EOF
  chmod 600 "$state_dir/slurmdbd.conf"
  # The clients (sacct, squeue, sbatch) read /etc/slurm; link it to this state dir so they need no SLURM_CONF.
  for f in slurm.conf gres.conf slurmdbd.conf; do ln -sfn "$state_dir/$f" "/etc/slurm/$f"; done
  say "wrote $state_dir/{slurm,gres,slurmdbd}.conf (linked from /etc/slurm)"
}

start_slurm() {
  if running "$state_dir/slurmdbd.pid"; then say "slurmdbd already running"; else
    slurmdbd && wait_for slurmdbd 20 sacctmgr -n show cluster && say "started slurmdbd"
  fi
  # Output captured first: with pipefail, `grep -q` closing the pipe early would fail the pipeline.
  local clusters accounts assocs
  clusters=$(sacctmgr -n -P show cluster format=cluster)
  grep -qx "$cluster" <<<"$clusters" || sacctmgr -i add cluster "$cluster" >/dev/null
  accounts=$(sacctmgr -n -P show account format=account)
  grep -qx -- "$account" <<<"$accounts" || sacctmgr -i add account "$account" >/dev/null
  # Root, and the user who ran sudo (the tests submit jobs as that user).
  local users=(root) user
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then users+=("$SUDO_USER"); fi
  for user in "${users[@]}"; do
    assocs=$(sacctmgr -n -P show assoc where user="$user" account="$account" format=user)
    grep -qx "$user" <<<"$assocs" || sacctmgr -i add user "$user" account="$account" >/dev/null
  done
  say "registered cluster $cluster, account $account, users ${users[*]}"
  if running "$state_dir/slurmctld.pid"; then say "slurmctld already running"; else
    slurmctld && wait_for slurmctld 20 scontrol ping && say "started slurmctld"
  fi
  if running "$state_dir/slurmd.pid"; then say "slurmd already running"; else slurmd && say "started slurmd"; fi
  wait_for "node $host to register" 20 sh -c "sinfo -h -N -o %T | grep -v -e unknown -e not_responding"
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  wait_for "node $host idle" 20 sh -c "sinfo -h -N -o %T | grep -E '^(idle|mixed|allocated)'"
  wait_for sacct 10 sacct -n -X -S now-1minute
}

start_munge
start_mariadb
write_configs
start_slurm
say "ready: cluster=$cluster account=$account node=$host gres=gpu:h100:4 jobcomp=$state_dir/jobcomp.log"
