#!/bin/bash
# The installed tree (ctest installed_tree): cmake --install into a temporary
# prefix, then the installed weft from another folder, as a user would: its
# version, the bundled scenarios by name (list, run, check), stats of the
# recording, the man page of every command, the bash completion (subcommands,
# options, option values, scenario names), view --screenshot when the viewer
# is built.
#   check_install.sh BUILD_DIR WORK_DIR GUI(0|1) CMAKE
set -u
build=$1 work=$2 gui=$3 cmake=${4:-cmake}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
rm -rf "$work" && mkdir -p "$work/prefix" "$work/elsewhere" || exit 2
"$cmake" --install "$build" --prefix "$work/prefix" > "$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
unset WEFT_SCENARIOS
P=$work/prefix W=$work/prefix/bin/weft
cd "$work/elsewhere" || exit 2

[ -x "$W" ] || fail "no bin/weft"
"$W" --version | grep -q '^weft [0-9]' || fail "weft --version: $("$W" --version 2>&1)"

# the bundled scenarios, found from here
n_inst=$(ls "$P/share/weft/scenarios"/*.scn | wc -l)
[ "$n_inst" -gt 10 ] || fail "only $n_inst scenarios installed"
n_list=$("$W" list --names | wc -l)
[ "$n_list" = "$n_inst" ] || fail "weft list --names gives $n_list names, $n_inst are installed"
"$W" list | grep -q '^producer_consumer.scn ' || fail "weft list lacks producer_consumer"
"$W" run producer_consumer -q -o pc.weft || fail "weft run producer_consumer (by name) from another folder"
[ -s pc.weft ] || fail "no recording"
"$W" stats pc.weft | grep -q makespan || fail "weft stats on the recording"
"$W" check producer_consumer | grep -q ': ok:' || fail "weft check by name"
"$W" run no_such_scenario_here -q > out.txt 2>&1 && fail "a scenario that does not exist ran"

# a man page per command, and weft.1
for c in $("$W" help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
  [ -f "$P/share/man/man1/weft-$c.1" ] || fail "no man page weft-$c.1"
  if command -v man > /dev/null; then
    MANWIDTH=80 man -l "$P/share/man/man1/weft-$c.1" 2> /dev/null | grep -q -- "--help" || fail "weft-$c.1 does not render with its options"
  fi
done
[ -f "$P/share/man/man1/weft.1" ] || fail "no weft.1"
[ -f "$P/share/man/man1/weft-run.1" ] || fail "no weft-run.1"
# roff text only: a control character (a C string's "\f" for "\\f" wrote a form feed once) shows as garbage
for f in "$P"/share/man/man1/*.1; do
  ! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$f" || fail "$(basename "$f") holds a control character"
done

# bash completion: source it and ask it
comp=$P/share/bash-completion/completions/weft
[ -f "$comp" ] || fail "no bash completion"
complete_words() {   # complete_words WORD... : the completions of the last word
  bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
    _weft
    printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
export PATH="$P/bin:$PATH"
complete_words weft ru | grep -qx run || fail "completion: 'weft ru' does not give run"
complete_words weft run --out | grep -qx -- --output || fail "completion: 'weft run --out' does not give --output"
complete_words weft run producer_co | grep -qx producer_consumer || fail "completion: scenario names"
complete_words weft export x.weft --format "" | grep -qx json || fail "completion: --format values"
complete_words weft view --theme l | grep -qx light || fail "completion: --theme values"

if [ "$gui" = 1 ] || [ "$gui" = ON ] || [ "$gui" = TRUE ]; then
  SDL_VIDEODRIVER=dummy "$W" view pc.weft --screenshot shot.png > /dev/null 2>&1 || fail "view --screenshot with the installed weft"
  [ "$(head -c 4 shot.png 2> /dev/null | tail -c 3)" = PNG ] || fail "the screenshot is not a PNG"
else
  echo "installed_tree: no viewer in this build: view --screenshot not tried"
fi
[ $fails -eq 0 ] && echo "installed_tree: ok"
exit $((fails > 0))
