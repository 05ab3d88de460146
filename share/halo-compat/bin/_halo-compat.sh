# Shared by halo's compat shims (sourced, not run). Scripts written for keepalived stop it with
# `systemctl stop keepalived`, `service keepalived stop` or `killall keepalived` when they give up
# on the service they check. halo puts this directory first on their PATH; the shims turn those
# commands into a request to halo and pass every other command to the real program.
#
# Environment (set by halo for the scripts it runs):
#   HALO_PID         the halo process to signal
#   HALO_COMPAT_DIR  this directory (skipped when looking for the real program)
#   HALO_COMPAT_STOP stop (default): SIGTERM to halo, which stops like keepalived does
#                    (priority 0, make-before-break release of the VIPs, notify_stop);
#                    ignore: do nothing and succeed (let halo's own trackers decide).

halo_compat_is_us() {
  case "$1" in
    keepalived|keepalived.service|halo|halo.service) return 0 ;;
  esac
  return 1
}

halo_compat_real() {
  # The next program called $1 on PATH after the compat directory.
  name=$1
  shift
  old_ifs=$IFS
  IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] || continue
    [ "$dir" = "${HALO_COMPAT_DIR:-}" ] && continue
    [ "$dir" = "$(dirname "$0")" ] && continue
    if [ -x "$dir/$name" ]; then
      IFS=$old_ifs
      exec "$dir/$name" "$@"
    fi
  done
  IFS=$old_ifs
  echo "halo-compat: $name: command not found" >&2
  exit 127
}

halo_compat_stop() {
  if [ -z "${HALO_PID:-}" ]; then
    echo "halo-compat: $* asked to stop keepalived, but HALO_PID is not set: nothing done" >&2
    exit 1
  fi
  if [ "${HALO_COMPAT_STOP:-stop}" = ignore ]; then
    echo "halo-compat: $* ignored (HALO_COMPAT_STOP=ignore)" >&2
    exit 0
  fi
  echo "halo-compat: $* -> SIGTERM to halo (pid $HALO_PID)" >&2
  kill -TERM "$HALO_PID"
}
