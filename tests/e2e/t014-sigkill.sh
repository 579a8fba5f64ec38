# SIGKILL: the profile is still written, says it is incomplete, and keeps
# whatever was flushed; scorch reports the signal as the program's status.
. "$ROOT/tests/e2e/lib.sh"
"$SCORCH" heap -o k.scorch -- sh -c 'kill -9 $$' 2>k.err; r=$?
check "status" "$r" 137
json k.scorch
check "incomplete" "$(q k.scorch.json '.profiles[0].program.incomplete')" true
check "exit kind" "$(q k.scorch.json '.profiles[0].program.exit.kind')" signal
check "signal" "$(q k.scorch.json '.profiles[0].program.exit.value')" 9
check_match "summary warns" "$(cat k.err)" 'ended without a final flush'
check_match "report warns" "$("$SCORCH" report k.scorch)" 'INCOMPLETE'
finish
