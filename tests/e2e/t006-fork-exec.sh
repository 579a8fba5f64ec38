# fork: the child gets its own profile (not with --no-follow); exec: each
# program its own profile, and the exit status of the last one comes back.
. "$ROOT/tests/e2e/lib.sh"
heap f "$PROGS/fork"
check "fork exit" "$rc" 0
check_match "summary names two profiles" "$err" '2 profiles:'
child=$(ls fork.*.scorch 2>/dev/null | head -1)
check_match "child profile written" "$child" '^fork\.[0-9]+\.scorch$'
json f.scorch
check "parent_site leaked" "$(site f.scorch.json parent_site leaked_blocks)" 5
check "parent has no child_site" "$(site f.scorch.json child_site allocations)" 0
if [ -n "$child" ]; then
	json "$child"
	check "child_site leaked" "$(site $child.json child_site leaked_blocks)" 3
	check "child_site bytes" "$(site $child.json child_site bytes)" 168
	check "child knows its parent" "$(q $child.json '.profiles[0].program.ppid')" "$(q f.scorch.json '.profiles[0].program.pid')"
	check "child exit" "$(q $child.json '.profiles[0].program.exit.kind')" normal
fi
rm -f fork.*.scorch
"$SCORCH" heap --no-follow -o nf.scorch -- "$PROGS/fork" 2>nf.err
check "no-follow exit" "$?" 0
check "no-follow: no child profile" "$(ls fork.*.scorch 2>/dev/null | wc -l)" 0
json nf.scorch
check "no-follow parent_site" "$(site nf.scorch.json parent_site allocations)" 5

heap e "$PROGS/exec"
check "exec: exit status of the exec'd program" "$rc" 3
check "exec: its output" "$out" "exec-target ok"
json e.scorch
check "before_exec leaked" "$(site e.scorch.json before_exec leaked_blocks)" 2
check "first image ended by exec" "$(q e.scorch.json '.profiles[0].program.exit.kind')" exec
second=$(ls exec-target.*.scorch 2>/dev/null | head -1)
check_match "exec'd program's profile" "$second" '^exec-target\.[0-9]+\.scorch$'
if [ -n "$second" ]; then
	json "$second"
	check "after_exec leaked" "$(site $second.json after_exec leaked_blocks)" 4
	check "exec'd exit status" "$(q $second.json '.profiles[0].program.exit.value')" 3
	check "same pid" "$(q $second.json '.profiles[0].program.pid')" "$(q e.scorch.json '.profiles[0].program.pid')"
	check "argv carried" "$(q $second.json '.profiles[0].program.argv[2]')" "beta gamma"
fi

# behind a shim (a shell that execs the program), the hint names the
# profile that holds the run, and says how it was reached and what the
# others are
rm -f alloc-counts.*.scorch
"$SCORCH" heap -o shim.scorch -- sh -c "exec '$PROGS/alloc-counts'" >shim.out 2>shim.err
check "shim: exit" "$?" 0
real=$(ls alloc-counts.*.scorch 2>/dev/null | head -1)
check_match "shim: the program's own profile" "$real" '^alloc-counts\.[0-9]+\.scorch$'
shell=sh   # by the name it was run as (argv[0]), not the file its link resolves to (dash)
json "$real"
check_match "shim: the summary names the busiest profile, its exec chain and the other" "$(cat shim.err)" \
	"^scorch: most of the run is in $real: alloc-counts \\(pid [0-9]+\\), [0-9,]+ heap events; exec'd by $shell; 1 other: $shell\$"
check_match "shim: the hint names it" "$(cat shim.err)" "^scorch: view with: scorch report $real\$"
check "shim: the program's allocations in its profile" "$(site $real.json site_thousand allocations)" 1000
check "shim: none in the shell's" "$(json shim.scorch; site shim.scorch.json site_thousand allocations)" 0
finish
