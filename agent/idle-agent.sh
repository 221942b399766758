#!/bin/sh
# formations idle agent: run every minute (systemd timer). Stops this machine after
# FORMATIONS_IDLE_MINUTES without activity, and ALWAYS writes why it stayed up or why it
# stopped, as one JSON line: {"at","verdict":"busy"|"idle"|"stopping","reasons":[...],"idleFor":s}
#
# Busy while any holds:
#   - an established inbound TCP session to a watched local port (SSH 22, RDP 3389, VNC
#     5900-5901, guacd 4822, gateway 443/8080), read from /proc/net/tcp and tcp6. Only the
#     LOCAL port counts: outbound connections (an agent's long-lived HTTPS to its cloud) do not;
#   - a running Slurm job (`squeue -h -t R` prints a line; a failing squeue counts as busy:
#     never stop a machine whose jobs cannot be read);
#   - a process whose command line contains a watched string (Spark drivers and executors);
#   - CPU use above FORMATIONS_IDLE_CPU_PERCENT over the interval since the last run (/proc/stat;
#     100 turns the check off).
# Idle time counts from the last busy run. It starts again from zero on a new boot (the state
# lives in /run and carries the boot id) and after a gap longer than FORMATIONS_IDLE_MAX_GAP
# seconds between two runs (a resume from hibernation, a clock jump): time the agent did not see
# is never counted as idle.
#
# POSIX sh; needs only cat, awk, sed, grep, tr, head, date, dirname, mkdir, mv (busybox is
# enough). No ss, netstat or ps.
#
# Run from outside (formations enforce in a container, through `docker exec`): the caller may
# measure the CPU itself and say whose boot this is, since a container's /proc/stat is the
# host's and its boot_id the host's boot:
#   FORMATIONS_IDLE_CPU_USAGE_US   CPU time the machine used so far, in microseconds (its cgroup's),
#   FORMATIONS_IDLE_CPU_MILLIS     the CPUs it may use, in thousandths (1000 = one CPU);
#   FORMATIONS_IDLE_BOOT           what identifies this start (a container's start time);
#   FORMATIONS_IDLE_LIMIT_SECONDS  the idle limit in seconds instead of FORMATIONS_IDLE_MINUTES;
#   FORMATIONS_IDLE_STOP_COMMAND   empty: the caller stops the machine; the verdict still says `stopping`.
set -u

IDLE_MINUTES=${FORMATIONS_IDLE_MINUTES:-60}
CPU_PERCENT=${FORMATIONS_IDLE_CPU_PERCENT:-10}
PORTS=${FORMATIONS_IDLE_PORTS:-22 3389 5900 5901 4822 443 8080}
PROCESSES=${FORMATIONS_IDLE_PROCESSES:-org.apache.spark.deploy.SparkSubmit org.apache.spark.deploy.yarn.ApplicationMaster org.apache.spark.deploy.worker.DriverWrapper CoarseGrainedExecutorBackend}
SQUEUE=${FORMATIONS_IDLE_SQUEUE:-squeue}
SQUEUE_ARGS=${FORMATIONS_IDLE_SQUEUE_ARGS:--h -t R}
STOP_COMMAND=${FORMATIONS_IDLE_STOP_COMMAND-shutdown -h now}
CPU_USAGE_US=${FORMATIONS_IDLE_CPU_USAGE_US:-}
CPU_MILLIS=${FORMATIONS_IDLE_CPU_MILLIS:-}
LIMIT_SECONDS=${FORMATIONS_IDLE_LIMIT_SECONDS:-}
STATE=${FORMATIONS_IDLE_STATE:-/run/formations/idle.state}
VERDICT=${FORMATIONS_IDLE_VERDICT:-/var/lib/formations/idle-verdict.json}
PROC=${FORMATIONS_IDLE_PROC:-/proc}
MAX_GAP=${FORMATIONS_IDLE_MAX_GAP:-300}
# "Now" in epoch seconds; tests set it to drive time without waiting.
NOW=${FORMATIONS_IDLE_NOW:-$(date +%s)}

