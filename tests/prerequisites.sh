#!/usr/bin/env bash
# What the tests need from the machine, installed by `dotnet test` itself (an MSBuild target of tests/SeqLab.Tests runs
# this before the tests), so the README's test command passes on a fresh Debian 12 machine with only the .NET SDK:
#   g++, binutils    the ELF patcher's tests compile a tiny C++ library and cross-check it with readelf
#   chromium, fonts  the report tests open the HTML reports in Debian's headless Chromium (Playwright, no download)
#   util-linux       the full-disk test mounts a small tmpfs in a private namespace (unshare)
#   slurm, munge     the Slurm test starts a one-node cluster on localhost and submits docs/scale-out/slurm-array.sh
# Nothing is skipped when something is missing: if it cannot be installed, this says what and how, and fails.
set -euo pipefail

missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-liberation >/dev/null 2>&1 || missing+=(fonts-liberation)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
[ -x /usr/sbin/slurmctld ] || missing+=(slurmctld)
[ -x /usr/sbin/slurmd ] || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
[ -x /usr/sbin/munged ] || missing+=(munge)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tests/prerequisites.sh: installing ${missing[*]} (Debian packages the tests use)"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -E)
  else
    echo "error: the tests need the Debian packages ${missing[*]}, and installing them needs root:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
