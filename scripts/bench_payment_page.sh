#!/usr/bin/env bash
# Load test of the client payment page (GET /pay/<token>) on the embedded default: the
# release binary on a fresh SQLite database with the demo data (a seller, the client
# "Boulangerie Martin" and its open invoices), jobs in the same process, logs at "warn"
# as in production. wrk (Debian) runs on the same 2-core machine as the server.
#
#   scripts/bench_payment_page.sh [seconds=20] [connections=32] [runs=3]
#
# Prints each run's requests/s and latency percentiles, then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"; connections="${2:-32}"; runs="${3:-3}"
port=5199

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --bin encaisse-cli

dir="$(mktemp -d)"
export LOCO_ENV=development DATABASE_URL="sqlite://$dir/bench.sqlite?mode=rwc" PORT=$port LOG_LEVEL=warn
./target/release/encaisse-cli start >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://localhost:$port/login" && break
  sleep 0.2
done
url="$(./target/release/encaisse-cli task payment_link client:C-001 2>/dev/null | grep -o 'http://[^ ]*/pay/[A-Za-z0-9_-]*' | tail -1)"
url="${url/localhost:5150/localhost:$port}"
curl -fs -o /dev/null "$url" || { echo "the payment page did not answer: $url"; exit 1; }
echo "payment page: ${url%/pay/*}/pay/…  ($seconds s x $runs runs, $connections connections, 2 wrk threads)"

# Warm-up, then the measured runs.
wrk -t2 -c"$connections" -d3s "$url" >/dev/null
rps=(); p50=(); p99=()
for run in $(seq 1 "$runs"); do
  out="$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$url")"
  r="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  l50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  l99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)"
  echo "run $run: $r req/s, p50 $l50, p99 $l99 ${errors:+($errors)}"
  rps+=("$r"); p50+=("$l50"); p99+=("$l99")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
to_ms() { for v in "$@"; do awk -v v="$v" 'BEGIN { if (v ~ /us$/) printf "%.3f\n", v/1000; else if (v ~ /ms$/) printf "%.3f\n", v+0; else printf "%.3f\n", v*1000 }'; done; }
echo "median: $(median "${rps[@]}") req/s, p50 $(median $(to_ms "${p50[@]}")) ms, p99 $(median $(to_ms "${p99[@]}")) ms"