BUSY=""     # JSON strings, comma-separated: why the machine is busy
NOTES=""    # JSON strings: what was checked and found quiet, or context

json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  '; }
busy() { BUSY="${BUSY:+$BUSY,}\"$(json "$1")\""; }
note() { NOTES="${NOTES:+$NOTES,}\"$(json "$1")\""; }
number() { case ${1:-x} in '' | *[!0-9]*) return 1 ;; esac; }

# --- state: last_busy, last_run, cpu_total, cpu_idle, boot, last_verdict ---
last_busy="" last_run="" cpu_total="" cpu_idle="" boot="" last_verdict=""
if [ -r "$STATE" ]; then
  while IFS='=' read -r key value; do
    case $key in
      last_busy | last_run | cpu_total | cpu_idle) number "$value" && eval "$key=\$value" ;;
      boot) boot=$value ;;
      last_verdict) last_verdict=$value ;;
    esac
  done <"$STATE"
fi
boot_now=${FORMATIONS_IDLE_BOOT:-$(cat "$PROC/sys/kernel/random/boot_id" 2>/dev/null || echo unknown)}
if [ -z "$last_busy" ] || [ -z "$last_run" ] || [ "$boot" != "$boot_now" ]; then
  last_busy=$NOW cpu_total="" cpu_idle=""
  note "agent started: counting idle time from now"
elif [ "$NOW" -lt "$last_run" ] || [ $((NOW - last_run)) -gt "$MAX_GAP" ]; then
  note "resumed after a gap of $((NOW - last_run))s (hibernation or a clock change): counting idle time from now"
  last_busy=$NOW cpu_total="" cpu_idle=""
fi

# --- sessions: established (st 01) TCP connections whose local port is watched ---
hex="" watched=""
for p in $PORTS; do
  hex="$hex $(printf '%04X' "$p")" watched="${watched:+$watched }$p"
done
sessions=$(cat "$PROC/net/tcp" "$PROC/net/tcp6" 2>/dev/null | awk -v ports="$hex" '
  BEGIN { n = split(ports, want, " ") }
  $4 == "01" { k = split($2, a, ":"); count[a[k]]++ }
  END { for (i = 1; i <= n; i++) if (count[want[i]] > 0) { print want[i], count[want[i]]; count[want[i]] = 0 } }')
if [ -n "$sessions" ]; then
  while read -r h c; do
    port=$((0x$h))
    case $port in
      22) what=ssh ;; 3389) what=rdp ;; 5900 | 5901) what=vnc ;; 4822) what=guacd ;; 443 | 8080) what=gateway ;; *) what=tcp ;;
    esac
    [ "$c" -eq 1 ] && s="" || s=s
    busy "$c established connection$s on port $port ($what)"
  done <<EOF
$sessions
EOF
else
  note "no session on ports $watched"
fi

# --- Slurm ---
if command -v "$SQUEUE" >/dev/null 2>&1; then
  # shellcheck disable=SC2086 # the arguments are a list
  if out=$($SQUEUE $SQUEUE_ARGS 2>&1); then
    jobs=$(printf '%s\n' "$out" | grep -c .)
    if [ "$jobs" -gt 0 ]; then
      [ "$jobs" -eq 1 ] && s="" || s=s
      busy "$jobs running Slurm job$s"
    else
      note "no running Slurm job"
    fi
  else
    busy "squeue failed, jobs unknown: $(printf '%s' "$out" | head -n 1)"
  fi
fi

# --- watched processes (Spark drivers and executors) ---
found=""
for f in "$PROC"/[0-9]*/cmdline; do
  cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue # gone since the glob: skip
  [ -n "$cmd" ] || continue
  set -f # the watched strings are words, not globs
  for pat in $PROCESSES; do
    case $cmd in *"$pat"*) found="$found $pat" ;; esac
  done
  set +f
