#!/usr/bin/env bash
# Runs every fuzz target in tests/fuzz (cargo-fuzz, libFuzzer) for a given time,
# one after the other, one job each, and prints one summary line per target.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]      default 60
#
# Environment:
#   FUZZ_TARGETS="callback"   run only these targets (default: all of them)
#   FUZZ_SANITIZER=none       sanitizer for cargo fuzz (default: address)
#
# Exits 1 if any target found a crash (or a timeout or out-of-memory input); the
# input's path is printed as "crash: PATH". Exits 2 if a target could not be built
# or run. Corpora grow in tests/fuzz/corpus/<target>/ and are kept between runs
# (not in git); the realistic seeds below are written into them when missing.
# Full libFuzzer output goes to tests/fuzz/target/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
    exit 2
fi
sanitizer="${FUZZ_SANITIZER:-address}"

fuzz_dir="$PWD/tests/fuzz"
# cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module...);
# only a stable toolchain is installed, and this lets it accept them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list --fuzz-dir "$fuzz_dir" | tr '\n' ' ')}"
flags=(--fuzz-dir "$fuzz_dir" --sanitizer "$sanitizer")

# Writes one named seed unless it is there already. Arguments are concatenated
# with printf %b, so "\x00" is a byte.
seed() {
    local file="$1"
    shift
    [ -e "$file" ] || printf '%b' "$@" >"$file"
}

seed_token_response() {
    local d="$1"
    # Header: status (2 bytes, big endian), Content-Type choice (0 none, 1 JSON,
    # 2 JSON+charset, 3 form, 4 form+charset, 5 HTML, 6 text), body shape
    # (0 raw, 1 JSON with a planted token, 2 form with a planted token).
    seed "$d/github-form" '\x00\xc8\x03\x00' \
        'access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cread%3Aorg&token_type=bearer'
    seed "$d/google-json" '\x00\xc8\x01\x00' \
        '{"access_token":"ya29.a0AfH6SMB","expires_in":3599,"refresh_token":"1//0gdx","scope":"openid https://www.googleapis.com/auth/userinfo.email","token_type":"Bearer","id_token":"eyJhbGciOi"}'
    seed "$d/microsoft-string-expiry" '\x00\xc8\x02\x00' \
        '{"token_type":"Bearer","scope":"User.Read offline_access","expires_in":"3599","ext_expires_in":3599,"access_token":"eyJ0eXAi","refresh_token":"0.AAAA"}'
    seed "$d/notion-owner" '\x00\xc8\x01\x00' \
        '{"access_token":"secret_abc","token_type":"bearer","bot_id":"b1","workspace_name":"Acme","owner":{"type":"user","user":{"id":"u1","person":{"email":"ada@example.com"}}}}'
    seed "$d/github-200-error" '\x00\xc8\x01\x00' \
        '{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com/apps"}'
    seed "$d/zoom-stale-refresh" '\x01\x90\x01\x00' \
        '{"reason":"Invalid Token!","error":"invalid_request"}'
    seed "$d/gateway-html" '\x01\xf6\x05\x00' \
        '<html><head><title>502 Bad Gateway</title></head><body>Bad gateway</body></html>'
    # Planted: key (0 access_token, 1 refresh_token), token length - 1, token,
    # then PREFIX \x00 SUFFIX around the planted field.
    seed "$d/planted-json-ok" '\x00\xc8\x01\x01' '\x00\x0f' 'gho_TOKENabcdefg' \
        '{"token_type":"bearer","expires_in":3599,' '\x00' ',"scope":"repo"}'
    seed "$d/planted-json-500" '\x01\xf4\x01\x01' '\x01\x0f' 'rt_TOKENabcdefgh' \
        '{"error":"server_error","error_description":"try later",' '\x00' '}'
    seed "$d/planted-json-nested" '\x00\xc8\x01\x01' '\x00\x0f' 'nested_TOKEN_abc' \
        '{"access_token":"outer","owner":{"user":{' '\x00' '}}}'
    # Regression: objects inside arrays once kept their token fields in `identity`.
    seed "$d/planted-json-in-array" '\x00\xc8\x01\x01' '\x00\x0f' 'nested_TOKEN_abc' \
        '{"access_token":"outer","owner":[{' '\x00' '}]}'
    seed "$d/planted-json-no-access" '\x00\xc8\x00\x01' '\x01\x0f' 'rt_TOKENabcdefgh' \
        '{"token_type":"bearer",' '\x00' '}'
    seed "$d/planted-form-ok" '\x00\xc8\x03\x02' '\x00\x0f' 'gho_TOKENabcdefg' \
        'token_type=bearer' '\x00' 'scope=repo%2Cgist'
    seed "$d/planted-form-error" '\x01\x90\x00\x02' '\x01\x0f' 'rt_TOKENabcdefgh' \
        'error=invalid_grant&error_description=Bad+refresh+token' '\x00' ''
}

