# Profiles are self-contained: reports work after the binary is gone.
. "$ROOT/tests/e2e/lib.sh"
cp "$PROGS/alloc-counts" ./victim
heap v ./victim
check "exit" "$rc" 0
rm -f victim
json v.scorch
check "site still named" "$(site v.scorch.json site_thousand allocations)" 1000
check_match "file and line still there" "$(q v.scorch.json '[.profiles[0].sites[] | select(.function=="site_leak") | "\(.file):\(.line)"] | first')" 'alloc-counts\.c:[0-9]+$'
finish
