#!/usr/bin/env bash
# Runs a Python script in a virtualenv with pinned packages, created (once) at VENV_DIR,
# OUTSIDE the repository; shared by the cross-check tools' run.sh.
# Usage: tools/run_in_venv.sh VENV_DIR SCRIPT REQUIREMENT... -- [SCRIPT ARGUMENTS...]
set -euo pipefail

venv="$1"
script="$2"
shift 2
requirements=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
  requirements+=("$1")
  shift
done
if [[ $# -gt 0 ]]; then
  shift # the `--`
fi

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
# pip is quick when everything is already installed at the pinned versions.
"$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
exec "$venv/bin/python" "$script" "$@"
