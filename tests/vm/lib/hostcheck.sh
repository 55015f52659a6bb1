# shellcheck shell=bash
# hostcheck.sh — what the hostcheck-* scenarios share: start the installed passthrud on the
# guest's system bus, run `passthructl check` as the unprivileged user (text for the log,
# --json for the assertions) and compare rows with what this kernel and vIOMMU must give.
. "$PASSTHRU_VM_LIB"

HC_JSON=$RESULTS/check.json

hc_start_daemon() {
    vm_start_passthrud --log-level=debug
}

# Runs the check; HC_EXIT is passthructl's exit status.
hc_run() {
    HC_EXIT=0
    runuser -u alice -- passthructl check --json >"$HC_JSON" 2>"$RESULTS/check.err" || HC_EXIT=$?
    vm_log "passthructl check (exit $HC_EXIT)"
    runuser -u alice -- passthructl check 2>&1 | tee "$RESULTS/check.txt" || true
    vm_require "passthructl check --json printed JSON" jq -e .checks "$HC_JSON"
}

hc_field() { jq -r --arg id "$1" --arg f "$2" '.checks[] | select(.id == $id) | .[$f]' "$HC_JSON"; }

# hc_expect ID STATUS [TEXT]: the row ID has STATUS and its summary contains TEXT.
hc_expect() {
    vm_check "$1 is $2" test "$(hc_field "$1" status)" = "$2"
    [[ -z ${3:-} ]] || vm_check "$1 says '$3'" grep -qF -- "$3" <<<"$(hc_field "$1" summary)"
}

hc_expect_remedy() {
    vm_check "$1 remedy says '$2'" grep -qF -- "$2" <<<"$(hc_field "$1" remedy)"
}

# hc_expect_host STATUS EXIT: the host status in the JSON, and the exit status with it.
hc_expect_host() {
    vm_check "host status is $1" test "$(jq -r .host_status "$HC_JSON")" = "$1"
    vm_check "exit status is $2" test "$HC_EXIT" -eq "$2"
    vm_check "HostStatus property is $1" \
        sh -c "busctl --system get-property org.passthru.Manager /org/passthru/Manager org.passthru.Manager HostStatus | grep -qx 's \"$1\"'"
}

# The folklore argument is never advised: the kernel answers it "Unknown option".
hc_expect_no_amd_iommu_on() {
    vm_check "no row advises amd_iommu=on" sh -c "! grep -q amd_iommu=on '$HC_JSON'"
}
