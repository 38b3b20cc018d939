#!/usr/bin/env bash
# Installs what aiconf needs to build on Debian 12 / Ubuntu 24.04, only what is missing.
# CUDA is optional: when /usr/local/cuda/bin/nvcc exists the mock layers build too. python3 runs
# the perf-table tool test (tests/tools).
set -euo pipefail
packages=(cmake g++ make libboost1.81-dev libboost-json1.81-dev catch2 libcli11-dev zlib1g-dev git python3)
if [ -r /etc/os-release ] && grep -q 'VERSION_CODENAME=noble' /etc/os-release; then
  packages=(cmake g++ make libboost-dev libboost-json-dev catch2 libcli11-dev zlib1g-dev git python3)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