seed_callback() {
    local d="$1"
    # Byte 0: "I" when the attempt expects an issuer; then "METHOD TARGET".
    local state="fuzzState-9Qx_2e7Lw"
    seed "$d/google-ok" "-GET /callback?code=4%2F0AX4XfWh&state=$state&scope=email%20openid"
    seed "$d/issuer-ok" "IGET /callback?state=$state&code=c1&iss=https%3A%2F%2Fissuer.example%2F"
    seed "$d/issuer-mix-up" "IGET /callback?state=$state&code=c1&iss=https%3A%2F%2Fevil.example"
    seed "$d/denied" "-GET /callback?error=access_denied&state=$state"
    seed "$d/provider-error" \
        "-GET /callback?error=invalid_scope&error_description=The+scope+%3Cb%3Erepo%3C%2Fb%3E+is+not+valid&state=$state"
    seed "$d/wrong-state" "-GET /callback?state=wrong&code=c1"
    seed "$d/repeated-state" "-GET /callback?state=$state&state=$state&code=c1"
    seed "$d/missing-code" "-GET /callback?state=$state&code="
    seed "$d/favicon" "-GET /favicon.ico"
    seed "$d/post" "-POST /callback"
    seed "$d/head" "-HEAD /callback?state=$state&code=c1"
    seed "$d/overlong" "-GET /callback?state=$state&code=" "$(printf 'a%.0s' $(seq 1 8200))"
}

max_len_for() {
    case "$1" in
        # Above the listener's 8 KiB target limit, so the 414 path is reached.
        callback) echo 8448 ;;
        *) echo 4096 ;;
    esac
}

echo "fuzz: building ${targets[*]} (sanitizer: $sanitizer)" >&2
for target in "${targets[@]}"; do
    if ! cargo fuzz build "${flags[@]}" "$target" >&2; then
        echo "fuzz: $target did not build" >&2
        exit 2
    fi
done

mkdir -p "$fuzz_dir/target/logs"
status=0
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/target/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    if declare -F "seed_$target" >/dev/null; then
        "seed_$target" "$corpus"
    fi
    dict="$fuzz_dir/dicts/$target.dict"
    extra=()
    [ -f "$dict" ] && extra+=("-dict=$dict")

    echo "fuzz: running $target for ${seconds}s (log: $log)" >&2
    rc=0
    cargo fuzz run "${flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len_for "$target")" -print_final_stats=1 "${extra[@]}" \
        >"$log" 2>&1 || rc=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    # libFuzzer's corpus (inputs that each add coverage) vs files kept on disk.
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    # libFuzzer also writes slow-unit-* files; only these are findings.
    found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
        grep -E '/(crash|timeout|oom|leak)-[^/]*$' || true)
    crashes=$(grep -c . <<<"$found" || true)
    echo "fuzz: $target: ${seconds}s, ${runs:-?} runs, cov ${cov:-?}, features ${ft:-?}," \
        "corpus ${corp:-?} inputs ($(find "$corpus" -type f | wc -l) files), crashes $crashes"

    if [ "$crashes" -gt 0 ]; then
        status=1
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -n 5 >&2 || true
        while read -r path; do echo "crash: $path"; done <<<"$found"
        echo "  reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz -s $sanitizer $target PATH" >&2
        echo "  minimise:  RUSTC_BOOTSTRAP=1 cargo fuzz tmin --fuzz-dir tests/fuzz -s $sanitizer $target PATH" >&2
    elif [ "$rc" -ne 0 ]; then
        echo "fuzz: $target stopped with exit code $rc and no crash input; see $log" >&2
        tail -n 20 "$log" >&2
        [ "$status" -eq 0 ] && status=2
    fi
done
exit "$status"