done
if [ -n "$found" ]; then
  set -f
  for pat in $PROCESSES; do
    c=0
    for x in $found; do [ "$x" = "$pat" ] && c=$((c + 1)); done
    [ "$c" -gt 0 ] && busy "$c running process(es) matching $pat"
  done
  set +f
fi

# --- CPU since the last run ---
if number "$CPU_USAGE_US" && number "$CPU_MILLIS" && [ "$CPU_MILLIS" -gt 0 ]; then
  # Measured by the caller: capacity so far (CPU-microseconds at this many CPUs) and what was not used of it.
  total=$((NOW * CPU_MILLIS * 1000))
  idle_all=$((total - CPU_USAGE_US))
else
  read -r _cpu user nice system idle iowait irq softirq steal _rest <"$PROC/stat"
  total=$((user + nice + system + idle + ${iowait:-0} + ${irq:-0} + ${softirq:-0} + ${steal:-0}))
  idle_all=$((idle + ${iowait:-0}))
fi
if [ -n "$cpu_total" ] && [ "$total" -gt "$cpu_total" ]; then
  dt=$((total - cpu_total))
  pct=$(((dt - (idle_all - cpu_idle)) * 100 / dt))
  if [ "$pct" -gt "$CPU_PERCENT" ]; then
    busy "cpu ${pct}% since the last run (threshold ${CPU_PERCENT}%)"
  else
    note "cpu ${pct}% since the last run (threshold ${CPU_PERCENT}%)"
  fi
else
  note "cpu: first sample, measured from the next run"
fi

# --- verdict ---
if [ -n "$BUSY" ]; then
  verdict=busy last_busy=$NOW reasons=$BUSY
else
  reasons=$NOTES
fi
idle_for=$((NOW - last_busy))
if number "$LIMIT_SECONDS"; then
  limit=$LIMIT_SECONDS limit_text="${LIMIT_SECONDS}s"
else
  limit=$((IDLE_MINUTES * 60)) limit_text="${IDLE_MINUTES} min"
fi
if [ -z "$BUSY" ]; then
  if [ "$idle_for" -ge "$limit" ]; then
    verdict=stopping
    if [ -n "$STOP_COMMAND" ]; then stopping="running: $STOP_COMMAND"; else stopping="stopped from outside"; fi
    reasons="$reasons,\"$(json "idle for ${idle_for}s (limit ${limit_text}): ${stopping}")\""
  else
    verdict=idle
    reasons="$reasons,\"$(json "idle for ${idle_for}s of ${limit}s")\""
  fi
fi

at=$(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
write_verdict() { # verdict reasons: atomically, so a reader never sees half a line
  mkdir -p "$(dirname "$VERDICT")" &&
    printf '{"at":"%s","verdict":"%s","reasons":[%s],"idleFor":%d}\n' "$at" "$1" "$2" "$idle_for" >"$VERDICT.tmp" &&
    mv -f "$VERDICT.tmp" "$VERDICT"
}
mkdir -p "$(dirname "$STATE")"
printf 'last_busy=%s\nlast_run=%s\ncpu_total=%s\ncpu_idle=%s\nboot=%s\nlast_verdict=%s\n' \
  "$last_busy" "$NOW" "$total" "$idle_all" "$boot_now" "$verdict" >"$STATE.tmp" && mv -f "$STATE.tmp" "$STATE"
write_verdict "$verdict" "$reasons"
# The journal gets a line when the verdict changes, not every minute.
[ "$verdict" = "$last_verdict" ] || printf '{"at":"%s","verdict":"%s","reasons":[%s],"idleFor":%d}\n' "$at" "$verdict" "$reasons" "$idle_for"

if [ "$verdict" = stopping ] && [ -n "$STOP_COMMAND" ]; then
  sh -c "$STOP_COMMAND"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    write_verdict idle "$reasons,\"$(json "stop command failed (exit $rc): $STOP_COMMAND")\""
    echo "idle-agent: stop command failed (exit $rc): $STOP_COMMAND" >&2
    exit 1
  fi
fi
exit 0
