# C++ new/delete reach malloc/free and are attributed to their callers.
. "$ROOT/tests/e2e/lib.sh"
heap c "$PROGS/cxx-new"
check "exit" "$rc" 0
json c.scorch
J=c.scorch.json
check "site_new_scalar allocs" "$(through c.scorch "site_new_scalar()" count)" 10
check "site_new_scalar bytes" "$(through c.scorch "site_new_scalar()" bytes)" 400
check "site_new_array allocs" "$(through c.scorch "site_new_array()" count)" 3
check "site_new_cookie allocs" "$(through c.scorch "site_new_cookie()" count)" 1
check "site_vector allocs" "$(through c.scorch "site_vector()" count)" 11
check "site_vector bytes" "$(through c.scorch "site_vector()" bytes)" 8188
check "site_leak_new leaked" "$(through c.scorch "site_leak_new()" leaked)" 32
# operator new is looked through: the site is the caller, demangled
check "scalar site" "$(site $J "site_new_scalar()" allocations)" 10
check_match "operator new in the stack" "$(q $J '[.profiles[0].sites[] | select(.function=="site_new_scalar()") | .stack[].function] | join(";")')" 'operator new'
# the vector's blocks come through the STL down to operator new
check_match "vector stack" "$(q $J '[.profiles[0].sites[] | select(.stack | map(.function) | index("site_vector()")) | .stack[].function] | join(";")')" 'operator new.*_M_allocate.*push_back.*site_vector\(\)'
finish
