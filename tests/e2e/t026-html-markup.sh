# scorch html with markup everywhere: tests/progs/html-markup.cc (C++
# template and operator names with <, > and &) built in a directory named
# `<img src=x onerror=alert(1)>` and run with `</script><script>...` in its
# argv. The page must keep all of it as text: in the file nothing can end the
# data block or open an element, and in headless Chromium no dialog opens, no
# element is injected, and the names, paths and arguments show literally.
. "$ROOT/tests/e2e/lib.sh"
bash "$ROOT/tests/browser/setup.sh" || exit 1
command -v "${CXX:-c++}" >/dev/null || { echo "SKIP: no C++ compiler"; exit 77; }

page_json() { sed -n 's|^<script type="application/json" id="scorch-data">\(.*\)</script>$|\1|p' "$1"; }

dir="$WORK/<img src=x onerror=alert(1)>"
mkdir -p "$dir"
cp "$ROOT/tests/progs/html-markup.cc" "$dir/"
"${CXX:-c++}" -std=c++17 -g -O0 -fno-omit-frame-pointer -fno-inline -Wall -o "$dir/html-markup" "$dir/html-markup.cc"
check "built in the markup directory" $? 0

ls2028=$(printf '\xe2\x80\xa8')
args=('</script><script>alert(1)</script>' '<img src=y onerror=alert(2)>' "& \"q\" ' <!-- --> ${ls2028}x")
"$SCORCH" record --heap -o markup.scorch -- "$dir/html-markup" "${args[@]}" >run.out 2>run.err
check "record: exit" $? 0
"$SCORCH" html -o markup.html markup.scorch 2>/dev/null
check "html: exit" $? 0
"$SCORCH" report --json --limit=0 markup.scorch >markup.json

# the file: only our two scripts, no element or comment from the data
# the data, the hot code's data (a profile with samples), the script
ours=$(( 2 + $(grep -c '^<script type="application/json" id="scorch-annotate">' markup.html) ))
check "file: our <script> start tags only" "$(grep -oi '<script' markup.html | wc -l)" "$ours"
check "file: our </script> end tags only" "$(grep -oi '</script' markup.html | wc -l)" "$ours"
check "file: no <img" "$(grep -ci '<img' markup.html)" 0
check "file: no <!--" "$(grep -c '<!--' markup.html)" 0
data=$(page_json markup.html)
check "data: one line, valid JSON" "$(jq -r .v <<<"$data")" 1
check "data: no raw <, > or &" "$(tr -cd '<>&' <<<"$data" | wc -c)" 0
check "data: no raw U+2028" "$(grep -c "$ls2028" <<<"$data")" 0
want=$(jq -cn '$ARGS.positional' --args "$dir/html-markup" "${args[@]}")
check "data: argv round-trips exactly" "$(jq -c .meta.argv <<<"$data")" "$want"
check "data: the path with markup" "$(jq -r .meta.exe <<<"$data")" "$dir/html-markup"
check_match "data: a template name" "$(jq -r '.strings[]' <<<"$data")" '^void run<&'

echo "--- browser: markup"
MARKUP_ARGV=$want MARKUP_DIR=$dir node "$ROOT/tests/browser/html.mjs" markup "$WORK" markup.html markup.json >browser.log 2>&1
st=$?
sed 's/^/    /' browser.log
check "browser markup: exit" "$st" 0
finish
