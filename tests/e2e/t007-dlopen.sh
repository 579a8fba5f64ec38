# A library that allocates, loaded and unloaded at run time: its frames are
# still symbolized, and attributed to its module.
. "$ROOT/tests/e2e/lib.sh"
heap d "$PROGS/dlopen" "$PROGS/libtalloc.so"
check "exit" "$rc" 0
json d.scorch
J=d.scorch.json
check "lib_site allocations" "$(site $J lib_site allocations)" 5
check "lib_site bytes" "$(site $J lib_site bytes)" 240
check "lib_site leaked" "$(site $J lib_site leaked_blocks)" 5
check "lib_site module" "$(q $J '[.profiles[0].sites[] | select(.function=="lib_site") | .module] | first')" libtalloc.so
check_match "lib_site file" "$(q $J '[.profiles[0].sites[] | select(.function=="lib_site") | .file] | first')" 'libtalloc\.c$'
check "module breakdown" "$(q $J '.profiles[0].modules[] | select(.name=="libtalloc.so") | .allocations')" 5
check_match "stack through lib_alloc_n to main" "$(q $J '[.profiles[0].sites[] | select(.function=="lib_site") | .stack[].function] | join(";")')" '^lib_site;lib_alloc_n;main'
finish
