#!/usr/bin/env bash
# Installs the Debian packages berth builds and tests with: the runtime
# libraries' headers, Check, clang (libFuzzer, sanitizers' runtime), the
# linters, musl (the static drain client), openssl (ground certificates),
# jq (generated install files and docs), buildah and mmdebstrap (the
# container images and their Debian base),
# a JDK and Maven (the Kafka test ground), containerd, runc, the CNI plugins
# and iptables (the ground's real node). Idempotent and quiet when all
# are present; needs root (or sudo) only when something is missing.
set -euo pipefail
pkgs=(
    build-essential pkg-config
    libcurl4-openssl-dev libcjson-dev libyaml-dev libssl-dev libwebsockets-dev check
    clang libclang-rt-14-dev clang-tidy clang-format cppcheck
    musl-tools openssl curl ca-certificates jq buildah mmdebstrap
    default-jdk-headless maven golang-go
    containerd runc containernetworking-plugins iptables iproute2 util-linux
)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Go toolchain or JDK installed outside Debian counts as present.
if command -v go >/dev/null; then missing=("${missing[@]/golang-go}"); fi
if command -v java >/dev/null && command -v mvn >/dev/null; then
    missing=("${missing[@]/default-jdk-headless}"); missing=("${missing[@]/maven}")
fi
read -r -a missing <<<"${missing[*]:-}"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
