# Sourced by the test helpers (test/helpers/run.ts: RUNAS_FUNCTIONS): the ONE way tests drop
# privileges. The checkout may sit where no other user can read it (a clone in a 0700
# directory), so another user never runs the checkout: every argument that is a path into the
# checkout ($SVIPC_ROOT), and $SVIPC, $SVIPC_LINKS, $SVIPC_ROOT and PATH, are pointed at the
# world-readable copy ($SVIPC_PUBLIC_ROOT, made by test/global-setup.ts), and it runs from /.
#   runas UID:GID CMD [ARG...]   CMD as that user and group, no supplementary groups
#   nobody CMD [ARG...]          runas 65534:65534
runas() {
  local ids=$1 a
  shift
  local args=()
  for a in "$@"; do
    [[ $a == "$SVIPC_ROOT" || $a == "$SVIPC_ROOT"/* ]] && a=$SVIPC_PUBLIC_ROOT${a#"$SVIPC_ROOT"}
    args+=("$a")
  done
  local path=${PATH//"$SVIPC_ROOT"/"$SVIPC_PUBLIC_ROOT"}
  # (Exported explicitly: bash does not pass assignments placed before `exec` to the command.)
  (
    cd / || exit
    export SVIPC="$SVIPC_PUBLIC_ROOT/bin/svipc" SVIPC_LINKS="$SVIPC_PUBLIC_ROOT/test/.links" \
      SVIPC_ROOT="$SVIPC_PUBLIC_ROOT" PATH="$path"
    exec setpriv --reuid="${ids%%:*}" --regid="${ids##*:}" --clear-groups "${args[@]}"
  )
}
nobody() { runas 65534:65534 "$@"; }
export -f runas nobody
