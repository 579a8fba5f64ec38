# Rust's default allocator reaches malloc: allocations are charged to the
# user's functions (Box, Vec, format! are looked through), names demangled.
. "$ROOT/tests/e2e/lib.sh"
command -v rustc >/dev/null || { echo "SKIP: rustc not installed"; exit 77; }
rustc -g -C opt-level=1 -o rsdemo "$ROOT/tests/progs/rsdemo.rs" || { fail "rustc failed"; finish; }
heap r ./rsdemo
check "exit" "$rc" 0
json r.scorch
J=r.scorch.json
check "Box::new x100 charged to make_boxes" "$(q $J '[.profiles[0].sites[] | select(.function=="rsdemo::make_boxes" and .bytes==6400) | .allocations] | add')" 100
check "Vec::with_capacity charged to make_boxes" "$(q $J '[.profiles[0].sites[] | select(.function=="rsdemo::make_boxes" and .allocations==1) | .bytes] | add')" 800
check "make_boxes freed all" "$(site $J rsdemo::make_boxes leaked_blocks)" 0
check "leak_strings leaks 3" "$(site $J rsdemo::leak_strings leaked_blocks)" 3
check_match "file of the site" "$(q $J '[.profiles[0].sites[] | select(.function=="rsdemo::make_boxes") | .file] | first')" 'rsdemo\.rs$'
check_match "inlined library frames shown" "$(q $J '[.profiles[0].sites[] | select(.function=="rsdemo::make_boxes") | .stack[] | select(.inlined) | .function] | join(";")')" 'Box<T>::new'
finish
